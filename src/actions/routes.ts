// Action routes: launch (safe to repeat with Idempotency-Key), read, list, timeline, and what
// operators do. Bodies and queries are validated by the schemas alone (schemas.ts).

import { CommandIdempotencyKeyHeaders, IdempotencyKeyHeaders, checkedKey, idempotencyKeyOf } from '../api/idempotency-key.ts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { queryValidator } from '../api/query.ts';
import { userOf } from '../api/user.ts';
import type { ActionService } from './service.ts';
import { ActionIdParams, ActionListQuery, CompleteBody, LaunchBody, RetryBody, TimelineQuery } from './schemas.ts';
import { OPERATORS } from '../api/roles.ts';
import { created } from '../api/openapi.ts';
import { ActionViewSchema, TimelineEntrySchema } from './views.ts';
import { Page } from '../api/schemas.ts';
import { emptyBodyIsObject } from '../api/optional-body.ts';

const LAUNCHERS = ['operator', 'builder', 'integration'] as const;

const ActionPage = Page(ActionViewSchema);
/** A timeline reads oldest first (`next` is the `after` of the next page) or newest first (`next` is its `before`); a string, as every page's `next`. */
const TimelinePage = Page(TimelineEntrySchema);

export const actionRoutes =
  (actions: ActionService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['actions'];
    app.post(
      '/actions',
      {
        config: { roles: LAUNCHERS },
        schema: {
          tags,
          headers: IdempotencyKeyHeaders,
          body: LaunchBody,
          response: created('The action', { repeat: true, schema: ActionViewSchema }),
        },
      },
      async (req, reply) => {
        const key = idempotencyKeyOf(req.headers['idempotency-key'], userOf(req));
        const r = await actions.launch(req.body, { ...(key ? { idempotencyKey: key } : {}), actor: `user:${userOf(req)}` });
        return reply
          .code(r.created ? 201 : 200)
          .header('location', `/v1/actions/${r.action.id}`)
          .send(r.action);
      },
    );
    app.get(
      '/actions',
      {
        schema: { tags, querystring: ActionListQuery, response: { 200: ActionPage } },
        validatorCompiler: queryValidator,
      },
      // `assignee=me`: the user the caller's key acts as.
      async (req) => actions.listActions(req.query, userOf(req)),
    );
    // Every command on an action answers with the action as it now is.
    const byId = { tags, params: ActionIdParams, response: { 200: ActionViewSchema } };
    app.get('/actions/:id', { schema: byId }, async (req) => actions.getAction(req.params.id));
    app.get(
      '/actions/:id/timeline',
      {
        schema: { ...byId, querystring: TimelineQuery, response: { 200: TimelinePage } },
        validatorCompiler: queryValidator,
      },
      async (req) => actions.timelinePage(req.params.id, req.query),
    );
    const config = { roles: OPERATORS };
    // No body is a plain retry; `input` corrects the action's input first, in the same write.
    // With an Idempotency-Key a repeat answers the action as it is and retries nothing again; the key is
    // kept (hashed) on the retry's timeline entry, whose actor already scopes it to the caller.
    app.post(
      '/actions/:id/retry',
      {
        config,
        schema: {
          ...byId,
          headers: CommandIdempotencyKeyHeaders,
          body: RetryBody,
          description:
            "Sends the action again (a waiting one at once), counting as a retry; `input` corrects its input first. 409: nothing to retry (an attempt in flight, a manual task, one In Progress or To Do as a manual step, closed Done Successfully), or the action is the action of a case's step an operator skipped (POST /v1/cases/{id}/steps/{name}/skip): nothing waits for it, so it is not sent; the same Idempotency-Key with another body. 422: a corrected input the action type's fields refuse, named field by field.",
        },
        preValidation: emptyBodyIsObject,
      },
      async (req) => {
        const key = checkedKey(req.headers['idempotency-key'], { reserved: false });
        return actions.retry(req.params.id, userOf(req), req.body, key === undefined ? {} : { idempotencyKey: key });
      },
    );
    app.post('/actions/:id/pause', { config, schema: byId }, async (req) => actions.pause(req.params.id, userOf(req)));
    app.post('/actions/:id/resume', { config, schema: byId }, async (req) => actions.resume(req.params.id, userOf(req)));
    app.post('/actions/:id/pick-up', { config, schema: byId }, async (req) => actions.pickUp(req.params.id, userOf(req)));
    // No body is a completion with the defaults; repeated by whoever closed it, as they did, it answers as the first time.
    app.post('/actions/:id/complete', { config, schema: { ...byId, body: CompleteBody }, preValidation: emptyBodyIsObject }, async (req) =>
      actions.complete(req.params.id, userOf(req), req.body, {
        override: req.principal?.roles.includes('admin') === true,
        repeatAnswers: true,
      }),
    );
  };
