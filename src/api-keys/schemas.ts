// Request schema of POST /v1/api-keys (TypeBox).

import { type Static, Type } from '@sinclair/typebox';
import { ROLE_LIST as ROLES } from '../users/user.ts';
import { DateTime, StringEnum } from '../api/schemas.ts';
import { UserName } from '../users/schemas.ts';

export const ApiKeyBody = Type.Object(
  {
    name: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9 _.@-]{0,99}$',
      description:
        'unique among keys not revoked; who a key without a user acts as on timelines (as key:<name> when the name could be a user\'s); 1–100 letters, digits, spaces, "_", ".", "@" or "-"',
    }),
    roles: Type.Optional(Type.Array(StringEnum(ROLES), { minItems: 1, default: ['operator'], description: 'what the key may do' })),
    user: Type.Optional(
      Type.Union([UserName, Type.Null()], { description: 'the user the key acts as (actor, assignee, notifications); must exist' }),
    ),
  },
  { additionalProperties: false },
);

/** A key as the API gives it: never the key itself, except once when it is created. */
export const ApiKeyViewSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    roles: Type.Array(StringEnum(ROLES)),
    user: Type.Union([Type.String(), Type.Null()], { description: 'the user the key acts as; null: its own name' }),
    origin: Type.String({ description: '`api`, `CALLOUT_ADMIN_KEY` or `generated` (the admin key printed on the first start)' }),
    createdAt: DateTime,
    lastUsedAt: Type.Union([DateTime, Type.Null()]),
    revokedAt: Type.Union([DateTime, Type.Null()]),
  },
  { additionalProperties: false },
);
export type ApiKeyView = Static<typeof ApiKeyViewSchema>;

export const ApiKeyCreatedSchema = Type.Object(
  { ...ApiKeyViewSchema.properties, key: Type.String({ description: 'the key, shown this once' }) },
  { additionalProperties: false },
);
