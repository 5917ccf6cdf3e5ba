// Inbound routes addressed by connector and external reference. Public (no API key): the connector's
// inbound secret authorises them, checked over the raw body bytes before anything else is looked at.
// Hand-back belongs to integrated queues and is not served here yet.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { InboundService } from './service.ts';
import type { ConnectorEntry } from '../engine/registry.ts';
import { ReferenceParams, SignedHeaders } from './schemas.ts';
import { AcknowledgeBody, CallbackBody, MessageBody } from '../callbacks/schemas.ts';
import { rawBodyOf, useRawJsonBody } from './raw-body.ts';

const verified = new WeakMap<FastifyRequest, ConnectorEntry>();

export const inboundRoutes =
  (inbound: InboundService): FastifyPluginAsyncTypebox =>
  async (app) => {
    useRawJsonBody(app);
    const config = { roles: 'public' as const, limitBy: 'token' as const, rawBody: true };
    const schema = { tags: ['callbacks'], params: ReferenceParams, headers: SignedHeaders, security: [] };
    // The signature first: an unsigned request learns nothing, not even whether its body was valid.
    const preValidation = async (req: FastifyRequest): Promise<void> => {
      const { connector } = req.params as ReferenceParams;
      verified.set(req, await inbound.verify(connector, req.headers, rawBodyOf(req)));
    };
    const connectorOf = (req: FastifyRequest): ConnectorEntry => verified.get(req)!;
    const base = '/connectors/:connector/inbound/:externalReference';
    app.post(base, { config, preValidation, schema: { ...schema, body: CallbackBody } }, async (req) =>
      inbound.outcome(connectorOf(req), req.params.externalReference, req.body),
    );
    app.post(`${base}/acknowledge`, { config, preValidation, schema: { ...schema, body: AcknowledgeBody } }, async (req) =>
      inbound.acknowledge(connectorOf(req), req.params.externalReference, req.body),
    );
    app.post(`${base}/messages`, { config, preValidation, schema: { ...schema, body: MessageBody } }, async (req) =>
      inbound.message(connectorOf(req), req.params.externalReference, req.body),
    );
  };
