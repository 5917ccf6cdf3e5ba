// Webhook subscriptions over HTTP: builders (and admins) manage and read them; the secret is shown
// once, at creation and at each rotation.

import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { WebhookService } from './service.ts';
import {
  DeliveryViewSchema,
  WebhookCreatedSchema,
  WebhookRotatedSchema,
  WebhookSubscriptionBody,
  WebhookSubscriptionPatch,
  WebhookViewSchema,
} from './subscription.ts';
import { IdParams, Page, PageQuery } from '../api/schemas.ts';
import { emptyBodyIsObject } from '../api/optional-body.ts';
import { queryValidator } from '../api/query.ts';
import { BUILDERS } from '../api/roles.ts';
import { created, sendCreated } from '../api/openapi.ts';
import { IfMatchSettingsHeaders, ifMatchSettings, withSettingsTag } from '../api/if-match.ts';

const DeliveryParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 200 }),
  deliveryId: Type.String({ minLength: 1, maxLength: 200 }),
});
const RotateBody = Type.Object(
  {
    overlapMs: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 7 * 86_400_000, description: 'how long the old secret keeps signing; default 24 h' }),
    ),
  },
  { additionalProperties: false },
);
const DeliveriesQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    before: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'the `next` of the page before: older deliveries' })),
  },
  { additionalProperties: false },
);

export const webhookRoutes =
  (webhooks: WebhookService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const config = { roles: BUILDERS };
    const tags = ['webhooks'];
    app.post(
      '/webhooks',
      {
        config,
        schema: {
          tags,
          body: WebhookSubscriptionBody,
          response: created('The subscription, with its secret shown this once', { schema: WebhookCreatedSchema }),
        },
      },
      async (req, reply) => sendCreated(reply, 'webhooks', withSettingsTag(reply, await webhooks.create(req.body))),
    );
    app.get(
      '/webhooks',
      { config, schema: { tags, querystring: PageQuery, response: { 200: Page(WebhookViewSchema) } }, validatorCompiler: queryValidator },
      async (req) => webhooks.page(req.query),
    );
    app.get('/webhooks/:id', { config, schema: { tags, params: IdParams, response: { 200: WebhookViewSchema } } }, async (req, reply) =>
      withSettingsTag(reply, await webhooks.get(req.params.id)),
    );
    app.patch(
      '/webhooks/:id',
      {
        config,
        schema: {
          tags,
          params: IdParams,
          headers: IfMatchSettingsHeaders,
          body: WebhookSubscriptionPatch,
          response: { 200: WebhookViewSchema },
        },
      },
      async (req, reply) =>
        withSettingsTag(reply, await webhooks.update(req.params.id, req.body, ifMatchSettings(req.headers['if-match']))),
    );
    app.delete(
      '/webhooks/:id',
      { config, schema: { tags, params: IdParams, headers: IfMatchSettingsHeaders, response: { 200: WebhookViewSchema } } },
      async (req) => webhooks.remove(req.params.id, ifMatchSettings(req.headers['if-match'])),
    );
    app.post(
      '/webhooks/:id/rotate-secret',
      {
        config,
        schema: { tags, params: IdParams, body: RotateBody, response: { 200: WebhookRotatedSchema } },
        preValidation: emptyBodyIsObject,
      },
      // A new secret is not a setting: the tag stays, so a screen opened before the rotation can still save.
      async (req, reply) => withSettingsTag(reply, await webhooks.rotateSecret(req.params.id, req.body.overlapMs)),
    );
    app.get(
      '/webhooks/:id/deliveries',
      {
        config,
        schema: { tags, params: IdParams, querystring: DeliveriesQuery, response: { 200: Page(DeliveryViewSchema) } },
        validatorCompiler: queryValidator,
      },
      async (req) => webhooks.deliveryPage(req.params.id, req.query.limit, req.query.before),
    );
    app.post(
      '/webhooks/:id/deliveries/:deliveryId/retry',
      { config, schema: { tags, params: DeliveryParams, response: { 200: DeliveryViewSchema } }, preValidation: emptyBodyIsObject },
      async (req) => webhooks.retry(req.params.id, req.params.deliveryId),
    );
  };
