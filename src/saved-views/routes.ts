// /v1/views: saved views of the work list and the cases list, the web UI's: people (operators,
// builders; admins) keep views of their own and read the shared ones; a key made without a user keeps
// them under the name it acts as (api/user.ts). Not an external system's key: a view's count is the
// work list's counts, which it may not read, and a shared view is named on every person's work list.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams } from '../api/schemas.ts';
import { PEOPLE } from '../api/roles.ts';
import { readerOf } from '../api/user.ts';
import { created, noContent, sendCreated } from '../api/openapi.ts';
import { IfMatchHeaders, ifMatchGuard, withETag } from '../api/if-match.ts';
import { queryValidator } from '../api/query.ts';
import type { SavedViewService } from './service.ts';
import { ViewBody, ViewCountSchema, ViewList, ViewListQuery, ViewPatch, ViewSchema } from './schemas.ts';

export const savedViewRoutes =
  (views: SavedViewService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['views'];
    const config = { roles: PEOPLE };
    app.post(
      '/views',
      { config, schema: { tags, body: ViewBody, response: created('The view', { schema: ViewSchema }) } },
      async (req, reply) => sendCreated(reply, 'views', withETag(reply, await views.create(req.body, readerOf(req)))),
    );
    app.get(
      '/views',
      {
        config,
        schema: { tags, querystring: ViewListQuery, response: { 200: ViewList } },
        validatorCompiler: queryValidator,
      },
      async (req) => views.list(readerOf(req), { screen: req.query.screen, counts: req.query.counts }),
    );
    app.get('/views/:id', { config, schema: { tags, params: IdParams, response: { 200: ViewSchema } } }, async (req, reply) =>
      withETag(reply, await views.get(req.params.id, readerOf(req))),
    );
    app.get(
      '/views/:id/count',
      {
        config,
        schema: { tags, summary: "How many items the view's query matches now", params: IdParams, response: { 200: ViewCountSchema } },
      },
      async (req) => views.count(req.params.id, readerOf(req)),
    );
    app.patch(
      '/views/:id',
      { config, schema: { tags, params: IdParams, headers: IfMatchHeaders, body: ViewPatch, response: { 200: ViewSchema } } },
      async (req, reply) =>
        withETag(reply, await views.update(req.params.id, req.body, readerOf(req), ifMatchGuard(req.headers['if-match']))),
    );
    app.delete(
      '/views/:id',
      { config, schema: { tags, params: IdParams, headers: IfMatchHeaders, response: noContent('Deleted') } },
      async (req, reply) => {
        await views.delete(req.params.id, readerOf(req), ifMatchGuard(req.headers['if-match']));
        return reply.code(204).send();
      },
    );
  };
