// Processes: POST/GET /v1/processes (GET pages, newest first), GET/PATCH /v1/processes/{name}, and
// GET /v1/process-names (their names alone, for pickers). Builders manage them; any key reads.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ProcessService } from './service.ts';
import { ProcessBody, ProcessViewSchema } from './schemas.ts';
import { IdParams, Page, PageQuery } from '../api/schemas.ts';
import { queryValidator } from '../api/query.ts';
import { BUILDERS } from '../api/roles.ts';
import { created, sendCreated } from '../api/openapi.ts';
import { IfMatchHeaders, ifMatchGuard, withETag } from '../api/if-match.ts';

const READERS = ['builder', 'operator', 'integration'] as const;

// A process's name and id: what a picker offers, without its definition.
const ProcessNameSchema = Type.Object({ id: Type.String(), name: Type.String() }, { additionalProperties: false });

// A PATCH names only what changes: every setting of a process, none required.
const ProcessPatchBody = Type.Partial(ProcessBody, { additionalProperties: false });

export const processRoutes =
  (processes: ProcessService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['processes'];
    app.post(
      '/processes',
      { config: { roles: BUILDERS }, schema: { tags, body: ProcessBody, response: created('The process', { schema: ProcessViewSchema }) } },
      async (req, reply) => sendCreated(reply, 'processes', withETag(reply, await processes.create(req.body))),
    );
    app.get(
      '/processes',
      {
        config: { roles: READERS },
        schema: { tags, querystring: PageQuery, response: { 200: Page(ProcessViewSchema) } },
        validatorCompiler: queryValidator,
      },
      async (req) => processes.page(req.query),
    );
    // Beside /processes, not under it: /processes/{name} reads a process by its name, whatever it is.
    app.get(
      '/process-names',
      {
        config: { roles: READERS },
        schema: { tags, querystring: PageQuery, response: { 200: Page(ProcessNameSchema) } },
        validatorCompiler: queryValidator,
      },
      async (req) => processes.namesPage(req.query),
    );
    app.get(
      '/processes/:id',
      { config: { roles: READERS }, schema: { tags, params: IdParams, response: { 200: ProcessViewSchema } } },
      async (req, reply) => withETag(reply, await processes.get(req.params.id)),
    );
    app.patch(
      '/processes/:id',
      {
        config: { roles: BUILDERS },
        schema: { tags, params: IdParams, headers: IfMatchHeaders, body: ProcessPatchBody, response: { 200: ProcessViewSchema } },
      },
      async (req, reply) => withETag(reply, await processes.update(req.params.id, req.body, ifMatchGuard(req.headers['if-match']))),
    );
  };
