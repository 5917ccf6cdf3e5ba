// PostgreSQL cannot hold two things a JavaScript string can: the NUL character (text refuses byte 0,
// jsonb refuses the escape \u0000) and, in jsonb, a lone surrogate (JSON.stringify writes one as an
// escape such as \ud800). An external system's answer can carry either, and SQLite keeps them: a
// write that PostgreSQL refused failed for ever, and the action was sent again at every lease. Each
// becomes U+FFFD, the replacement character, on its way into the store.

import type { Pool, PoolClient } from 'pg';

const SUSPECT = /\0|\\u0000|\\u[dD][89a-fA-F]/;
const NUL = /\0/g;
/**
 * A NUL or surrogate escape, after any run of backslashes: JSON columns travel as JSON text inside the
 * JSON of a recordset, so an escape of the inner text arrives with two backslashes before its `u0000`, and jsonb refuses it
 * when it reads the inner text. The store's JSON is JSON.stringify's, which writes a paired surrogate
 * as the character itself and escapes only a lone one. (A text that spells out `\\u0000` itself is
 * changed too: rare, and harmless.)
 */
const BAD_ESCAPE = /(\\+)u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})/g;

/** Fast on the common text (every write's parameters pass here): `includes` before any pattern. */
const suspect = (s: string): boolean => s.includes('\0') || (s.includes('\\u') && SUSPECT.test(s));

/** The text with NUL characters, and in JSON text (an object or array) NUL and lone-surrogate escapes, as U+FFFD. */
export function storableText(s: string): string {
  if (!suspect(s)) return s;
  const out = s.replace(NUL, '\uFFFD');
  return out.startsWith('{') || out.startsWith('[') ? out.replace(BAD_ESCAPE, '$1ufffd') : out;
}

function storableValues(values: unknown): unknown {
  if (!Array.isArray(values) || !values.some((v) => typeof v === 'string' && suspect(v))) return values;
  return values.map((v) => (typeof v === 'string' ? storableText(v) : v));
}

/** Every statement of the pool's connections has its parameters made storable (pool.query included: it runs on one). */
export function storableParameters(pool: Pool): void {
  pool.on('connect', (client: PoolClient) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((...args: unknown[]) => {
      const first = args[0];
      if (typeof first === 'string') args[1] = storableValues(args[1]);
      else if (first !== null && typeof first === 'object' && 'values' in first)
        args[0] = { ...(first as object), values: storableValues((first as { values: unknown }).values) };
      return query(...args);
    }) as PoolClient['query'];
  });
}
