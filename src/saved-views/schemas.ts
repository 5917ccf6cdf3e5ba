// Route schemas for /v1/views (TypeBox): request validation and the OpenAPI document.

import { type Static, Type } from '@sinclair/typebox';
import { DateTime, StringEnum } from '../api/schemas.ts';

/** How long a name and a query may be, how many views one owner keeps, and how far a count goes. */
export const VIEW_LIMITS = { name: 100, query: 2000, perOwner: 100, sharedListed: 200, countUpTo: 1000 } as const;

export const SCREENS = ['work', 'cases'] as const;
export type Screen = (typeof SCREENS)[number];

const Name = Type.String({
  minLength: 1,
  maxLength: VIEW_LIMITS.name,
  description: 'what the list of views shows; unique (ignoring case) among the owner’s views of the screen',
});
const Query = Type.String({
  maxLength: VIEW_LIMITS.query,
  description:
    'the screen’s query string as its address holds it, e.g. `state=todo&queue=hr`: the filters of GET /v1/actions (work) or GET /v1/cases (cases), without paging (`before`, `limit`); checked when saved',
});
const Shared = Type.Boolean({ description: 'true: everyone who may read the screen sees it; false: only its owner' });

export const ViewBody = Type.Object(
  {
    name: Name,
    screen: StringEnum(SCREENS, { description: 'the work list (`/ui/work`) or the cases list (`/ui/cases`)' }),
    query: Query,
    shared: Type.Optional({ ...Shared, default: false }),
  },
  { additionalProperties: false },
);
export type ViewBody = Static<typeof ViewBody>;

export const ViewPatch = Type.Object(
  { name: Type.Optional(Name), query: Type.Optional(Query), shared: Type.Optional(Shared) },
  { additionalProperties: false },
);
export type ViewPatch = Static<typeof ViewPatch>;

export const ViewListQuery = Type.Object(
  {
    screen: Type.Optional(StringEnum(SCREENS, { description: 'only the views of this screen' })),
    counts: Type.Optional(Type.Boolean({ description: 'true: each view with its count' })),
  },
  { additionalProperties: false },
);
export type ViewListQuery = Static<typeof ViewListQuery>;

export const ViewCountSchema = Type.Object(
  {
    value: Type.Union([Type.Integer({ minimum: 0, maximum: VIEW_LIMITS.countUpTo }), Type.Null()], {
      description: `how many items match now, counted up to ${VIEW_LIMITS.countUpTo}; null when not counted (see note)`,
    }),
    more: Type.Boolean({
      description: `true: more than ${VIEW_LIMITS.countUpTo} match ("${VIEW_LIMITS.countUpTo.toLocaleString('en')}+")`,
    }),
    note: Type.Optional(Type.String({ description: 'why the count is null or 0 when that needs saying' })),
  },
  { additionalProperties: false },
);
export type ViewCount = Static<typeof ViewCountSchema>;

export const ViewSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    screen: StringEnum(SCREENS),
    query: Type.String({ description: 'the query string, as checked and stored (no leading "?")' }),
    shared: Type.Boolean(),
    owner: Type.String({ description: 'the user whose view it is (the user the saving key acted as)' }),
    revision: Type.Integer({ minimum: 1, description: 'the ETag of the view, without quotes' }),
    createdAt: DateTime,
    updatedAt: DateTime,
    count: Type.Optional(ViewCountSchema),
  },
  { additionalProperties: false },
);
export type SavedView = Static<typeof ViewSchema>;

export const ViewList = Type.Object(
  {
    items: Type.Array(ViewSchema, { description: 'the caller’s own views, then the shared views of others; by screen and name' }),
    more: Type.Boolean({
      description: `true: more than ${VIEW_LIMITS.sharedListed} shared views of others exist and the rest are left out`,
    }),
  },
  { additionalProperties: false },
);
