// A user's notifications, newest first a page at a time, marking them read, and their bound.

import type Database from 'better-sqlite3';
import type { NotificationQuery, NotificationRow } from '../types.ts';
import type { UserNotice } from '../effects.ts';
import { notificationFromRow } from '../rows.ts';
import { prepared } from './statements.ts';
import { countCap, notificationsToDrop } from '../notification-bound.ts';

export function listNotifications(db: Database.Database, user: string, opts: NotificationQuery = {}): NotificationRow[] {
  const unread = opts.unreadOnly ? ' AND read_at IS NULL' : '';
  const rows = prepared(db, `SELECT * FROM notifications WHERE user_name = ? AND id < ?${unread} ORDER BY id DESC LIMIT ?`).all(
    user,
    opts.before ?? Number.MAX_SAFE_INTEGER,
    opts.limit ?? 200,
  );
  return (rows as Record<string, unknown>[]).map(notificationFromRow);
}

export function markNotificationsRead(db: Database.Database, user: string, upTo: number, at: number): number {
  return prepared(db, 'UPDATE notifications SET read_at = ? WHERE user_name = ? AND id <= ? AND read_at IS NULL').run(at, user, upTo)
    .changes;
}

/** Only the user's own: someone else's notification reads as absent. */
export function markNotificationRead(db: Database.Database, id: number, user: string, at: number): NotificationRow | undefined {
  const r = prepared(db, 'UPDATE notifications SET read_at = coalesce(read_at, ?) WHERE id = ? AND user_name = ? RETURNING *').get(
    at,
    id,
    user,
  );
  return r ? notificationFromRow(r as Record<string, unknown>) : undefined;
}

const NOTIFY_USER = 'INSERT INTO notifications (user_name, kind, message, action_id, case_id, at) VALUES (?, ?, ?, ?, ?, ?)';
/** The unread notice a new one replaces (notifications_unread_repeat). */
const FORGET_REPEAT = 'DELETE FROM notifications WHERE user_name = ? AND action_id = ? AND kind = ? AND read_at IS NULL';

/**
 * Notices to people about their tasks (a write's `notify` effects, a launch's notices), in the caller's
 * transaction; bounded by the caller. Each replaces the person's unread notice of the same kind about
 * the same task: a task handed back and forth a thousand times is one notice of each kind, the latest.
 */
export function insertUserNotices(db: Database.Database, notices: readonly UserNotice[]): void {
  for (const n of notices) {
    prepared(db, FORGET_REPEAT).run(n.user, n.actionId, n.kind);
    prepared(db, NOTIFY_USER).run(n.user, n.kind, n.message, n.actionId, n.caseId, n.at);
  }
}

// Counted no further than decides (countCap): a user far past the bound (a store from before it) costs no full count per insert.
const COUNT_OF_USER = 'SELECT count(*) AS n FROM (SELECT 1 FROM notifications WHERE user_name = ? LIMIT ?)';
// Unread ones go task notices first: an escalation or a stopped case is the last a flood of task hand-overs pushes out.
const DROP_OLDEST = (read: boolean): string =>
  `DELETE FROM notifications WHERE id IN (SELECT id FROM notifications WHERE user_name = ? AND read_at IS ${read ? 'NOT NULL ORDER BY id' : "NULL ORDER BY kind IN ('action.escalated', 'case.stopped'), id"} LIMIT ?)`;

/** Keeps each of `users` within `keep` notifications, oldest read ones first (notification-bound.ts); in the inserting transaction. */
export function boundNotifications(db: Database.Database, users: Iterable<string>, keep: number): void {
  for (const user of new Set(users)) {
    const count = (prepared(db, COUNT_OF_USER).get(user, countCap(keep)) as { n: number }).n;
    let drop = notificationsToDrop(count, keep);
    const read = drop > 0 ? prepared(db, DROP_OLDEST(true)).run(user, drop).changes : 0;
    drop -= read;
    // Read ones all gone (drop is left): the rest are unread, dropped only when more than the bound.
    if (drop > 0 && count - read > keep) prepared(db, DROP_OLDEST(false)).run(user, drop);
  }
}
