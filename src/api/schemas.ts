// Route schemas shared by the API plugins (TypeBox): validation, and the OpenAPI document.

import { Type } from '@sinclair/typebox';
import { MAX_REFERENCE_CHARS, MAX_TEXT_CHARS } from '../json-limits.ts';

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
export const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 300 }) });

/** A string out of a fixed list: one `enum` error naming the field (a union of literals gives one per value). */
export const StringEnum = <const T extends string>(values: readonly T[], opts: { description?: string; default?: T } = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...opts });

export const LaunchBody = Type.Object(
  {
    actionType: Type.String({ description: 'action type id or name' }),
    input: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'at most 256 KB as JSON, nested at most 32 levels' })),
    caseId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    startAt: Type.Optional(Type.Union([Type.String({ description: 'ISO date-time' }), Type.Number({ description: 'epoch ms' })])),
  },
  { additionalProperties: true },
);

export const CallbackBody = Type.Object(
  {
    outcome: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
    data: Type.Optional(Type.Unknown({ description: 'at most 1 MB as JSON, nested at most 32 levels' })),
    reason: Type.Optional(Type.String({ maxLength: MAX_TEXT_CHARS })),
    externalReference: Type.Optional(Type.String({ maxLength: MAX_REFERENCE_CHARS })),
  },
  { additionalProperties: true },
);

export const CompleteBody = Type.Object({
  resolution: Type.Optional(Type.Union([Type.Literal('done_successfully'), Type.Literal('not_done_successfully')])),
  note: Type.Optional(Type.String()),
});

export const ActionListQuery = Type.Object(
  {
    state: Type.Optional(Type.String()),
    phase: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
    resolution: Type.Optional(Type.String()),
    actionType: Type.Optional(Type.String()),
    caseId: Type.Optional(Type.String()),
    queue: Type.Optional(Type.String()),
    assignee: Type.Optional(Type.String()),
    externalReference: Type.Optional(Type.String()),
    escalated: Type.Optional(Type.String()),
    before: Type.Optional(Type.String({ description: 'id of the last action of the previous page' })),
    limit: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
