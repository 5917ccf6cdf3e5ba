// Request schemas of an operator's task work beyond pick-up and complete (TypeBox).

import { type Static, Type } from '@sinclair/typebox';
import { MAX_TEXT_CHARS } from '../json-limits.ts';

export const AssignBody = Type.Object(
  {
    queue: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'an existing queue' })),
    assignee: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'an existing, enabled user ("me" for the caller); a member of `queue` when one is given',
      }),
    ),
    from: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description:
          'whose task it must still be ("me" for the caller), else 409 and nothing changes: a release sent twice gives the task back once',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1, description: 'at least one of queue and assignee' },
);
export type AssignBody = Static<typeof AssignBody>;

export const NoteBody = Type.Object(
  { note: Type.String({ minLength: 1, maxLength: MAX_TEXT_CHARS, description: 'shown on the timeline, by the caller' }) },
  { additionalProperties: false },
);
export type NoteBody = Static<typeof NoteBody>;

export const DueBody = Type.Object(
  {
    dueAt: Type.Union([Type.String({ maxLength: 64 }), Type.Null()], {
      description: 'when the work is due: a date-time with a time zone (e.g. 2026-12-01T09:00:00Z); null clears it',
    }),
  },
  { additionalProperties: false },
);
export type DueBody = Static<typeof DueBody>;
