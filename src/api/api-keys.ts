// API keys: created by an admin; the key itself is shown once.

import type { FastifyPluginAsync } from 'fastify';
import type { Callout } from '../callout.ts';

export const apiKeyRoutes =
  (callout: Callout): FastifyPluginAsync =>
  async (app) => {
    app.post('/api-keys', { config: { roles: ['admin'] }, schema: { tags: ['api keys'] } }, async (req, reply) =>
      reply.code(201).send(await callout.createApiKey(req.body)),
    );
  };
