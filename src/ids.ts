// Identifiers: UUIDv7 (time-ordered, so lists sort by creation and B-tree inserts stay local) and
// random secrets for API keys.

import { randomBytes, randomFillSync, createHash } from 'node:crypto';
import stableStringify from 'safe-stable-stringify';

// Random bits for ids come from a pool refilled in bulk: one system call per 4,096 ids, not per id.
const POOL = Buffer.alloc(16 * 4096);
let poolOffset = POOL.length;
function random16(): Buffer {
  if (poolOffset >= POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const b = Buffer.from(POOL.subarray(poolOffset, poolOffset + 16));
  poolOffset += 16;
  return b;
}

let lastMs = 0;
let seq = 0;

/** A UUIDv7 from the given time; a counter in the random bits keeps ids from one ms ordered. */
export function uuidv7(nowMs: number): string {
  if (nowMs === lastMs) seq = (seq + 1) & 0xfff;
  else {
    lastMs = nowMs;
    seq = 0;
  }
  const b = random16();
  const ms = BigInt(nowMs);
  for (let i = 0; i < 6; i++) b[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  b[6] = 0x70 | (seq >> 8);
  b[7] = seq & 0xff;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Whether `s` is spelled as the ids above are (lower-case hex UUID). */
export const isId = (s: string): boolean => UUID.test(s);

export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** An Idempotency-Key's request as stored (`hash`), and whether a stored hash is the same request. */
export interface RequestHash {
  hash: string;
  matches(stored: string | null | undefined): boolean;
}

/** JSON with every object's keys sorted: the text requestHash hashes. */
export const stableJson = (value: unknown): string => stableStringify(value) ?? 'undefined';

/**
 * The hash a repeat is recognised by: the request's JSON with every object's keys sorted, so a client
 * that sends the same request with its fields in another order gets the first answer, not a 409.
 * Rows stored before keys were sorted hold `legacy` (the JSON as sent), which still matches. `hash`
 * is given by a caller that built the same text in pieces (bulk-launches/service.ts).
 */
export function requestHash(
  value: unknown,
  legacy: () => string = () => sha256(JSON.stringify(value)),
  hash: string = sha256(stableJson(value)),
): RequestHash {
  return { hash, matches: (stored) => stored === hash || (typeof stored === 'string' && stored === legacy()) };
}
