// Route schemas for /v1/users (TypeBox): request validation and the OpenAPI document.

import { type Static, Type } from '@sinclair/typebox';
import { USER_NAME_PATTERN } from './user.ts';
import { DateTime } from '../api/schemas.ts';

export const UserName = Type.String({ pattern: USER_NAME_PATTERN.source, description: 'lower-case login name' });

export const UserBody = Type.Object(
  {
    name: UserName,
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'defaults to the name' })),
    email: Type.Optional(Type.String({ maxLength: 254, description: 'e.g. alice@example.com' })),
  },
  { additionalProperties: false },
);
export type UserBody = Static<typeof UserBody>;

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

/** A user as the API gives it. */
export const UserViewSchema = Type.Object(
  {
    name: Type.String(),
    displayName: Type.String(),
    email: Type.Union([Type.String(), Type.Null()]),
    disabled: Type.Boolean({ description: 'their keys are refused and queues give them no new tasks' }),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { additionalProperties: false },
);
export type UserView = Static<typeof UserViewSchema>;
