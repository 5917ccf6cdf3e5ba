// Route schemas for POST /v1/bulk-replays, GET /v1/bulk-replays (the runs) and GET /v1/bulk-replays/{id}
// (TypeBox): request validation and the OpenAPI document.

import { type Static, Type } from '@sinclair/typebox';
import { DateTime, MaybeTime, Page, StringEnum } from '../api/schemas.ts';
import { REASONS } from '../lifecycle/states.ts';

export const MAX_REPLAY = 10_000;

const Text = (description: string) => Type.String({ minLength: 1, maxLength: 200, description });
const Instant = (description: string) => Type.String({ maxLength: 40, description });

export const ReplayFilterBody = Type.Object(
  {
    state: Type.Optional(Type.Union(['waiting', 'todo', 'in_progress', 'closed'].map((s) => Type.Literal(s)))),
    reason: Type.Optional(StringEnum(Object.values(REASONS), { description: 'reason word of To Do and In Progress actions' })),
    resolution: Type.Optional(Type.Union(['done_successfully', 'not_done_successfully'].map((s) => Type.Literal(s)))),
    actionType: Type.Optional(Text('action type id or name')),
    connector: Type.Optional(Text('connector id or name: actions of its action types')),
    caseId: Type.Optional(Text('case id')),
    queue: Type.Optional(Text('queue name')),
    since: Type.Optional(Instant('from this instant (ISO date-time with a zone), on timeField')),
    until: Type.Optional(Instant('before this instant (ISO date-time with a zone), on timeField')),
    timeField: Type.Optional(Type.Union([Type.Literal('updatedAt'), Type.Literal('closedAt')], { default: 'updatedAt' })),
  },
  { additionalProperties: false },
);

export const BulkReplayBody = Type.Object(
  {
    filter: ReplayFilterBody,
    operation: Type.Union([Type.Literal('retry'), Type.Literal('close')]),
    resolution: Type.Optional(
      Type.Union([Type.Literal('done_successfully'), Type.Literal('not_done_successfully')], { description: 'required to close' }),
    ),
    note: Type.Optional(Type.String({ maxLength: 2000, description: 'kept on each closed action’s timeline' })),
    dryRun: Type.Optional(Type.Boolean({ default: false, description: 'count and sample, change nothing' })),
    max: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_REPLAY,
        default: MAX_REPLAY,
        description: 'actions changed by this run at most, oldest first',
      }),
    ),
    selection: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description:
          'a run: the `selection.id` its dry run answered; the run acts on the actions that preview matched and no others (each still checked against the filter), once, for the operator who previewed',
      }),
    ),
  },
  { additionalProperties: false },
);
export type BulkReplayBody = Static<typeof BulkReplayBody>;

const Operation = Type.Union([Type.Literal('retry'), Type.Literal('close')]);
const Maybe = Type.Union([Type.String(), Type.Null()]);

/** A request as a retry would send it now, secrets masked; or why it would not be sent. */
const SampleRequest = Type.Object(
  {
    id: Type.String({ description: 'the action' }),
    request: Type.Optional(
      Type.Object(
        {
          method: Type.String(),
          url: Type.String(),
          headers: Type.Record(Type.String(), Type.String(), {
            description: 'credential headers show [redacted]; those the connector’s authentication adds are named, not shown',
          }),
          body: Type.Union([Type.String(), Type.Null()]),
        },
        { additionalProperties: false },
      ),
    ),
    error: Type.Optional(Type.String({ description: 'why this action’s retry would send nothing (invalid input, a refused destination)' })),
  },
  { additionalProperties: false },
);

/** A dry run: how many actions match, and the first ten. */
const DryRunReport = Type.Object(
  {
    dryRun: Type.Literal(true),
    operation: Operation,
    count: Type.Integer({ minimum: 0 }),
    byState: Type.Optional(
      Type.Record(Type.String(), Type.Integer({ minimum: 0 }), {
        description:
          'the matching actions counted by state and reason or resolution, e.g. {"todo/request_rejected": 12, "closed/not_done_successfully": 3}',
      }),
    ),
    requests: Type.Optional(
      Type.Array(SampleRequest, {
        description: 'retry only: the requests the first three matching actions’ retries would send now, rendered and not sent',
      }),
    ),
    selection: Type.Optional(
      Type.Object(
        {
          id: Type.String({ description: 'send as `selection` in the run to act on exactly these actions' }),
          count: Type.Integer({ minimum: 0, description: 'the actions kept: those matching now, up to `max`' }),
          previewedAt: DateTime,
          expiresAt: Type.String({ format: 'date-time', description: 'after this the run is refused: preview again' }),
        },
        { additionalProperties: false, description: 'the matching actions as of this preview, kept for one run by you' },
      ),
    ),
    sample: Type.Array(
      Type.Object(
        {
          id: Type.String(),
          actionType: Maybe,
          state: Type.String(),
          reason: Maybe,
          resolution: Maybe,
          updatedAt: Maybe,
          closedAt: Maybe,
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** A run: what was done to each action, and how many matching actions are left beyond `max`. */
const RunReport = Type.Object(
  {
    dryRun: Type.Literal(false),
    id: Type.Optional(Type.String({ description: 'the run: its report is at GET /v1/bulk-replays/{id}' })),
    operation: Operation,
    count: Type.Integer({ minimum: 0 }),
    done: Type.Integer({ minimum: 0 }),
    skipped: Type.Integer({ minimum: 0 }),
    remaining: Type.Integer({ minimum: 0, description: 'matching actions beyond `max`: run again for the next ones' }),
    items: Type.Array(
      Type.Object(
        { id: Type.String(), status: Type.Union([Type.Literal('done'), Type.Literal('skipped')]), reason: Type.Optional(Type.String()) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const BulkReplayReportSchema = Type.Union([DryRunReport, RunReport]);
export type BulkReplayReport = Static<typeof BulkReplayReportSchema>;

// Query values arrive as text (the server does not coerce types): digits, range checked by the route.
export const RunQuery = Type.Object(
  {
    afterItem: Type.Optional(
      Type.String({ pattern: '^[0-9]{1,9}$', description: 'items after this item number (the nextItem of a page)' }),
    ),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$', description: 'items in the page, 1 to 10000 (default 1000)' })),
  },
  { additionalProperties: false },
);

/** A run as kept: its request, who ran it, and its totals so far (the list shows these; its own page adds items). */
const RunFields = {
  id: Type.String(),
  operation: Operation,
  status: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed'), Type.Literal('interrupted')], {
    description:
      'running: still going (it moves updatedAt each minute); interrupted: its node stopped mid-run (it had not moved for 10 minutes; `error` says when), the items are what it did',
  }),
  createdBy: Type.String(),
  createdAt: DateTime,
  updatedAt: DateTime,
  finishedAt: MaybeTime,
  request: Type.Object(
    {
      filter: ReplayFilterBody,
      operation: Operation,
      resolution: Type.Optional(Type.String()),
      note: Type.Optional(Type.String()),
      max: Type.Optional(Type.Integer()),
      selection: Type.Optional(Type.String({ description: 'the preview it acted on' })),
    },
    { additionalProperties: false },
  ),
  count: Type.Integer({ minimum: 0, description: 'actions matching when it started' }),
  done: Type.Integer({ minimum: 0 }),
  skipped: Type.Integer({ minimum: 0 }),
  remaining: Type.Integer({ minimum: 0 }),
  error: Type.Union([Type.String(), Type.Null()], { description: 'why a failed run stopped, or when an interrupted one did' }),
};

export const BulkReplayRunSummarySchema = Type.Object(RunFields, {
  additionalProperties: false,
  description: 'a run without its items; runs are kept 30 days after they last moved, then deleted',
});
export type BulkReplayRunSummary = Static<typeof BulkReplayRunSummarySchema>;

/** A run as kept, with a page of its items. */
export const BulkReplayRunSchema = Type.Object(
  {
    ...RunFields,
    items: Type.Array(
      Type.Object(
        {
          n: Type.Integer({ minimum: 1, description: 'its place in the run' }),
          id: Type.String(),
          status: Type.Union([Type.Literal('done'), Type.Literal('skipped')]),
          reason: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    nextItem: Type.Union([Type.Integer(), Type.Null()], { description: 'pass as `afterItem` for the next page; null on the last' }),
  },
  { additionalProperties: false },
);
export type BulkReplayRun = Static<typeof BulkReplayRunSchema>;

/** GET /v1/bulk-replays: newest first; `next` is the `before` of the following page. */
export const RunListQuery = Type.Object(
  {
    createdBy: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'admins: the runs of this user (as `createdBy` shows them)' }),
    ),
    before: Type.Optional(Type.String({ maxLength: 100, description: 'runs older than this one: the `next` of the previous page' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'runs in the page' })),
  },
  { additionalProperties: false },
);
export type RunListQuery = Static<typeof RunListQuery>;

export const BulkReplayRunPage = Page(BulkReplayRunSummarySchema);
