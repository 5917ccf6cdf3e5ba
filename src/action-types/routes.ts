// Action types: POST/GET/PATCH /v1/action-types, 'Test action' and the JSON Schema of their fields.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ActionTypeService } from './service.ts';
import { ActionTypeBody, ActionTypeCreateBody, ActionTypeViewSchema, TestActionBody, TestActionResultSchema } from './schemas.ts';
import { IdParams, Page, PageQuery } from '../api/schemas.ts';
import { queryValidator } from '../api/query.ts';
import { userOf } from '../api/user.ts';
import { BUILDERS } from '../api/roles.ts';
import { created, sendCreated } from '../api/openapi.ts';
import { asReadBy } from '../api/plain-headers.ts';
import { IfMatchHeaders, ifMatchGuard, withETag } from '../api/if-match.ts';

export const actionTypesRoutes =
  (actionTypes: ActionTypeService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['action types'];
    app.post(
      '/action-types',
      {
        config: { roles: BUILDERS },
        schema: { tags, body: ActionTypeCreateBody, response: created('The action type', { schema: ActionTypeViewSchema }) },
      },
      async (req, reply) => sendCreated(reply, 'action-types', withETag(reply, await actionTypes.create(req.body))),
    );
    app.get(
      '/action-types',
      { schema: { tags, querystring: PageQuery, response: { 200: Page(ActionTypeViewSchema) } }, validatorCompiler: queryValidator },
      async (req) => {
        const page = await actionTypes.page(req.query);
        return { ...page, items: page.items.map((t) => asReadBy(req, t)) };
      },
    );
    app.get('/action-types/:id', { schema: { tags, params: IdParams, response: { 200: ActionTypeViewSchema } } }, async (req, reply) =>
      withETag(reply, asReadBy(req, await actionTypes.get(req.params.id))),
    );
    app.patch(
      '/action-types/:id',
      {
        config: { roles: BUILDERS },
        schema: { tags, params: IdParams, headers: IfMatchHeaders, body: ActionTypeBody, response: { 200: ActionTypeViewSchema } },
      },
      async (req, reply) =>
        withETag(
          reply,
          await actionTypes.update(req.params.id, req.body, `user:${userOf(req)}`, 'merge', ifMatchGuard(req.headers['if-match'])),
        ),
    );
    app.post(
      '/action-types/:id/test',
      { config: { roles: BUILDERS }, schema: { tags, params: IdParams, body: TestActionBody, response: { 200: TestActionResultSchema } } },
      async (req) => actionTypes.testAction(req.params.id, req.body),
    );
    const schemaAnswer = {
      description: "the action type's input as JSON Schema",
      content: { 'application/schema+json': { schema: { type: 'object' } } },
    };
    app.get('/action-types/:id/schema', { schema: { tags, params: IdParams, response: { 200: schemaAnswer } } }, async (req, reply) =>
      reply.type('application/schema+json').send(await actionTypes.schema(req.params.id)),
    );
  };
