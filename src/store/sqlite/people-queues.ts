// Users and queues in the embedded store: one statement each.

import type Database from 'better-sqlite3';
import { nameTaken } from '../conflicts.ts';
import type { NamePage, PendingRelease, QueueRow, UserRow } from '../types.ts';
import { queueFromRow, userFromRow } from '../allocation.ts';
import { prepared } from './statements.ts';
import type { ActionRecord } from '../../lifecycle/action.ts';
import { actionFromRow } from '../rows.ts';

const unique = (e: unknown): boolean => (e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY';

export function insertUser(db: Database.Database, u: UserRow): void {
  try {
    prepared(db, 'INSERT INTO users (name, display_name, email, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      u.name,
      u.displayName,
      u.email,
      u.disabled ? 1 : 0,
      u.createdAt,
      u.updatedAt,
    );
  } catch (e) {
    throw unique(e) ? nameTaken('user', u.name) : e;
  }
}

export function getUser(db: Database.Database, name: string): UserRow | undefined {
  const r = prepared(db, 'SELECT * FROM users WHERE name = ?').get(name);
  return r ? userFromRow(r as Record<string, unknown>) : undefined;
}

export function listUsers(db: Database.Database): UserRow[] {
  return (prepared(db, 'SELECT * FROM users ORDER BY name').all() as Record<string, unknown>[]).map(userFromRow);
}

/** A page by name, on the primary key's order. */
export function listUsersPage(db: Database.Database, p: NamePage): { rows: UserRow[]; more: boolean } {
  const sql = `SELECT * FROM users ${p.after !== undefined ? 'WHERE name > ?' : ''} ORDER BY name LIMIT ?`;
  const rows = prepared(db, sql).all(...(p.after !== undefined ? [p.after] : []), p.limit) as Record<string, unknown>[];
  return { rows: rows.map(userFromRow), more: rows.length === p.limit };
}

/** false when there is no such user, or (given `expectedUpdatedAt`) it changed since it was read. */
export function updateUser(db: Database.Database, u: UserRow, expectedUpdatedAt?: number): boolean {
  const values = [u.displayName, u.email, u.disabled ? 1 : 0, u.updatedAt, u.name];
  const sql = 'UPDATE users SET display_name = ?, email = ?, disabled = ?, updated_at = ? WHERE name = ?';
  if (expectedUpdatedAt === undefined) return prepared(db, sql).run(...values).changes === 1;
  return prepared(db, `${sql} AND updated_at = ?`).run(...values, expectedUpdatedAt).changes === 1;
}

// Names are unique ignoring case (migration 018): a taken one writes nothing, and the queue holding it is named in the refusal.
const FOLDED_OWNER = 'SELECT name FROM queues WHERE lower(name) = lower(?) ORDER BY name_lookalike, created_at LIMIT 1';

export function insertQueue(db: Database.Database, q: QueueRow): void {
  const r = prepared(
    db,
    'INSERT INTO queues (name, doc, revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  ).run(q.name, JSON.stringify(q.doc), q.revision, q.createdAt, q.updatedAt);
  if (r.changes === 1) return;
  const existing = (prepared(db, FOLDED_OWNER).get(q.name) as { name: string } | undefined)?.name;
  throw nameTaken('queue', q.name, existing ?? q.name);
}

export function getQueue(db: Database.Database, name: string): QueueRow | undefined {
  const r = prepared(db, 'SELECT * FROM queues WHERE name = ?').get(name);
  return r ? queueFromRow(r as Record<string, unknown>) : undefined;
}

// An exact name first, so each lookalike kept from before migration 018 is still found by its own name.
export function findQueue(db: Database.Database, name: string): QueueRow | undefined {
  const sql = 'SELECT * FROM queues WHERE lower(name) = lower(?) ORDER BY name = ? DESC, name_lookalike, created_at LIMIT 1';
  const r = prepared(db, sql).get(name, name);
  return r ? queueFromRow(r as Record<string, unknown>) : undefined;
}

export function listQueues(db: Database.Database): QueueRow[] {
  return (prepared(db, 'SELECT * FROM queues ORDER BY name').all() as Record<string, unknown>[]).map(queueFromRow);
}

/** A page by name, cut at maxBytes of documents (a queue may list 1,000 members) as listConfigPage cuts. */
export function listQueuesPage(db: Database.Database, p: NamePage): { rows: QueueRow[]; more: boolean } {
  const maxBytes = p.maxBytes ?? Number.MAX_SAFE_INTEGER;
  const sql = `SELECT * FROM (
    SELECT p.*, sum(p.page_row_bytes) OVER (ORDER BY p.name ROWS UNBOUNDED PRECEDING) AS page_bytes
      FROM (SELECT *, length(CAST(doc AS BLOB)) AS page_row_bytes
              FROM queues ${p.after !== undefined ? 'WHERE name > ?' : ''} ORDER BY name LIMIT ?) p)
   WHERE page_bytes - page_row_bytes < ? ORDER BY name`;
  const params = [...(p.after !== undefined ? [p.after] : []), p.limit, maxBytes];
  const rows = prepared(db, sql).all(...params) as Array<Record<string, unknown> & { page_bytes: number }>;
  return { rows: rows.map(queueFromRow), more: rows.length === p.limit || (rows.at(-1)?.page_bytes ?? 0) >= maxBytes };
}

/** Within the caller's transaction when `releases` are given (they are written only with the change). */
export function updateQueue(
  db: Database.Database,
  q: QueueRow,
  expectedRevision: number,
  releases: readonly PendingRelease[] = [],
): boolean {
  const changed =
    prepared(db, 'UPDATE queues SET doc = ?, revision = ?, updated_at = ? WHERE name = ? AND revision = ?').run(
      JSON.stringify(q.doc),
      q.revision,
      q.updatedAt,
      q.name,
      expectedRevision,
    ).changes === 1;
  if (changed) for (const r of releases) prepared(db, RECORD_RELEASE).run(r);
  return changed;
}

// Taken off again before an earlier release finished: the newer one is what is left to do.
const RECORD_RELEASE = `INSERT INTO pending_releases (holder, queue, released_by, because, at) VALUES (@holder, @queue, @by, @because, @at)
ON CONFLICT (holder, queue) DO UPDATE SET released_by = excluded.released_by, because = excluded.because, at = excluded.at`;

export function listPendingReleases(db: Database.Database, atOrBefore: number, limit: number): PendingRelease[] {
  const rows = prepared(
    db,
    'SELECT holder, queue, released_by, because, at FROM pending_releases WHERE at <= ? ORDER BY at, holder, queue LIMIT ?',
  ).all(atOrBefore, limit) as Array<{ holder: string; queue: string; released_by: string; because: string; at: number }>;
  return rows.map((r) => ({ holder: r.holder, queue: r.queue, by: r.released_by, because: r.because, at: Number(r.at) }));
}

export function dropPendingRelease(db: Database.Database, r: Pick<PendingRelease, 'holder' | 'queue' | 'at'>): void {
  prepared(db, 'DELETE FROM pending_releases WHERE holder = ? AND queue = ? AND at = ?').run(r.holder, r.queue, r.at);
}

/**
 * Up to `limit` open tasks on a queue (To Do, In Progress) still with a disabled user, oldest first: what a
 * node that stopped while giving them back left. Through the index of open tasks by assignee, from the
 * few disabled users: with nothing to give back, it reads no task
 * (CROSS JOIN: SQLite goes from users, not through every open task by state).
 */
export function listTasksOfDisabledUsers(db: Database.Database, limit: number): ActionRecord[] {
  const rows = prepared(
    db,
    `SELECT a.* FROM users u CROSS JOIN actions a ON a.assignee = u.name
      WHERE u.disabled = 1 AND a.assignee IS NOT NULL AND a.state IN ('todo', 'in_progress') AND a.queue IS NOT NULL
      ORDER BY a.id LIMIT ?`,
  ).all(limit);
  return (rows as Record<string, unknown>[]).map(actionFromRow);
}

/**
 * See Store.listOverdueToNotice: from the low end of actions_overdue_watch, which holds only open tasks
 * with a due time nobody was told of (the WHERE repeats its terms, so SQLite may use it; INDEXED BY
 * makes a plan that cannot an error rather than a walk through the table).
 */
export function listOverdueToNotice(db: Database.Database, now: number, limit: number): ActionRecord[] {
  const rows = prepared(
    db,
    `SELECT * FROM actions INDEXED BY actions_overdue_watch
      WHERE work_due_at IS NOT NULL AND overdue_noticed = 0 AND state IN ('todo', 'in_progress') AND work_due_at <= ?
      ORDER BY work_due_at LIMIT ?`,
  ).all(now, limit);
  return (rows as Record<string, unknown>[]).map(actionFromRow);
}
