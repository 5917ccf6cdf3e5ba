// Connectors: POST/GET/PATCH /v1/connectors. Secrets are write-only.

import type { FastifyPluginAsync } from 'fastify';
import type { Callout } from '../callout.ts';
import { ConnectorBody, IdParams } from './schemas.ts';

const BUILDERS = ['builder'] as const;

export const connectorRoutes =
  (callout: Callout): FastifyPluginAsync =>
  async (app) => {
    const tags = ['connectors'];
    app.post('/connectors', { config: { roles: BUILDERS }, schema: { tags, body: ConnectorBody } }, async (req, reply) =>
      reply.code(201).send(await callout.createConnector(req.body)),
    );
    app.get('/connectors', { schema: { tags } }, async () => ({ items: await callout.listConnectors() }));
    app.get('/connectors/:id', { schema: { tags, params: IdParams } }, async (req) =>
      callout.getConnector((req.params as { id: string }).id),
    );
    app.post('/connectors/:id/test', { config: { roles: BUILDERS }, schema: { tags, params: IdParams } }, async (req) =>
      callout.testConnection((req.params as { id: string }).id),
    );
    app.patch('/connectors/:id', { config: { roles: BUILDERS }, schema: { tags, params: IdParams, body: ConnectorBody } }, async (req) =>
      callout.updateConnector((req.params as { id: string }).id, req.body),
    );
  };
