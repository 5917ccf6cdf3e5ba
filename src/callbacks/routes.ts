// The inbound API for external systems: authorised by the action's callback token, not an API key.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { emptyBodyIsObject } from '../api/optional-body.ts';
import type { CallbackService } from './service.ts';
import { AcknowledgeBody, CALLBACK_BODY_LIMIT, CallbackBody, HeartbeatBody, MessageBody, TokenParams } from './schemas.ts';
import { ActionViewSchema } from '../actions/views.ts';
import { checkedKey, commandIdempotencyKeyHeaders } from '../api/idempotency-key.ts';
import { MESSAGE_KEYS_LOOKED_AT } from './service.ts';

// A sender's retry of a message (its answer lost) with the same key is kept once.
const MessageKeyHeaders = commandIdempotencyKeyHeaders(`the sender's own latest ${MESSAGE_KEYS_LOOKED_AT} messages to the action`);

export const callbackRoutes =
  (callbacks: CallbackService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const config = { roles: 'public' as const, limitBy: 'token' as const };
    // A made-up token is answered before its body is read (the MAC is checked, the store is not asked).
    app.addHook('preParsing', async (req) => callbacks.refuseForgedToken((req.params as { token: string }).token));
    // Each answers the action as it now is.
    const schema = { tags: ['callbacks'], params: TokenParams, security: [], response: { 200: ActionViewSchema } };
    app.post('/callbacks/:token', { config, bodyLimit: CALLBACK_BODY_LIMIT, schema: { ...schema, body: CallbackBody } }, async (req) =>
      callbacks.callback(req.params.token, req.body),
    );
    app.post(
      '/callbacks/:token/acknowledge',
      { config, bodyLimit: CALLBACK_BODY_LIMIT, schema: { ...schema, body: AcknowledgeBody } },
      async (req) => callbacks.acknowledge(req.params.token, req.body),
    );
    // A heartbeat needs no body: "still alive" is the whole message.
    app.post(
      '/callbacks/:token/heartbeat',
      { config, bodyLimit: CALLBACK_BODY_LIMIT, schema: { ...schema, body: HeartbeatBody }, preValidation: emptyBodyIsObject },
      async (req) => callbacks.heartbeat(req.params.token, req.body),
    );
    app.post(
      '/callbacks/:token/messages',
      { config, bodyLimit: CALLBACK_BODY_LIMIT, schema: { ...schema, headers: MessageKeyHeaders, body: MessageBody } },
      async (req) => {
        const key = checkedKey(req.headers['idempotency-key'], { reserved: false });
        return callbacks.message(req.params.token, req.body, key === undefined ? {} : { idempotencyKey: key });
      },
    );
  };
