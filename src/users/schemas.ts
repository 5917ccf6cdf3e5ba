// Route schemas for /v1/users and /v1/api-keys (TypeBox): request validation and the OpenAPI document.

import { type Static, Type } from '@sinclair/typebox';
import { ROLE_LIST, USER_NAME_PATTERN } from './user.ts';

export const UserName = Type.String({ pattern: USER_NAME_PATTERN.source, description: 'lower-case login name' });
export const RoleSchema = Type.Union(ROLE_LIST.map((r) => Type.Literal(r)));

export const UserBody = Type.Object(
  {
    name: UserName,
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'defaults to the name' })),
    email: Type.Optional(Type.String({ maxLength: 254, description: 'e.g. alice@example.com' })),
  },
  { additionalProperties: false },
);
export type UserBody = Static<typeof UserBody>;

export const ApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    roles: Type.Array(RoleSchema, { minItems: 1, uniqueItems: true }),
    user: Type.Optional(UserName),
  },
  { additionalProperties: false },
);
export type ApiKeyBody = Static<typeof ApiKeyBody>;

export const UserPatchBody = Type.Object(
  {
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    email: Type.Optional(Type.Union([Type.String({ maxLength: 254 }), Type.Null()], { description: 'null removes it' })),
    disabled: Type.Optional(Type.Boolean({ description: 'a disabled user’s keys are refused (401) and queues give them no new work' })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UserPatchBody = Static<typeof UserPatchBody>;

export const UserNameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64, description: 'user name, or "me"' }) });
