// Route schemas for /v1/bulk-launches (TypeBox): a JSON body of rows, or a text/csv body whose
// target is in the query string.

import { type Static, Type } from '@sinclair/typebox';
import { DateTime } from '../api/schemas.ts';

export const MAX_JSON_ROWS = 100_000;

const Row = Type.Record(Type.String(), Type.Unknown(), { description: 'field name (or case data key) to value' });

/** With a process only: the column whose cell becomes each case's title (or owner), taken out of its data. */
const TitleColumn = Type.String({
  minLength: 1,
  maxLength: 200,
  description: "with process: the column whose cell is each case's title (not kept in its data); an empty cell refuses the row",
});
const OwnerColumn = Type.String({
  minLength: 1,
  maxLength: 200,
  description:
    "with process: the column whose cell names each case's owner (not kept in its data); an empty cell leaves the case without one",
});

export const BulkLaunchBody = Type.Object(
  {
    actionType: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'action type id or name; or give process' })),
    process: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'process id or name: one case per row' })),
    titleColumn: Type.Optional(TitleColumn),
    ownerColumn: Type.Optional(OwnerColumn),
    rows: Type.Array(Row, { maxItems: MAX_JSON_ROWS }),
  },
  { additionalProperties: false },
);
export type BulkLaunchBody = Static<typeof BulkLaunchBody>;

/** For a text/csv body: exactly one of actionType and process; with process, the title and owner columns. */
export const BulkLaunchQuery = Type.Object(
  {
    actionType: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    process: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    titleColumn: Type.Optional(TitleColumn),
    ownerColumn: Type.Optional(OwnerColumn),
  },
  { additionalProperties: false },
);
export type BulkLaunchQuery = Static<typeof BulkLaunchQuery>;

const FieldErrorSchema = Type.Object({ field: Type.String(), message: Type.String() });

export const BulkLaunchReport = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('running'), Type.Literal('done')]),
  total: Type.Integer(),
  launched: Type.Integer(),
  refused: Type.Integer(),
  rows: Type.Array(
    Type.Union([
      Type.Object({ row: Type.Integer({ minimum: 1 }), status: Type.Literal('launched'), id: Type.String() }),
      Type.Object({ row: Type.Integer({ minimum: 1 }), status: Type.Literal('refused'), errors: Type.Array(FieldErrorSchema) }),
    ]),
  ),
});

const RowReport = Type.Union([
  Type.Object(
    { row: Type.Integer({ minimum: 1 }), status: Type.Literal('launched'), id: Type.String({ description: 'the action or case' }) },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      row: Type.Integer({ minimum: 1 }),
      status: Type.Literal('refused'),
      errors: Type.Array(Type.Object({ field: Type.String(), message: Type.String() }, { additionalProperties: false })),
    },
    { additionalProperties: false },
  ),
]);

/** A bulk launch's report: counts, and the rows with an outcome, a page at a time. */
export const BulkReportSchema = Type.Object(
  {
    id: Type.String(),
    status: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')], {
      description: '`running` until every row has launched or been refused; `failed` with `error` when the body could not be read',
    }),
    error: Type.Optional(Type.String()),
    actionType: Type.Optional(Type.String()),
    process: Type.Optional(Type.String({ description: "the process's name now (as given when it named none)" })),
    titleColumn: Type.Optional(Type.String({ description: "the column that gave each case's title" })),
    ownerColumn: Type.Optional(Type.String({ description: "the column that gave each case's owner" })),
    total: Type.Integer({ minimum: 0 }),
    launched: Type.Integer({ minimum: 0 }),
    refused: Type.Integer({ minimum: 0 }),
    rows: Type.Array(RowReport, { description: 'rows with an outcome, in row order, from `afterRow`; at most `limit` (default 1000)' }),
    nextRow: Type.Union([Type.Integer(), Type.Null()], { description: 'pass as `afterRow` for the next page; null on the last' }),
    createdAt: DateTime,
    finishedAt: Type.Union([DateTime, Type.Null()]),
  },
  { additionalProperties: false },
);
export type BulkReportView = Static<typeof BulkReportSchema>;
