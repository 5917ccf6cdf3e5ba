// Inbound routes addressed by connector and external reference. Public (no API key): the connector's
// inbound secret authorises them, checked over the raw body bytes before anything else is looked at.
// A task on a queue integrated with the connector is addressed by its reference too (SPEC 10.1).

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { InboundService, VerifiedInbound } from './service.ts';
import type { ActionView } from '../actions/views.ts';
import type { ConnectorEntry } from '../engine/registry.ts';
import { HandBackBody, ReferenceParams, SignedHeaders } from './schemas.ts';
import { AcknowledgeBody, CallbackBody, MessageBody } from '../callbacks/schemas.ts';
import { useRawJsonBody } from './raw-body.ts';
import { ActionViewSchema } from '../actions/views.ts';

const verified = new WeakMap<FastifyRequest, VerifiedInbound>();
/** The action a request's 2xx answer was about: a retry with its id is shown it. */
const answeredAbout = new WeakMap<FastifyRequest, string>();
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
    // Refused once verified without anything written (its reference not stored yet, a body that fails its
    // schema) or failed (a 5xx, which says "try again"): its id is given back before the answer goes, so
    // the sender's retry with it is taken. Anything else is kept with its id: a retry (its answer lost)
    // gets it again and applies nothing twice; a 409's late callback stays once on the timeline (an
    // outside review replayed one five times).
    app.addHook('onSend', async (req, reply, payload) => {
      const v = verified.get(req);
      if (!v || v.earlier) return payload;
      const status = reply.statusCode;
      const keep =
        NOTHING_WRITTEN.has(status) || status >= 500
          ? inbound.forget(v.spent)
          : inbound.answered(v.spent, status, answeredAbout.get(req) ?? null);
      await keep.catch((err: unknown) =>
        req.log.warn({ err }, 'what an inbound message id was answered could not be kept; a retry with it is answered 409'),
      );
      return payload;
    });
    /** Runs `fn` on the verified connector, or answers a retry of a request already taken. */
    const answer = async (req: FastifyRequest, fn: (connector: ConnectorEntry) => Promise<ActionView>): Promise<ActionView> => {
      const v = verified.get(req)!;
      const view = await (v.earlier ? inbound.repeat(v.earlier) : fn(v.connector));
      answeredAbout.set(req, view.id);
      return view;
    };
    const base = '/connectors/:connector/inbound/:externalReference';
    app.post(base, { config, schema: { ...schema, body: CallbackBody } }, async (req) =>
      answer(req, (c) => inbound.outcome(c, req.params.externalReference, req.body)),
    );
    app.post(`${base}/acknowledge`, { config, schema: { ...schema, body: AcknowledgeBody } }, async (req) =>
      answer(req, (c) => inbound.acknowledge(c, req.params.externalReference, req.body)),
    );
    app.post(`${base}/messages`, { config, schema: { ...schema, body: MessageBody } }, async (req) =>
      answer(req, (c) => inbound.message(c, req.params.externalReference, req.body)),
    );
    app.post(`${base}/hand-back`, { config, schema: { ...schema, body: HandBackBody } }, async (req) =>
      answer(req, (c) => inbound.handBack(c, req.params.externalReference, req.body)),
    );
  };
