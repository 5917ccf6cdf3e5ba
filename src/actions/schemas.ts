// Request schemas of the action routes (TypeBox): the one place a launch, a list query and an
// operator's completion are validated, and their OpenAPI description. Size and depth limits of the
// JSON an outside caller sends stay domain checks (launch-limits.ts).

import { Type, type Static } from '@sinclair/typebox';
import { PHASES, REASONS, RESOLUTIONS, STATES } from '../lifecycle/states.ts';
import { StringEnum } from '../api/schemas.ts';
import { MAX_TEXT_CHARS } from '../json-limits.ts';
import { TIMELINE_KINDS } from '../lifecycle/action.ts';

/** One of the words: a JSON Schema `enum`, so a wrong value is one error naming the field, not one per word. */
export const ActionIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200, description: 'action id' }) });
export type ActionIdParams = Static<typeof ActionIdParams>;

/** The default and largest page of a timeline. */
export const TIMELINE_PAGE = 1000;

export const TimelineQuery = Type.Object(
  {
    // Bounded: PostgreSQL's bigint refused a larger one (a 500) where SQLite answered an empty page.
    after: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'entries after this `seq` (the `next` of the page before)',
      }),
    ),
    before: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'entries before this `seq` (with `order=newest`, the `next` of the page before)',
      }),
    ),
    order: Type.Optional(
      StringEnum(['oldest', 'newest'], {
        description: 'oldest first (the default; `next` is the `after` of the next page) or newest first (`next` is its `before`)',
      }),
    ),
    kind: Type.Optional(StringEnum(TIMELINE_KINDS, { description: 'only entries of this kind (e.g. `message` for the notes)' })),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: TIMELINE_PAGE, description: `entries in the page (default ${TIMELINE_PAGE})` }),
    ),
  },
  { additionalProperties: false },
);
export type TimelineQuery = Static<typeof TimelineQuery>;

export const LaunchBody = Type.Object(
  {
    actionType: Type.String({ minLength: 1, description: 'action type id or name' }),
    input: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'the action type’s fields; at most 256 KB as JSON, nested at most 32 levels',
      }),
    ),
    caseId: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'the case the outcome merges into' })),
    startAt: Type.Optional(
      Type.Union(
        [
          Type.String({ description: 'ISO date-time with a time zone, e.g. 2026-12-01T09:00:00Z' }),
          Type.Number({ description: 'epoch milliseconds' }),
        ],
        { description: 'send no earlier than this; at once when absent' },
      ),
    ),
  },
  { additionalProperties: false },
);
/** A launch, from the API or a program embedding Callout. */
export type LaunchRequest = Static<typeof LaunchBody>;

export const CompleteBody = Type.Object(
  {
    resolution: Type.Optional(
      StringEnum(Object.values(RESOLUTIONS), { description: 'how the operator closes the action; done_successfully when absent' }),
    ),
    note: Type.Optional(Type.String({ maxLength: MAX_TEXT_CHARS, description: 'shown on the timeline' })),
  },
  { additionalProperties: false },
);
export type CompleteBody = Static<typeof CompleteBody>;

export const RetryBody = Type.Object(
  {
    input: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          'corrections to the action’s input, sent with this retry: each field given replaces the one there, a field given as null is removed; the result is checked against the action type’s fields as a launch is (at most 256 KB as JSON)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type RetryBody = Static<typeof RetryBody>;

export const ActionListQuery = Type.Object(
  {
    state: Type.Optional(StringEnum(Object.values(STATES), { description: 'state word' })),
    phase: Type.Optional(StringEnum(Object.values(PHASES), { description: 'phase word' })),
    reason: Type.Optional(StringEnum(Object.values(REASONS), { description: 'reason word of To Do and In Progress actions' })),
    resolution: Type.Optional(StringEnum(Object.values(RESOLUTIONS), { description: 'resolution word of closed actions' })),
    actionType: Type.Optional(Type.String({ description: 'action type id or name' })),
    connector: Type.Optional(Type.String({ minLength: 1, description: 'connector id or name: actions of its action types' })),
    q: Type.Optional(
      Type.String({
        maxLength: 200,
        description:
          "text in the input JSON, the external reference, or its case's title or data (the newest 200 cases that hold it; case-insensitive, on SQLite for ASCII letters only; a scan)",
      }),
    ),
    caseId: Type.Optional(Type.String()),
    queue: Type.Optional(Type.String()),
    assignee: Type.Optional(Type.String()),
    unassigned: Type.Optional(Type.Boolean({ description: 'true: only actions nobody is assigned to' })),
    externalReference: Type.Optional(Type.String()),
    escalated: Type.Optional(Type.Boolean()),
    due: Type.Optional(
      StringEnum(['overdue'] as const, { description: 'overdue: To Do and In Progress actions whose `dueAt` has passed' }),
    ),
    dueBefore: Type.Optional(
      Type.String({
        maxLength: 64,
        description: 'only actions whose `dueAt` is before this date-time with a time zone (e.g. 2026-12-01T09:00:00Z); none without one',
      }),
    ),
    sort: Type.Optional(
      StringEnum(['newest', 'due'] as const, {
        description: 'newest first (the default), or `due`: only actions with a `dueAt`, the earliest due first',
      }),
    ),
    before: Type.Optional(
      Type.String({
        maxLength: 200,
        description: 'the `next` of the previous page (the id of its last action; with `sort=due`, its due time and id)',
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'page size' })),
  },
  { additionalProperties: false },
);
export type ActionListQuery = Static<typeof ActionListQuery>;
