// The Idempotency-Key request header, as every route that takes one reads it.

import { ValidationError } from '../errors.ts';

/** The header's value, undefined when absent; a 422 naming it when empty, repeated or over 200 characters. */
export function idempotencyKeyOf(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || header.length === 0 || header.length > 200)
    throw new ValidationError([{ field: 'Idempotency-Key', message: 'must be 1–200 characters' }]);
  return header;
}
