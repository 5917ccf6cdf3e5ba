// Route schemas for /v1/schedules (TypeBox): request validation and the OpenAPI document.

import { type Static, Type } from '@sinclair/typebox';

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
