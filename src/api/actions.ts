// Actions: launch (safe to repeat with Idempotency-Key), read, list, timeline, and what operators do.

import type { FastifyPluginAsync } from 'fastify';
import type { Callout } from '../callout.ts';
import { ActionListQuery, CompleteBody, IdParams, LaunchBody } from './schemas.ts';
import { userOf } from './user.ts';
import { ValidationError } from '../errors.ts';

const OPERATORS = ['operator'] as const;
const LAUNCHERS = ['operator', 'builder', 'integration'] as const;

export const actionRoutes =
  (callout: Callout): FastifyPluginAsync =>
  async (app) => {
    const tags = ['actions'];
    app.post('/actions', { config: { roles: LAUNCHERS }, schema: { tags, body: LaunchBody } }, async (req, reply) => {
      const key = req.headers['idempotency-key'];
      if (key !== undefined && (typeof key !== 'string' || key.length === 0 || key.length > 200))
        throw new ValidationError([{ field: 'Idempotency-Key', message: 'must be 1–200 characters' }]);
      const r = await callout.launch(req.body, { ...(key ? { idempotencyKey: key } : {}), actor: `user:${userOf(req)}` });
      return reply
        .code(r.created ? 201 : 200)
        .header('location', `/v1/actions/${r.action.id}`)
        .send(r.action);
    });
    app.get('/actions', { schema: { tags, querystring: ActionListQuery } }, async (req) =>
      callout.listActions(req.query as Record<string, unknown>),
    );
    app.get('/actions/:id', { schema: { tags, params: IdParams } }, async (req) => callout.getAction((req.params as { id: string }).id));
    app.get('/actions/:id/timeline', { schema: { tags, params: IdParams } }, async (req) => ({
      items: await callout.timeline((req.params as { id: string }).id),
    }));
    const id = (req: { params: unknown }): string => (req.params as { id: string }).id;
    app.post('/actions/:id/retry', { config: { roles: OPERATORS }, schema: { tags, params: IdParams } }, async (req) =>
      callout.retry(id(req), userOf(req)),
    );
    app.post('/actions/:id/pause', { config: { roles: OPERATORS }, schema: { tags, params: IdParams } }, async (req) =>
      callout.pause(id(req), userOf(req)),
    );
    app.post('/actions/:id/resume', { config: { roles: OPERATORS }, schema: { tags, params: IdParams } }, async (req) =>
      callout.resume(id(req), userOf(req)),
    );
    app.post('/actions/:id/pick-up', { config: { roles: OPERATORS }, schema: { tags, params: IdParams } }, async (req) =>
      callout.pickUp(id(req), userOf(req)),
    );
    app.post(
      '/actions/:id/complete',
      { config: { roles: OPERATORS }, schema: { tags, params: IdParams, body: CompleteBody } },
      async (req) => callout.complete(id(req), userOf(req), req.body),
    );
  };
