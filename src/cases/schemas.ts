// Request schemas of the case routes (TypeBox). The size and depth of `data` stay domain checks.

import { Type, type Static } from '@sinclair/typebox';
import { DateTime, StringEnum } from '../api/schemas.ts';
import { MAX_TEXT_CHARS } from '../json-limits.ts';
import { STEP_OUTCOMES, STEP_STATUSES } from '../processes/runner.ts';
import { MAX_STEP_SKIP_NOTE } from '../processes/step-skip.ts';
import { CASE_HISTORY_KEPT, CASE_HISTORY_KINDS, HISTORY_FIELDS_MAX, HISTORY_TEXT_MAX } from '../processes/case-history.ts';

export const CaseIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200, description: 'case id' }) });
export type CaseIdParams = Static<typeof CaseIdParams>;

export const CaseStepParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 200, description: 'case id' }),
  name: Type.String({ minLength: 1, maxLength: 64, description: "the step's name in the case's process" }),
});
export type CaseStepParams = Static<typeof CaseStepParams>;

const Data = Type.Record(Type.String(), Type.Unknown(), {
  description: 'case data (what action outcomes and map steps merge into); at most 256 KB as JSON, nested at most 32 levels',
});
const Owner = Type.Union([Type.String({ maxLength: 200 }), Type.Null()], { description: 'the user who receives escalations' });
const Title = Type.String({ minLength: 1, maxLength: 500 });
const QueueRef = Type.String({ minLength: 1, maxLength: 100, description: 'an existing queue, by name (a queue is named by its name)' });
const Queue = Type.Union([QueueRef, Type.Null()], {
  description:
    "the case's own queue: where its work goes when nothing else names one (a manual step without a queue, an action whose type's allocation names none, a task added to the case); null for none",
});

export const CaseBody = Type.Object(
  {
    process: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'process id or name; absent for a plain case' })),
    title: Type.Optional(Title),
    data: Type.Optional(Data),
    owner: Type.Optional(Owner),
    queue: Type.Optional(Queue),
  },
  { additionalProperties: false },
);
export type CaseBody = Static<typeof CaseBody>;

export const CasePatchBody = Type.Object(
  {
    title: Type.Optional(Title),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'shallow-merged into the case data' })),
    owner: Type.Optional(Owner),
    queue: Type.Optional(Queue),
  },
  { additionalProperties: false },
);
export type CasePatchBody = Static<typeof CasePatchBody>;

export const CaseListQuery = Type.Object(
  {
    status: Type.Optional(StringEnum(['open', 'closed'] as const, { description: 'open or closed' })),
    owner: Type.Optional(Type.String({ maxLength: 200 })),
    queue: Type.Optional(
      Type.String({ maxLength: 200, description: 'cases whose own queue this is, or with an open action (To Do, In Progress) on it' }),
    ),
    process: Type.Optional(Type.String({ maxLength: 200, description: 'process id or name' })),
    escalated: Type.Optional(Type.Boolean({ description: 'cases one of whose actions is escalated (true), or none (false)' })),
    stopped: Type.Optional(
      Type.Boolean({
        description:
          'open cases stopped at a failed step with onFailure stop, waiting for an operator to retry or skip it (true), or cases not stopped (false: going on, waiting, or closed)',
      }),
    ),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'text in the title or the data' })),
    before: Type.Optional(Type.String({ maxLength: 200, description: 'the `next` of the previous page' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  },
  { additionalProperties: false },
);
export type CaseListQuery = Static<typeof CaseListQuery>;

/** A case as the API gives it: the schema is the type (CaseView) and the OpenAPI document's. */
export const CaseViewSchema = Type.Object(
  {
    id: Type.String(),
    process: Type.Union([Type.String(), Type.Null()], {
      description:
        "the process it runs, by the process's name now (the one it started with if the process is gone); null for a case without one",
    }),
    title: Type.Union([Type.String(), Type.Null()]),
    status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
    data: Type.Record(Type.String(), Type.Unknown()),
    owner: Type.Union([Type.String(), Type.Null()]),
    queue: Type.Union([Type.String(), Type.Null()], { description: "the case's own queue, by name; null when it has none" }),
    escalated: Type.Boolean(),
    steps: Type.Array(
      Type.Object(
        {
          name: Type.String(),
          kind: Type.String({ description: 'the step kind of the process definition' }),
          status: StringEnum(Object.values(STEP_STATUSES)),
          actionId: Type.Union([Type.String(), Type.Null()]),
          outcome: Type.Union([StringEnum(Object.values(STEP_OUTCOMES)), Type.Null()]),
          error: Type.Union([Type.String(), Type.Null()], {
            description:
              "why the step failed (an expression that failed or timed out, data too large to merge, its output too large to keep with the case's other step outputs (1 MB together), its action closed Not Done), also on a failed step an operator skipped; null otherwise",
          }),
          retried: Type.Optional(
            Type.Object(
              {
                count: Type.Integer({ description: 'how many times operators retried the step' }),
                at: DateTime,
                by: Type.String({ description: 'the user who retried it last' }),
              },
              {
                additionalProperties: false,
                description: "operators' retries of the step (POST /v1/cases/{id}/steps/{name}/retry); absent when never retried",
              },
            ),
          ),
          skipped: Type.Optional(
            Type.Object(
              {
                at: DateTime,
                by: Type.String({ description: 'the user who skipped it' }),
                note: Type.Union([Type.String(), Type.Null()], { description: 'why, as the operator wrote it; null when none was given' }),
              },
              {
                additionalProperties: false,
                description:
                  "an operator's skip of the failed step (POST /v1/cases/{id}/steps/{name}/skip); absent when no one skipped it (a `when` that was false skips a step too, without it)",
              },
            ),
          ),
        },
        { additionalProperties: false },
      ),
      { description: "the process's steps as this case has run them" },
    ),
    stoppedAt: Type.Union(
      [
        Type.Object(
          {
            step: Type.String({ description: 'the failed step' }),
            error: Type.Union([Type.String(), Type.Null()], { description: 'why it failed, as the step says' }),
            at: DateTime,
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      {
        description:
          'the failed step (onFailure stop) the open case stopped at, waiting for an operator to retry or skip it (POST /v1/cases/{id}/steps/{name}/retry|skip) or to fix its action; its owner is told (notification case.stopped) and webhook subscribers get case.stopped. Null when the case is not stopped: going on, waiting for an action or a person, or closed',
      },
    ),
    createdAt: DateTime,
    updatedAt: DateTime,
    closedAt: Type.Union([DateTime, Type.Null()]),
  },
  { additionalProperties: false },
);
export type CaseView = Static<typeof CaseViewSchema>;

/** POST /v1/cases/{id}/steps/{name}/skip: why, optionally. */
export const CaseStepSkipBody = Type.Object(
  {
    note: Type.Optional(
      Type.String({
        maxLength: MAX_STEP_SKIP_NOTE,
        description: `why the step is skipped, shown on the step; at most ${MAX_STEP_SKIP_NOTE} characters`,
      }),
    ),
  },
  { additionalProperties: false },
);
export type CaseStepSkipBody = Static<typeof CaseStepSkipBody>;

/** POST /v1/cases/{id}/tasks: a task added to the case by hand. */
export const CaseTaskBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 500, description: 'what the task asks; lists and cards show it' }),
    queue: Type.Optional({ ...QueueRef, description: "the queue it goes to; absent: the case's own queue (422 when the case has none)" }),
    assignee: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description:
          'an existing, enabled user ("me" for the caller) who is a member of the queue; absent: the queue\'s allocation decides. Naming one needs the operator role (403 for an integration key); a task given to a person on a queue integrated with a provider stays theirs and is not submitted to it',
      }),
    ),
    note: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_TEXT_CHARS, description: "put on the task's timeline, by the caller" })),
    dueAt: Type.Optional(
      Type.Union([Type.String({ maxLength: 64 }), Type.Null()], {
        description: 'when the task is due: a date-time with a time zone (e.g. 2026-12-01T09:00:00Z); absent or null: no due time',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CaseTaskBody = Static<typeof CaseTaskBody>;

/** GET /v1/cases/{id}/history: newest first, `before` the `next` of the page before. */
export const CaseHistoryQuery = Type.Object(
  {
    // Bounded: PostgreSQL's bigint would refuse a larger one (a 500), as the action timeline's `before`.
    before: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'entries before this `seq`: the `next` of the page before',
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'page size' })),
  },
  { additionalProperties: false },
);
export type CaseHistoryQuery = Static<typeof CaseHistoryQuery>;

export const CaseHistoryEntrySchema = Type.Object(
  {
    seq: Type.Integer({ description: "the entry's place in the case's history; pass it as `before` for older entries" }),
    at: DateTime,
    kind: StringEnum(CASE_HISTORY_KINDS, {
      description:
        'case_created; step_started (a step began, or began again after its action was retried); step_waiting (it went to a person); step_done; step_failed; step_skipped (by an operator, with their note, or by a `when` that was false); step_retried (an operator ran a failed step again); case_escalated; case_closed (by its process finishing, or by a request); data_changed, owner_changed, queue_changed, title_changed (a PATCH)',
    }),
    step: Type.Union([Type.String(), Type.Null()], { description: 'the step it is about; null for the case as a whole' }),
    actor: Type.String({
      description:
        '`system` (Callout, the process moving on) or `user:<name>`: the person, or the API key acting under its own name (`user:key:<name>`)',
    }),
    detail: Type.Record(Type.String(), Type.Unknown(), {
      description: `small and bounded: a step's status before (\`from\`), its error (at most ${HISTORY_TEXT_MAX} characters), an operator's skip \`note\`, a retry's \`count\`, a map step's or a PATCH's changed data field NAMES (at most ${HISTORY_FIELDS_MAX}, \`more\` counting the rest; never their values), an owner's, queue's or title's \`from\` and \`to\`, a close's \`by\` (process or request)`,
    }),
  },
  { additionalProperties: false, description: `one thing that happened to a case; the newest ${CASE_HISTORY_KEPT} of a case are kept` },
);
export type CaseHistoryEntry = Static<typeof CaseHistoryEntrySchema>;
