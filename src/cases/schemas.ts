// Request schemas of the case routes (TypeBox). The size and depth of `data` stay domain checks.

import { Type, type Static } from '@sinclair/typebox';

export const CaseIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200, description: 'case id' }) });
export type CaseIdParams = Static<typeof CaseIdParams>;

export const CaseBody = Type.Object(
  {
    data: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'what action outcomes merge into; at most 256 KB as JSON, nested at most 32 levels',
      }),
    ),
    owner: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'the user who receives escalations' })),
  },
  { additionalProperties: false },
);
export type CaseBody = Static<typeof CaseBody>;
