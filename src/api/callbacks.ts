// The inbound API for external systems: authorised by the action's callback token, not an API key.

import type { FastifyPluginAsync } from 'fastify';
import type { Callout } from '../callout.ts';
import { CallbackBody, TokenParams } from './schemas.ts';

export const callbackRoutes =
  (callout: Callout): FastifyPluginAsync =>
  async (app) => {
    const config = { roles: 'public' as const, limitBy: 'token' as const };
    const tags = ['callbacks'];
    const token = (req: { params: unknown }): string => (req.params as { token: string }).token;
    app.post('/callbacks/:token', { config, schema: { tags, params: TokenParams, body: CallbackBody, security: [] } }, async (req) =>
      callout.callback(token(req), req.body),
    );
    app.post('/callbacks/:token/acknowledge', { config, schema: { tags, params: TokenParams, security: [] } }, async (req) =>
      callout.acknowledge(token(req), req.body),
    );
    app.post('/callbacks/:token/heartbeat', { config, schema: { tags, params: TokenParams, security: [] } }, async (req) =>
      callout.heartbeat(token(req), req.body ?? {}),
    );
    app.post('/callbacks/:token/messages', { config, schema: { tags, params: TokenParams, security: [] } }, async (req) =>
      callout.message(token(req), req.body),
    );
  };
