// Connectors: POST/GET/PATCH /v1/connectors and 'Test connection'. Secrets are write-only.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ConnectorService } from './service.ts';
import { ConnectionTestSchema, ConnectorBody, ConnectorCreateBody, ConnectorViewSchema } from './schemas.ts';
import { IdParams, Page, PageQuery } from '../api/schemas.ts';
import { queryValidator } from '../api/query.ts';
import { BUILDERS } from '../api/roles.ts';
import { created, sendCreated } from '../api/openapi.ts';
import { asReadBy } from '../api/plain-headers.ts';
import { IfMatchHeaders, ifMatchGuard, withETag } from '../api/if-match.ts';
import { ConnectorHealthSchema, HealthQuery } from './health.ts';

export const connectorsRoutes =
  (connectors: ConnectorService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['connectors'];
    app.post(
      '/connectors',
      {
        config: { roles: BUILDERS },
        schema: { tags, body: ConnectorCreateBody, response: created('The connector', { schema: ConnectorViewSchema }) },
      },
      async (req, reply) => sendCreated(reply, 'connectors', withETag(reply, await connectors.create(req.body))),
    );
    app.get(
      '/connectors',
      { schema: { tags, querystring: PageQuery, response: { 200: Page(ConnectorViewSchema) } }, validatorCompiler: queryValidator },
      async (req) => {
        const page = await connectors.page(req.query);
        return { ...page, items: page.items.map((c) => asReadBy(req, c)) };
      },
    );
    app.get('/connectors/:id', { schema: { tags, params: IdParams, response: { 200: ConnectorViewSchema } } }, async (req, reply) =>
      withETag(reply, asReadBy(req, await connectors.get(req.params.id))),
    );
    // Read by whoever reads the connector: its attempts per bucket and what holds it now.
    app.get(
      '/connectors/:id/health',
      {
        schema: {
          tags,
          summary: "A connector's attempts over the last hour, day or week, with its circuit, rate-limit use and throttled backlog",
          params: IdParams,
          querystring: HealthQuery,
          response: { 200: ConnectorHealthSchema },
        },
      },
      async (req) => connectors.health(req.params.id, req.query.window),
    );
    app.post(
      '/connectors/:id/test',
      { config: { roles: BUILDERS }, schema: { tags, params: IdParams, response: { 200: ConnectionTestSchema } } },
      async (req) => connectors.testConnection(req.params.id),
    );
    app.patch(
      '/connectors/:id',
      {
        config: { roles: BUILDERS },
        schema: { tags, params: IdParams, headers: IfMatchHeaders, body: ConnectorBody, response: { 200: ConnectorViewSchema } },
      },
      async (req, reply) =>
        withETag(reply, await connectors.update(req.params.id, req.body, 'merge', ifMatchGuard(req.headers['if-match']))),
    );
  };
