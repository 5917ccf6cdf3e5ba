// API keys: created, listed and revoked by an admin; the key itself is shown once, at creation.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiKeyService } from './service.ts';
import { ApiKeyBody, ApiKeyCreatedSchema, ApiKeyViewSchema } from './schemas.ts';
import { IdParams, Page, PageQuery } from '../api/schemas.ts';
import { queryValidator } from '../api/query.ts';
import { ADMINS } from '../api/roles.ts';
import { created } from '../api/openapi.ts';

export const apiKeysRoutes =
  (apiKeys: ApiKeyService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['api keys'];
    app.post(
      '/api-keys',
      {
        config: { roles: ADMINS },
        schema: { tags, body: ApiKeyBody, response: created('The key, shown this once', { location: false, schema: ApiKeyCreatedSchema }) },
      },
      async (req, reply) => reply.code(201).send(await apiKeys.create(req.body)),
    );
    app.get(
      '/api-keys',
      {
        config: { roles: ADMINS },
        schema: { tags, querystring: PageQuery, response: { 200: Page(ApiKeyViewSchema) } },
        validatorCompiler: queryValidator,
      },
      async (req) => apiKeys.page(req.query),
    );
    app.delete(
      '/api-keys/:id',
      { config: { roles: ADMINS }, schema: { tags, params: IdParams, response: { 200: ApiKeyViewSchema } } },
      async (req) => apiKeys.revoke(req.params.id),
    );
  };
