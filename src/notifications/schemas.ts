// Route schemas of /v1/notifications (TypeBox): the query, the id, and a notification as the API gives it.

import { type Static, Type } from '@sinclair/typebox';
import { DateTime } from '../api/schemas.ts';

export const NotificationsQuery = Type.Object(
  {
    unread: Type.Optional(Type.Boolean({ description: 'only the ones not marked read' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 200, description: 'at most this many, newest first' })),
    before: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'the `next` of the page before: older ones' })),
  },
  { additionalProperties: false },
);

export const NotificationIdParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}$', description: 'notification id' }) });

/** POST /v1/notifications/read: marks every one of the caller's up to `upTo` (the newest they saw), or all. */
export const MarkAllReadBody = Type.Object(
  {
    upTo: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'the newest notification id seen; newer ones stay unread',
      }),
    ),
  },
  { additionalProperties: false },
);
export type MarkAllReadBody = Static<typeof MarkAllReadBody>;

export const NotificationViewSchema = Type.Object(
  {
    id: Type.Integer(),
    user: Type.String(),
    kind: Type.String({
      description:
        '"action.escalated", "case.stopped" (the case stopped at a failed step; no action), "task.taken", "task.assigned" or "task.overdue"',
    }),
    message: Type.String(),
    actionId: Type.Union([Type.String(), Type.Null()]),
    caseId: Type.Union([Type.String(), Type.Null()]),
    at: DateTime,
    read: Type.Boolean(),
    readAt: Type.Union([DateTime, Type.Null()]),
  },
  { additionalProperties: false },
);
export type NotificationView = Static<typeof NotificationViewSchema>;
