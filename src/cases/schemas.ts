// Request schemas of the case routes (TypeBox). The size and depth of `data` stay domain checks.

import { Type, type Static } from '@sinclair/typebox';
import { DateTime, StringEnum } from '../api/schemas.ts';

export const CaseIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200, description: 'case id' }) });
export type CaseIdParams = Static<typeof CaseIdParams>;

const Data = Type.Record(Type.String(), Type.Unknown(), {
  description: 'case data (what action outcomes and map steps merge into); at most 256 KB as JSON, nested at most 32 levels',
});
const Owner = Type.Union([Type.String({ maxLength: 200 }), Type.Null()], { description: 'the user who receives escalations' });
const Title = Type.String({ minLength: 1, maxLength: 500 });

export const CaseBody = Type.Object(
  {
    process: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'process id or name; absent for a plain case' })),
    title: Type.Optional(Title),
    data: Type.Optional(Data),
    owner: Type.Optional(Owner),
  },
  { additionalProperties: false },
);
export type CaseBody = Static<typeof CaseBody>;

export const CasePatchBody = Type.Object(
  {
    title: Type.Optional(Title),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'shallow-merged into the case data' })),
    owner: Type.Optional(Owner),
  },
  { additionalProperties: false },
);
export type CasePatchBody = Static<typeof CasePatchBody>;

export const CaseListQuery = Type.Object(
  {
    status: Type.Optional(StringEnum(['open', 'closed'] as const, { description: 'open or closed' })),
    owner: Type.Optional(Type.String({ maxLength: 200 })),
    queue: Type.Optional(Type.String({ maxLength: 200, description: 'cases with an open action (To Do, In Progress) on this queue' })),
    process: Type.Optional(Type.String({ maxLength: 200, description: 'process id or name' })),
    escalated: Type.Optional(Type.Boolean({ description: 'cases one of whose actions is escalated (true), or none (false)' })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'text in the title or the data' })),
    before: Type.Optional(Type.String({ maxLength: 200, description: 'the `next` of the previous page' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  },
  { additionalProperties: false },
);
export type CaseListQuery = Static<typeof CaseListQuery>;

/** A case as the API gives it: the schema is the type (CaseView) and the OpenAPI document's. */
export const CaseViewSchema = Type.Object(
  {
    id: Type.String(),
    process: Type.Union([Type.String(), Type.Null()], { description: 'the process it runs, by name; null for a case without one' }),
    title: Type.Union([Type.String(), Type.Null()]),
    status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
    data: Type.Record(Type.String(), Type.Unknown()),
    owner: Type.Union([Type.String(), Type.Null()]),
    escalated: Type.Boolean(),
    steps: Type.Array(
      Type.Object(
        {
          name: Type.String(),
          kind: Type.String({ description: 'the step kind of the process definition' }),
          status: Type.String(),
          actionId: Type.Union([Type.String(), Type.Null()]),
          outcome: Type.Union([Type.String(), Type.Null()]),
        },
        { additionalProperties: false },
      ),
      { description: "the process's steps as this case has run them" },
    ),
    createdAt: DateTime,
    updatedAt: DateTime,
    closedAt: Type.Union([DateTime, Type.Null()]),
  },
  { additionalProperties: false },
);
export type CaseView = Static<typeof CaseViewSchema>;
