// Inbound routes addressed by connector and external reference. Public (no API key): the connector's
// inbound secret authorises them, checked over the raw body bytes before anything else is looked at.
// A task on a queue integrated with the connector is addressed by its reference too (SPEC 10.1).

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { InboundService } from './service.ts';
import type { ConnectorEntry } from '../engine/registry.ts';
import { HandBackBody, ReferenceParams, SignedHeaders } from './schemas.ts';
import { AcknowledgeBody, CallbackBody, MessageBody } from '../callbacks/schemas.ts';
import { useRawJsonBody } from './raw-body.ts';
import { ActionViewSchema } from '../actions/views.ts';

const verified = new WeakMap<FastifyRequest, { connector: ConnectorEntry; spent: string }>();
/** Answers after the signature checked out that come before any write: the reference unknown (401), the body refused. */
const NOTHING_WRITTEN = new Set([400, 401, 413, 415, 422]);

export const inboundRoutes =
  (inbound: InboundService): FastifyPluginAsyncTypebox =>
  async (app) => {
    // The signature first, over the bytes: an unsigned request learns nothing, not even whether its
    // body was JSON (the body is parsed only once verified).
    useRawJsonBody(app, {
      verify: async (req, bytes) => {
        const { connector } = req.params as ReferenceParams;
        verified.set(req, await inbound.verify(connector, req.headers, bytes));
      },
    });
    const config = { roles: 'public' as const, limitBy: 'token' as const, rawBody: true };
    const schema = {
      tags: ['callbacks'],
      params: ReferenceParams,
      headers: SignedHeaders,
      security: [],
      response: { 200: ActionViewSchema },
    };
    const connectorOf = (req: FastifyRequest): ConnectorEntry => verified.get(req)!.connector;
    // Refused once verified without anything written (its reference not stored yet, a body that fails its
    // schema): its id is given back before the answer goes, so the sender's retry with it is taken. Not a
    // 409 (a late callback is kept on the timeline) nor a 5xx (its outcome unknown): a replay of those
    // would write again, or twice (an outside review replayed a late callback five times).
    app.addHook('onSend', async (req, reply, payload) => {
      const v = verified.get(req);
      if (v && NOTHING_WRITTEN.has(reply.statusCode))
        await inbound
          .forget(v.spent)
          .catch((err: unknown) =>
            req.log.warn({ err }, 'an inbound message id could not be given back; its retry is refused as a replay'),
          );
      return payload;
    });
    const base = '/connectors/:connector/inbound/:externalReference';
    app.post(base, { config, schema: { ...schema, body: CallbackBody } }, async (req) =>
      inbound.outcome(connectorOf(req), req.params.externalReference, req.body),
    );
    app.post(`${base}/acknowledge`, { config, schema: { ...schema, body: AcknowledgeBody } }, async (req) =>
      inbound.acknowledge(connectorOf(req), req.params.externalReference, req.body),
    );
    app.post(`${base}/messages`, { config, schema: { ...schema, body: MessageBody } }, async (req) =>
      inbound.message(connectorOf(req), req.params.externalReference, req.body),
    );
    app.post(`${base}/hand-back`, { config, schema: { ...schema, body: HandBackBody } }, async (req) =>
      inbound.handBack(connectorOf(req), req.params.externalReference, req.body),
    );
  };
