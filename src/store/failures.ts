// The store's own failures, told apart by what a caller may do next (api/problem.ts answers each with a
// 503, /health names it). First, a store call that may or may not have committed: the connection (or the SQLite thread) was lost
// after the call reached it and before it answered. Trying the same write again would apply it twice
// if it did commit, so whoever gets this does not retry; the engine's own work is taken up again when
// its lease expires, and a request fails for its client to repeat (with its idempotency key).

export class OutcomeUnknownError extends Error {
  readonly outcomeUnknown = true;
}

export const isOutcomeUnknown = (e: unknown): boolean => (e as { outcomeUnknown?: unknown } | null)?.outcomeUnknown === true;

/**
 * The store has stopped: a sync of its log failed, so nothing it commits or reads can be known to be
 * on disk (sqlite/wal-sync.ts), its thread died too often, or it was closed. Only a restart brings it back.
 */
export class StoreStoppedError extends Error {
  readonly storeStopped = true;
}

/**
 * What the drivers throw once the store was closed (an embedding program's HTTP server still answering
 * after `close()`): better-sqlite3's and pg's own errors, which were answered 500 and logged as bugs.
 */
const CLOSED_MESSAGES = new Set(['The database connection is not open', 'Cannot use a pool after calling end on the pool']);

export const isStoreStopped = (e: unknown): boolean =>
  (e as { storeStopped?: unknown } | null)?.storeStopped === true || (e instanceof Error && CLOSED_MESSAGES.has(e.message));

/**
 * Error codes of a store that cannot be reached: the connection was refused or dropped before the
 * request's statement was sent (network codes), or the server said so (SQLSTATE class 08, and 57P0x:
 * shut down or starting). Nothing was written, so a repeat is safe.
 */
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03']);

export const isStoreUnreachable = (e: unknown): boolean => {
  const x = e as { storeUnreachable?: unknown; code?: unknown } | null;
  if (x?.storeUnreachable === true) return true;
  return typeof x?.code === 'string' && (UNREACHABLE.has(x.code) || /^08\d{3}$/.test(x.code));
};

/** Marks a connection that could not be had (pg's pool gives no code for a connect timeout). */
export function unreachable(e: unknown): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  return Object.assign(err, { storeUnreachable: true });
}

/** Which of the store's own failures `e` is, or undefined for any other error. Unknown outcome first: a dropped connection after COMMIT may carry a network code too. */
export function storeFailure(e: unknown): 'outcome_unknown' | 'stopped' | 'unreachable' | undefined {
  if (isOutcomeUnknown(e)) return 'outcome_unknown';
  if (isStoreStopped(e)) return 'stopped';
  if (isStoreUnreachable(e)) return 'unreachable';
  return undefined;
}
