// A user's notifications, newest first a page at a time, marking them read, and their bound.

import type { Pool, PoolClient } from 'pg';
import { countCap, notificationsToDrop } from '../notification-bound.ts';
import type { NotificationQuery, NotificationRow } from '../types.ts';
import { notificationFromRow } from '../rows.ts';
import type { UserNotice } from '../effects.ts';

export async function listNotifications(pool: Pool, user: string, opts: NotificationQuery = {}): Promise<NotificationRow[]> {
  const unread = opts.unreadOnly ? ' AND read_at IS NULL' : '';
  const sql = `SELECT * FROM notifications WHERE user_name = $1 AND id < $2${unread} ORDER BY id DESC LIMIT $3`;
  return (await pool.query(sql, [user, opts.before ?? Number.MAX_SAFE_INTEGER, opts.limit ?? 200])).rows.map(notificationFromRow);
}

export async function markNotificationsRead(pool: Pool, user: string, upTo: number, at: number): Promise<number> {
  const r = await pool.query('UPDATE notifications SET read_at = $1 WHERE user_name = $2 AND id <= $3 AND read_at IS NULL', [
    at,
    user,
    upTo,
  ]);
  return r.rowCount ?? 0;
}

/** Only the user's own: someone else's notification reads as absent. */
export async function markNotificationRead(pool: Pool, id: number, user: string, at: number): Promise<NotificationRow | undefined> {
  const r = await pool.query('UPDATE notifications SET read_at = coalesce(read_at, $1) WHERE id = $2 AND user_name = $3 RETURNING *', [
    at,
    id,
    user,
  ]);
  return r.rows[0] ? notificationFromRow(r.rows[0] as Record<string, unknown>) : undefined;
}

// Each replaces the person's unread notice of the same kind about the same task (see the embedded
// store's insertUserNotices); the statement's DELETE and INSERT see the rows as they were before it.
const NOTIFY_USERS = `
WITH n AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS n(ord integer, user_name text, kind text, message text, action_id text, case_id text, at bigint)
), repeats AS (
  DELETE FROM notifications d USING n
   WHERE d.user_name = n.user_name AND d.action_id = n.action_id AND d.kind = n.kind AND d.read_at IS NULL
)
INSERT INTO notifications (user_name, kind, message, action_id, case_id, at)
SELECT n.user_name, n.kind, n.message, n.action_id, n.case_id, n.at FROM n ORDER BY n.ord`;

/** Notices to people about their tasks (a write's `notify` effects, a launch's notices), in the caller's transaction; bounded by the caller; each replacing its unread repeat. */
export async function insertUserNotices(client: PoolClient, notices: readonly UserNotice[]): Promise<void> {
  if (notices.length === 0) return;
  const rows = notices.map((n, ord) => ({
    ord,
    user_name: n.user,
    kind: n.kind,
    message: n.message,
    action_id: n.actionId,
    case_id: n.caseId,
    at: n.at,
  }));
  await client.query({ name: 'callout_notify_users', text: NOTIFY_USERS, values: [JSON.stringify(rows)] });
}

// Counted no further than decides (countCap): a user far past the bound (a store from before it) costs no full count per insert.
const COUNT_OF_USER = 'SELECT count(*)::integer AS n FROM (SELECT 1 FROM notifications WHERE user_name = $1 LIMIT $2) AS mine';
// Unread ones go task notices first: an escalation or a stopped case is the last a flood of task hand-overs pushes out.
const DROP_OLDEST = (read: boolean): string =>
  `DELETE FROM notifications WHERE id IN (SELECT id FROM notifications WHERE user_name = $1 AND read_at IS ${read ? 'NOT NULL ORDER BY id' : "NULL ORDER BY kind IN ('action.escalated', 'case.stopped'), id"} LIMIT $2)`;

/** Keeps each of `users` within `keep` notifications, oldest read ones first (notification-bound.ts); in the inserting transaction. */
export async function boundNotifications(client: PoolClient, users: Iterable<string>, keep: number): Promise<void> {
  // In one order on every node: two transactions trimming the same users in the order their batches
  // named them would each hold the rows of one and wait for the other's (a deadlock, failing a batch).
  for (const user of [...new Set(users)].sort()) {
    const count = (await client.query<{ n: number }>(COUNT_OF_USER, [user, countCap(keep)])).rows[0]!.n;
    let drop = notificationsToDrop(count, keep);
    const read = drop > 0 ? ((await client.query(DROP_OLDEST(true), [user, drop])).rowCount ?? 0) : 0;
    drop -= read;
    // Read ones all gone (drop is left): the rest are unread, dropped only when more than the bound.
    if (drop > 0 && count - read > keep) await client.query(DROP_OLDEST(false), [user, drop]);
  }
}
