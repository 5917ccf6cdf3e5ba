// A store call that may or may not have committed: the connection (or the SQLite thread) was lost
// after the call reached it and before it answered. Trying the same write again would apply it twice
// if it did commit, so whoever gets this does not retry; the engine's own work is taken up again when
// its lease expires, and a request fails for its client to repeat (with its idempotency key).

export class OutcomeUnknownError extends Error {
  readonly outcomeUnknown = true;
}

export const isOutcomeUnknown = (e: unknown): boolean => (e as { outcomeUnknown?: unknown } | null)?.outcomeUnknown === true;

/**
 * The store has stopped: a sync of its log failed, so nothing it commits or reads can be known to be
 * on disk (sqlite/wal-sync.ts). Only a restart, after the disk is looked at, brings it back.
 */
export class StoreStoppedError extends Error {
  readonly storeStopped = true;
}

export const isStoreStopped = (e: unknown): boolean => (e as { storeStopped?: unknown } | null)?.storeStopped === true;
