// Cases (the part the action lifecycle needs): data that outcomes merge into, and an owner who
// receives escalations.

import type { FastifyPluginAsync } from 'fastify';
import type { Callout } from '../callout.ts';
import { IdParams } from './schemas.ts';
import { userOf } from './user.ts';

const CASE_WRITERS = ['operator', 'integration'] as const;

export const caseRoutes =
  (callout: Callout): FastifyPluginAsync =>
  async (app) => {
    const tags = ['cases'];
    const view = (c: { createdAt: number; updatedAt: number }): Record<string, unknown> => ({
      ...c,
      createdAt: new Date(c.createdAt).toISOString(),
      updatedAt: new Date(c.updatedAt).toISOString(),
    });
    app.post('/cases', { config: { roles: CASE_WRITERS }, schema: { tags } }, async (req, reply) =>
      reply.code(201).send(view(await callout.createCase(req.body))),
    );
    app.get('/cases/:id', { schema: { tags, params: IdParams } }, async (req) =>
      view(await callout.getCase((req.params as { id: string }).id)),
    );
    app.get('/notifications', { schema: { tags } }, async (req) => ({ items: await callout.notifications(userOf(req)) }));
  };
