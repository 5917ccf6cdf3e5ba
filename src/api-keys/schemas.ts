// Request schema of POST /v1/api-keys (TypeBox).

import { Type } from '@sinclair/typebox';
import { ROLES } from './service.ts';
import { StringEnum } from '../api/schemas.ts';
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
