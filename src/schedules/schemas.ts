// Route schemas for /v1/schedules (TypeBox): request validation and the OpenAPI document.

import { type Static, Type } from '@sinclair/typebox';
import { DateTime } from '../api/schemas.ts';

const ActionLaunch = Type.Object(
  {
    actionType: Type.String({ minLength: 1, maxLength: 200, description: 'action type id or name' }),
    input: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

const CaseLaunch = Type.Object(
  {
    process: Type.String({ minLength: 1, maxLength: 200, description: 'process id or name' }),
    title: Type.Optional(Type.String({ maxLength: 500 })),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    owner: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

/** A case launch as stored and shown: a title or owner not given is null. */
const CaseLaunchView = Type.Object(
  {
    process: Type.String({ description: "the process's id (a rename does not break the schedule)" }),
    title: Type.Union([Type.String(), Type.Null()]),
    data: Type.Record(Type.String(), Type.Unknown()),
    owner: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);

export const ScheduleBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    cron: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'five-part cron, e.g. "0 8 * * 1-5", six-part with seconds first, or @daily',
    }),
    timezone: Type.Optional(Type.String({ maxLength: 100, default: 'UTC', description: 'IANA time zone, e.g. Europe/Amsterdam' })),
    launch: Type.Union([ActionLaunch, CaseLaunch]),
    paused: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);
export type ScheduleBody = Static<typeof ScheduleBody>;

/** PATCH /v1/schedules/{id}: any of the fields, without defaults (a default here would overwrite the stored value). */
export const SchedulePatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    cron: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    timezone: Type.Optional(Type.String({ maxLength: 100 })),
    launch: Type.Optional(Type.Union([ActionLaunch, CaseLaunch])),
    paused: Type.Optional(Type.Boolean({ description: 'true pauses, false resumes (the next run is after now)' })),
  },
  { additionalProperties: false },
);
export type SchedulePatch = Static<typeof SchedulePatch>;

/** A schedule as the API gives it. */
export const ScheduleViewSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    cron: Type.String(),
    timezone: Type.String(),
    launch: Type.Union([ActionLaunch, CaseLaunchView], {
      description: 'what each tick launches (an action type by its id, or a case of a process by its id)',
    }),
    paused: Type.Boolean(),
    nextRunAt: Type.Union([DateTime, Type.Null()], { description: 'null while paused or when the pattern has no run left' }),
    lastTickAt: Type.Union([DateTime, Type.Null()]),
    createdBy: Type.String(),
    createdAt: DateTime,
    updatedAt: DateTime,
    etag: Type.String({
      description:
        'the entity tag of what a builder chose (name, cron, timezone, launch, paused), as the ETag header gives it: send it back in If-Match to change the schedule only if nobody did since; ticks (nextRunAt, lastTickAt) do not change it',
    }),
  },
  { additionalProperties: false },
);
export type ScheduleView = Static<typeof ScheduleViewSchema>;

/** One tick: which node claimed it, and what it launched or why it could not. */
export const TickViewSchema = Type.Object(
  {
    tickAt: DateTime,
    claimedBy: Type.String({ description: 'the node' }),
    launchedId: Type.Union([Type.String(), Type.Null()], { description: 'the action or case launched' }),
    error: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
export type TickView = Static<typeof TickViewSchema>;

export const ScheduleWithTicksSchema = Type.Object(
  { ...ScheduleViewSchema.properties, recentTicks: Type.Array(TickViewSchema, { description: 'the last ten, newest first' }) },
  { additionalProperties: false },
);
