// Case routes: create a case (data that outcomes merge into, an owner for escalations) and read it.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CaseService } from './service.ts';
import { CaseBody, CaseIdParams } from './schemas.ts';

const CASE_WRITERS = ['operator', 'integration'] as const;

const view = (c: { createdAt: number; updatedAt: number }): Record<string, unknown> => ({
  ...c,
  createdAt: new Date(c.createdAt).toISOString(),
  updatedAt: new Date(c.updatedAt).toISOString(),
});

export const caseRoutes =
  (cases: CaseService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['cases'];
    app.post('/cases', { config: { roles: CASE_WRITERS }, schema: { tags, body: CaseBody } }, async (req, reply) =>
      reply.code(201).send(view(await cases.createCase(req.body))),
    );
    app.get('/cases/:id', { schema: { tags, params: CaseIdParams } }, async (req) => view(await cases.getCase(req.params.id)));
  };
