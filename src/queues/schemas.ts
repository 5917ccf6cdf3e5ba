// Route schemas for /v1/queues (TypeBox): request validation and the OpenAPI document.

import { type Static, Type } from '@sinclair/typebox';
import { UserName } from '../users/schemas.ts';
import { DateTime } from '../api/schemas.ts';
import { ALLOCATIONS } from './allocate.ts';
import { MAX_MEMBERS } from './queue.ts';
import { QueueIntegrationBody } from '../integrated-queues/integration.ts';

export const QueueBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    members: Type.Optional(Type.Array(UserName, { maxItems: MAX_MEMBERS, uniqueItems: true })),
    allocation: Type.Optional(
      Type.Union(
        Object.values(ALLOCATIONS).map((a) => Type.Literal(a)),
        { default: 'none' },
      ),
    ),
    integration: Type.Optional(QueueIntegrationBody),
  },
  { additionalProperties: false },
);
export type QueueBody = Static<typeof QueueBody>;

/** PATCH /v1/queues/{name}: the fields to change (`description: null` removes the description, `integration: null` the integration). */
export const QueuePatchBody = Type.Object(
  {
    description: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
    members: Type.Optional(Type.Array(UserName, { maxItems: MAX_MEMBERS, uniqueItems: true })),
    allocation: Type.Optional(Type.Union(Object.values(ALLOCATIONS).map((a) => Type.Literal(a)))),
    integration: Type.Optional(Type.Union([QueueIntegrationBody, Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type QueuePatchBody = Static<typeof QueuePatchBody>;

export const QueueNameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) });

/** A queue as the API gives it. */
export const QueueViewSchema = Type.Object(
  {
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    members: Type.Array(Type.String()),
    allocation: Type.Union(Object.values(ALLOCATIONS).map((a) => Type.Literal(a))),
    integration: Type.Union([
      Type.Object(
        {
          connector: Type.String({ description: "the connector's id" }),
          onAssign: Type.Union([Type.String(), Type.Null()]),
          onUpdate: Type.Union([Type.String(), Type.Null()]),
          onClose: Type.Union([Type.String(), Type.Null()]),
          onResolutionRejected: Type.Union([Type.String(), Type.Null()]),
        },
        {
          additionalProperties: false,
          description: 'an integrated queue: the ids of the action types its events launch (a request may name them by id or name)',
        },
      ),
      Type.Null(),
    ]),
    revision: Type.Integer({ minimum: 1 }),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { additionalProperties: false },
);
export type QueueView = Static<typeof QueueViewSchema>;
