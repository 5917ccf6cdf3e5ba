// A query string holds only text: a list query's integers and booleans are read from it by an Ajv that
// converts "50" and "true" (the server's own Ajv converts nothing, for bodies). One for every route
// with a query schema, so each reads "true" alike (the counts once refused what the list took).

import { Ajv } from 'ajv';

export const queryAjv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, removeAdditional: false });

/** A route's `validatorCompiler` for its query schema. */
export const queryValidator = ({ schema }: { schema: object }): ReturnType<Ajv['compile']> => queryAjv.compile(schema);
