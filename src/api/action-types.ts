// Action types: POST/GET/PATCH /v1/action-types and the JSON Schema of their fields.

import type { FastifyPluginAsync } from 'fastify';
import type { Callout } from '../callout.ts';
import { ActionTypeBody, IdParams } from './schemas.ts';
import { userOf } from './user.ts';

const BUILDERS = ['builder'] as const;

export const actionTypeRoutes =
  (callout: Callout): FastifyPluginAsync =>
  async (app) => {
    const tags = ['action types'];
    app.post('/action-types', { config: { roles: BUILDERS }, schema: { tags, body: ActionTypeBody } }, async (req, reply) =>
      reply.code(201).send(await callout.createActionType(req.body)),
    );
    app.get('/action-types', { schema: { tags } }, async () => ({ items: await callout.listActionTypes() }));
    app.get('/action-types/:id', { schema: { tags, params: IdParams } }, async (req) =>
      callout.getActionType((req.params as { id: string }).id),
    );
    app.patch('/action-types/:id', { config: { roles: BUILDERS }, schema: { tags, params: IdParams, body: ActionTypeBody } }, async (req) =>
      callout.updateActionType((req.params as { id: string }).id, req.body, `user:${userOf(req)}`),
    );
    app.post('/action-types/:id/test', { config: { roles: BUILDERS }, schema: { tags, params: IdParams } }, async (req) =>
      callout.testAction((req.params as { id: string }).id, req.body),
    );
    app.get('/action-types/:id/schema', { schema: { tags, params: IdParams } }, async (req, reply) =>
      reply.type('application/schema+json').send(await callout.actionTypeSchema((req.params as { id: string }).id)),
    );
  };
