// The integrated-queue routes (SPEC 7, 10.1): a task's integration log (every role reads it, as the
// timeline), an operator declining a handed-back solution, and the provider handing a task back by
// the callback token of an action launched for it (authorised by the token, like every callback).

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { userOf } from '../api/user.ts';
import { ActionIdParams } from '../actions/schemas.ts';
import { CALLBACK_BODY_LIMIT, TokenParams } from '../callbacks/schemas.ts';
import { HandBackBody } from '../inbound/schemas.ts';
import type { CallbackService } from '../callbacks/service.ts';
import type { ActionService } from '../actions/service.ts';
import type { IntegrationService } from './service.ts';
import { DeclineSolutionBody } from './integration.ts';
import { ActionViewSchema } from '../actions/views.ts';
import { IntegrationLogSchema } from './schemas.ts';
import { checkedKey, commandIdempotencyKeyHeaders } from '../api/idempotency-key.ts';
import { DECLINE_KEYS_LOOKED_AT } from './decline-key.ts';

const DeclineKeyHeaders = commandIdempotencyKeyHeaders(
  `the caller's own latest ${DECLINE_KEYS_LOOKED_AT} messages on the task (a decline is one, as is a note)`,
);

export const integrationRoutes =
  (d: { integrations: IntegrationService; actions: ActionService; callbacks: CallbackService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const byId = { tags: ['actions'], params: ActionIdParams };
    app.get('/actions/:id/integration-log', { schema: { ...byId, response: { 200: IntegrationLogSchema } } }, async (req) =>
      d.integrations.log(req.params.id),
    );
    // With an Idempotency-Key a repeat answers the task as it is and declines (sends) nothing again; without
    // one, a second decline is a 409 saying the solution was already declined.
    app.post(
      '/actions/:id/decline-solution',
      {
        config: { roles: ['operator'] },
        schema: { ...byId, headers: DeclineKeyHeaders, body: DeclineSolutionBody, response: { 200: ActionViewSchema } },
      },
      async (req) => {
        const key = checkedKey(req.headers['idempotency-key'], { reserved: false });
        const declined = await d.integrations.declineSolution(
          req.params.id,
          userOf(req),
          req.body.note,
          key === undefined ? {} : { idempotencyKey: key },
        );
        return d.actions.view(declined);
      },
    );
    app.post(
      '/callbacks/:token/hand-back',
      {
        config: { roles: 'public', limitBy: 'token' },
        bodyLimit: CALLBACK_BODY_LIMIT,
        // A made-up token is answered before its body is read, as on the other callback routes.
        preParsing: async (req) => d.callbacks.refuseForgedToken((req.params as { token: string }).token),
        schema: { tags: ['callbacks'], params: TokenParams, security: [], body: HandBackBody, response: { 200: ActionViewSchema } },
      },
      async (req) => d.callbacks.handBack(req.params.token, req.body),
    );
  };
