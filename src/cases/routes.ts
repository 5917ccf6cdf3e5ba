// Case routes: create (safe to repeat with Idempotency-Key), read with steps and actions, list and
// search, change and close.

import { IdempotencyKeyHeaders, checkedKey, idempotencyKeyOf } from '../api/idempotency-key.ts';
import { OPERATORS } from '../api/roles.ts';
import { userOf } from '../api/user.ts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { queryValidator } from '../api/query.ts';
import type { CaseService } from './service.ts';
import {
  CaseBody,
  CaseHistoryEntrySchema,
  CaseHistoryQuery,
  CaseIdParams,
  CaseListQuery,
  CasePatchBody,
  CaseStepParams,
  CaseStepSkipBody,
  CaseTaskBody,
  CaseViewSchema,
} from './schemas.ts';
import { emptyBodyIsObject } from '../api/optional-body.ts';
import type { CaseTaskService } from './tasks.ts';
import { created } from '../api/openapi.ts';
import { Type } from '@sinclair/typebox';
import { ActionViewSchema } from '../actions/views.ts';
import { CalloutError } from '../errors.ts';
import { Page } from '../api/schemas.ts';

const CASE_WRITERS = ['operator', 'integration'] as const;
const CASE_READERS = ['operator', 'integration', 'builder'] as const;

const CaseWithActions = Type.Object(
  {
    ...CaseViewSchema.properties,
    actions: Type.Array(ActionViewSchema, {
      description: "the case's newest actions and tasks: at most 500, and the answer stops at about 4 MB",
    }),
    actionsNext: Type.Union([Type.String(), Type.Null()], {
      description:
        'null when `actions` holds them all; else some were left out: pass it as `before` to GET /v1/actions?caseId= for the rest',
    }),
  },
  { additionalProperties: false },
);
const CasePage = Page(CaseViewSchema);

/** The header of a step's retry: a repeat answers the case as it now is. */
const StepRetryKeyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    // Its length is checked by checkedKey (a 422 naming Idempotency-Key).
    Type.String({
      description:
        "Makes the retry safe to repeat (its answer lost, a double submit, several at once, on any node): the same key from the same caller answers the case as it is now and runs nothing again. Kept hashed on the step (not shown); recognised among the step's latest 10 retries sent with a key (another key, or none, is another retry). 1–200 characters.",
    }),
  ),
});

/** The header of a step's skip: a repeat answers the case as it now is. */
const StepSkipKeyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    // Its length is checked by checkedKey (a 422 naming Idempotency-Key).
    Type.String({
      description:
        'Makes the skip safe to repeat (its answer lost, a double submit, several at once, on any node): the same key from the same caller with the same note answers the case as it is now with 200 (with another note, a 409); without a key, a repeat is a 409 (already skipped). Kept hashed on the step (not shown). 1–200 characters.',
    }),
  ),
});

export const caseRoutes =
  (cases: CaseService, caseTasks: CaseTaskService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['cases'];
    app.post(
      '/cases',
      {
        config: { roles: CASE_WRITERS },
        schema: {
          tags,
          headers: IdempotencyKeyHeaders,
          body: CaseBody,
          response: created('The case', { repeat: true, schema: CaseWithActions }),
        },
      },
      async (req, reply) => {
        const user = userOf(req);
        const key = idempotencyKeyOf(req.headers['idempotency-key'], user);
        const r = await cases.createCase(req.body, { ...(key ? { idempotencyKey: key } : {}), user });
        return reply
          .code(r.created ? 201 : 200)
          .header('location', `/v1/cases/${r.case.id}`)
          .send(r.case);
      },
    );
    app.get(
      '/cases',
      {
        config: { roles: CASE_READERS },
        schema: { tags, querystring: CaseListQuery, response: { 200: CasePage } },
        validatorCompiler: queryValidator,
      },
      async (req) => cases.listCases(req.query),
    );
    // The case with its actions, as it now is.
    const byId = { tags, params: CaseIdParams, response: { 200: CaseWithActions } };
    app.get('/cases/:id', { config: { roles: CASE_READERS }, schema: byId }, async (req) => cases.getCase(req.params.id));
    app.get(
      '/cases/:id/history',
      {
        config: { roles: CASE_READERS },
        schema: {
          tags,
          params: CaseIdParams,
          querystring: CaseHistoryQuery,
          response: { 200: Page(CaseHistoryEntrySchema) },
          description:
            "What happened to the case, by whom and when, newest first: its creation, each step's start, wait for a person, done, failure (with its error), skip (an operator's with their note, or a `when` that was false) and an operator's retry, its escalation, its close, and each PATCH (data by field names only, never values; owner, queue, title). Case-level only: each attempt of a step's action is on the action's timeline (GET /v1/actions/{id}/timeline). Written with the change it records. 404: no such case; 422: a `limit` not of 1–500 or a `before` that is not a `seq`.",
        },
        validatorCompiler: queryValidator,
      },
      async (req) => cases.history(req.params.id, req.query),
    );
    app.patch('/cases/:id', { config: { roles: CASE_WRITERS }, schema: { ...byId, body: CasePatchBody } }, async (req) =>
      cases.updateCase(req.params.id, req.body, userOf(req)),
    );
    // A task added by hand: whoever may change the case may add work to it.
    app.post(
      '/cases/:id/tasks',
      {
        config: { roles: CASE_WRITERS },
        schema: {
          tags,
          params: CaseIdParams,
          headers: IdempotencyKeyHeaders,
          body: CaseTaskBody,
          response: created('The task: an action with no action type, To Do / Manual', { repeat: true, schema: ActionViewSchema }),
        },
      },
      async (req, reply) => {
        // Giving work to a person is an operator's (POST /v1/actions/{id}/assign): an integration's
        // key adds the task for its queue to allocate, and may not name who does it. On a queue
        // allocated by `owner` the queue gives it to the case's owner, whom a key that may change the
        // case (an integration's, as a CRM's that keeps its cases' owners) may set: the queue's rule.
        const roles = req.principal?.roles ?? [];
        if (req.body.assignee !== undefined && !roles.includes('operator') && !roles.includes('admin'))
          throw new CalloutError(
            'FORBIDDEN',
            'Naming an assignee gives the task to a person, which needs the operator role; leave assignee out and the queue allocates it',
            [{ field: 'assignee', message: 'needs the operator role: an integration key leaves the task to its queue' }],
          );
        const user = userOf(req);
        const key = idempotencyKeyOf(req.headers['idempotency-key'], user);
        const r = await caseTasks.addTask(req.params.id, req.body, user, key ? { idempotencyKey: key } : {});
        return reply
          .code(r.created ? 201 : 200)
          .header('location', `/v1/actions/${r.task.id}`)
          .send(r.task);
      },
    );
    app.post('/cases/:id/close', { config: { roles: CASE_WRITERS }, schema: byId }, async (req) =>
      cases.closeCase(req.params.id, userOf(req)),
    );
    // A failed step with no action to retry (its expression or `when` failed, its task closed Not Done), run again over the case's
    // data as it now is: an operator's, as an action's retry is. With an Idempotency-Key a repeat answers
    // the case as it is and runs nothing again; the key is kept (hashed) on the step.
    app.post(
      '/cases/:id/steps/:name/retry',
      {
        config: { roles: OPERATORS },
        schema: {
          tags,
          params: CaseStepParams,
          headers: StepRetryKeyHeaders,
          response: { 200: CaseWithActions },
          description:
            "Runs a failed step again, as the first time, over the case's data as it now is and with the process the case started with. Only a step the case stopped at (onFailure stop) with no action to retry: its expression or its `when` failed, or it is a manual step whose task was closed Not Done Successfully (it gets a new task; the closed one stays). 404: no such case or step; 409: the case is closed, or the step is not failed, failed with its action (retry the action), or failed with onFailure continue; 422: a step name over 64 characters or an Idempotency-Key not of 1–200 characters.",
        },
      },
      async (req) => {
        const key = checkedKey(req.headers['idempotency-key'], { reserved: false });
        return cases.retryStep(req.params.id, req.params.name, userOf(req), key === undefined ? {} : { idempotencyKey: key });
      },
    );
    // A failed step the case stopped at, given up for good (nothing can move it, or it is not needed
    // after all): the case goes on as past a `when` that was false. An operator's, as the retry is.
    app.post(
      '/cases/:id/steps/:name/skip',
      {
        config: { roles: OPERATORS },
        schema: {
          tags,
          params: CaseStepParams,
          headers: StepSkipKeyHeaders,
          body: CaseStepSkipBody,
          response: { 200: CaseWithActions },
          description:
            "Skips a failed step the case stopped at (onFailure stop), whatever it failed with (its expression, its action or task closed Not Done, or an output too large to keep): the step becomes `skipped`, records `skipped` {at, by, note}, and the case goes on to its next steps as after a `when` that was false, closing if it was the last. It cannot be undone. A step's action stays closed as it was, and is not retried any more (POST /v1/actions/{id}/retry of it is a 409): nothing waits for it. 404: no such case or step; 409: the case is closed, the step is already skipped, waiting for a person (complete its task instead), running, pending, done, or failed with onFailure continue, or its action was retried since it failed and the case has not heard of it yet (of a retry and a skip that meet, the second is refused); 422: a note over 1000 characters, a step name over 64 characters or an Idempotency-Key not of 1–200 characters.",
        },
        preValidation: emptyBodyIsObject,
      },
      async (req) => {
        const key = checkedKey(req.headers['idempotency-key'], { reserved: false });
        return cases.skipStep(req.params.id, req.params.name, userOf(req), {
          ...(req.body.note !== undefined ? { note: req.body.note } : {}),
          ...(key !== undefined ? { idempotencyKey: key } : {}),
        });
      },
    );
  };
