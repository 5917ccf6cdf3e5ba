// Queues: builders create and change them; every role reads them.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { QueueService } from './service.ts';
import { QueueBody, QueueNameParams, QueuePatchBody, QueueViewSchema } from './schemas.ts';
import { NamePageQuery, Page } from '../api/schemas.ts';
import { queryValidator } from '../api/query.ts';
import { BUILDERS, PEOPLE } from '../api/roles.ts';
import { created } from '../api/openapi.ts';
import { userOf } from '../api/user.ts';
import { IfMatchHeaders, ifMatchGuard, withETag } from '../api/if-match.ts';

export const queueRoutes =
  (queues: QueueService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['queues'];
    app.post(
      '/queues',
      { config: { roles: BUILDERS }, schema: { tags, body: QueueBody, response: created('The queue', { schema: QueueViewSchema }) } },
      async (req, reply) =>
        reply
          .code(201)
          .header('location', `/v1/queues/${encodeURIComponent(req.body.name)}`)
          .send(withETag(reply, await queues.create(req.body))),
    );
    app.get(
      '/queues',
      {
        config: { roles: PEOPLE },
        schema: { tags, querystring: NamePageQuery, response: { 200: Page(QueueViewSchema) } },
        validatorCompiler: queryValidator,
      },
      async (req) => queues.page(req.query),
    );
    app.get(
      '/queues/:name',
      { config: { roles: PEOPLE }, schema: { tags, params: QueueNameParams, response: { 200: QueueViewSchema } } },
      async (req, reply) => withETag(reply, await queues.get(req.params.name)),
    );
    app.patch(
      '/queues/:name',
      {
        config: { roles: BUILDERS },
        schema: { tags, params: QueueNameParams, headers: IfMatchHeaders, body: QueuePatchBody, response: { 200: QueueViewSchema } },
      },
      async (req, reply) =>
        withETag(
          reply,
          await queues.update(req.params.name, req.body as Record<string, unknown>, userOf(req), ifMatchGuard(req.headers['if-match'])),
        ),
    );
  };
