// Route schemas shared by the resources' plugins (TypeBox): validation, and the OpenAPI document.
// Each resource keeps its own bodies in `src/<resource>/schemas.ts`.

import { Type, type TSchema } from '@sinclair/typebox';

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });

/** A time in an answer: ISO 8601 in UTC. */
export const DateTime = Type.String({ format: 'date-time' });

/** A time in an answer that may not be set. */
export const MaybeTime = Type.Union([DateTime, Type.Null()]);

/** A text in an answer that may not be set. */
export const MaybeString = Type.Union([Type.String(), Type.Null()]);

/** A page of a list, newest first: its items and the `before` that reads on. */
export const Page = <T extends TSchema>(item: T) =>
  Type.Object(
    {
      items: Type.Array(item),
      next: Type.Union([Type.String(), Type.Null()], {
        description: 'the `before` of the next page, or null at the end; a page may end early (at about 4 MB), so follow it',
      }),
    },
    { additionalProperties: false },
  );

/**
 * The query of a list that pages and takes nothing else (processes, schedules, connectors, action types,
 * webhooks, API keys: newest first): the paging words of the other lists.
 */
export const PageQuery = Type.Object(
  {
    before: Type.Optional(Type.String({ maxLength: 200, description: 'the `next` of the previous page: older ones' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'page size' })),
  },
  { additionalProperties: false },
);

/** The same for a list keyed by name (users, queues): by name, `next` the last name of a page. */
export const NamePageQuery = Type.Object(
  {
    before: Type.Optional(Type.String({ maxLength: 200, description: 'the `next` of the previous page: the names after it' })),
    limit: PageQuery.properties.limit,
  },
  { additionalProperties: false },
);

/** A string out of a fixed list: one `enum` error naming the field (a union of literals gives one per value). */
export const StringEnum = <const T extends string>(values: readonly T[], opts: { description?: string; default?: T } = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...opts });
