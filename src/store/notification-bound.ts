// The bound on a user's notifications (CALLOUT_NOTIFICATIONS_PER_USER): without one, a busy operator's
// or a flood of escalations' list, and the table, grew for ever.
//
// Each store checks it in the transaction that inserts a user's notices, for that user only: a count
// over their own (user_name, id) index entries, which the bound itself keeps short. Past the bound, the
// oldest read ones go first and unread ones only when there are more than that unread (escalations
// last); a tenth at a time (so the count is what most inserts pay), at most PRUNE_BATCH rows a
// statement (a bound lowered on a large table trims over the following inserts rather than in one long
// transaction). A task notice replaces its unread repeat (insertUserNotices), so hand-overs back and
// forth do not fill the list.

/** How many notifications a user keeps unless told otherwise: months of a busy operator's work. */
export const NOTIFICATIONS_PER_USER_DEFAULT = 1000;

/**
 * The bound a store is given, checked as it opens (the setting is checked in settings.ts; a library
 * caller's 0 would drop every notice as it is written, and NaN or a fraction bound nothing).
 */
export function notificationsPerUserOf(n: number | undefined): number {
  if (n === undefined) return NOTIFICATIONS_PER_USER_DEFAULT;
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
    throw new RangeError(`notificationsPerUser must be a whole number from 1 to 1000000, not ${String(n)}`);
  return n;
}

/** Rows deleted at most per user and insert. */
export const PRUNE_BATCH = 1000;

/**
 * How far a user's notifications need counting: past the bound by a full batch, notificationsToDrop
 * answers PRUNE_BATCH whatever the rest, and more than the bound stay unread after it.
 */
export const countCap = (keep: number): number => keep + PRUNE_BATCH + 1;

/**
 * How many of a user's `count` notifications to delete under the bound `keep`: none up to it; past it,
 * down to nine tenths of it (at least one kept), at most PRUNE_BATCH.
 */
export function notificationsToDrop(count: number, keep: number): number {
  if (count <= keep) return 0;
  return Math.min(count - (keep - Math.floor(keep / 10)), PRUNE_BATCH);
}
