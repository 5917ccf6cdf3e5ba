// API keys: created, listed and revoked by an admin; the key itself is shown once, at creation.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiKeyService } from './service.ts';
import { ApiKeyBody, ApiKeyCreatedSchema, ApiKeyViewSchema } from './schemas.ts';
import { IdParams, Items, NoQuery } from '../api/schemas.ts';
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
      { config: { roles: ADMINS }, schema: { tags, querystring: NoQuery, response: { 200: Items(ApiKeyViewSchema) } } },
      async () => ({
        items: await apiKeys.list(),
      }),
    );
    app.delete(
      '/api-keys/:id',
      { config: { roles: ADMINS }, schema: { tags, params: IdParams, response: { 200: ApiKeyViewSchema } } },
      async (req) => apiKeys.revoke(req.params.id),
    );
  };
