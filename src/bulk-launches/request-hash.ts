// How a repeated bulk launch is recognised (with its Idempotency-Key): the request hashed as
// ids.ts requestHash hashes any request, built here a chunk of rows at a time, since a body may hold
// 100,000 rows and hashing it whole holds the event loop for most of a second.

import { createHash } from 'node:crypto';
import { requestHash, stableJson, type RequestHash } from '../ids.ts';
import { slicer } from '../loop-turns.ts';

/** A bulk launch's request: rows in a JSON body, or a CSV body with its target in the query. */
export type BulkInput = { kind: 'json'; body: BulkSettings & { rows: unknown[] } } | { kind: 'csv'; body: Buffer; query: BulkSettings };

/** What a bulk launch is of (one of actionType and process) and, for a process, its title and owner columns. */
export type BulkSettings = {
  actionType?: string;
  process?: string;
  titleColumn?: string;
  ownerColumn?: string;
};

/**
 * A CSV body is compared as the bytes it is, streamed into the hash after its query (keys sorted: the
 * same settings in another order are the same request); a JSON body as requestHash compares it.
 */
export async function hashOf(input: BulkInput): Promise<RequestHash> {
  if (input.kind === 'csv') {
    const hash = createHash('sha256').update(stableJson(input.query)).update('\n').update(input.body).digest('hex');
    return { hash, matches: (stored) => stored === hash };
  }
  const hash = await jsonBodyHash(input.body);
  return requestHash(input.body, undefined, hash);
}

/**
 * requestHash's hash of a JSON bulk body (its keys sorted, rows in order), built a row at a time in
 * slices of the event loop: the same text as sorting the whole body at once, which for
 * 100,000 rows holds the loop for most of a second.
 */
export async function jsonBodyHash(body: Extract<BulkInput, { kind: 'json' }>['body']): Promise<string> {
  const h = createHash('sha256').update('{');
  const keys = Object.keys(body)
    .filter((k) => (body as Record<string, unknown>)[k] !== undefined)
    .sort();
  for (const [n, k] of keys.entries()) {
    h.update(`${n > 0 ? ',' : ''}${JSON.stringify(k)}:`);
    if (k !== 'rows') {
      h.update(stableJson((body as Record<string, unknown>)[k]));
      continue;
    }
    h.update('[');
    const pace = slicer();
    for (let i = 0; i < body.rows.length; i++) {
      h.update(`${i > 0 ? ',' : ''}${stableJson(body.rows[i])}`);
      await pace();
    }
    h.update(']');
  }
  return h.update('}').digest('hex');
}
