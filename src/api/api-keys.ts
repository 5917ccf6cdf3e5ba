// API keys: created, listed and revoked by an admin; the key itself is shown once, at creation.

import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Callout } from '../callout.ts';
import { IdParams } from './schemas.ts';

const ADMINS = ['admin'] as const;

/** Documents the body; the domain checks it and names each bad field (unknown ones included). */
const ApiKeyBody = Type.Object(
  {
    name: Type.String({ description: 'unique among keys not revoked; who the key acts as on timelines' }),
    roles: Type.Optional(Type.Array(Type.String({ enum: ['admin', 'builder', 'operator', 'integration'] }), { default: ['operator'] })),
    user: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'not supported yet: users arrive later' })),
  },
  { additionalProperties: true },
);

export const apiKeyRoutes =
  (callout: Callout): FastifyPluginAsync =>
  async (app) => {
    const tags = ['api keys'];
    app.post('/api-keys', { config: { roles: ADMINS }, schema: { tags, body: ApiKeyBody } }, async (req, reply) =>
      reply.code(201).send(await callout.createApiKey(req.body)),
    );
    app.get('/api-keys', { config: { roles: ADMINS }, schema: { tags } }, async () => ({ items: await callout.listApiKeys() }));
    app.delete('/api-keys/:id', { config: { roles: ADMINS }, schema: { tags, params: IdParams } }, async (req) =>
      callout.revokeApiKey((req.params as { id: string }).id),
    );
  };
