// Route schemas for POST /v1/bulk-replays (TypeBox): request validation and the OpenAPI document.

import { type Static, Type } from '@sinclair/typebox';
import { StringEnum } from '../api/schemas.ts';
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
  },
  { additionalProperties: false },
);
export type BulkReplayBody = Static<typeof BulkReplayBody>;

const Operation = Type.Union([Type.Literal('retry'), Type.Literal('close')]);
const Maybe = Type.Union([Type.String(), Type.Null()]);

/** A dry run: how many actions match, and the first ten. */
const DryRunReport = Type.Object(
  {
    dryRun: Type.Literal(true),
    operation: Operation,
    count: Type.Integer({ minimum: 0 }),
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
