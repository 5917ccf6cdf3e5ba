// Users and queues in the shared store: one statement each.

import { DatabaseError, type Pool, type PoolClient } from 'pg';
import type { NamePage, PendingRelease, QueueRow, UserRow } from '../types.ts';
import { queueFromRow, userFromRow } from '../allocation.ts';
import { nameTaken } from '../conflicts.ts';
import type { ActionRecord } from '../../lifecycle/action.ts';
import { actionFromRow } from '../rows.ts';

const unique = (e: unknown): boolean => e instanceof DatabaseError && e.code === '23505';

export async function insertUser(pool: Pool | PoolClient, u: UserRow): Promise<void> {
  try {
    await pool.query('INSERT INTO users (name, display_name, email, disabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      u.name,
      u.displayName,
      u.email,
      u.disabled,
      u.createdAt,
      u.updatedAt,
    ]);
  } catch (e) {
    throw unique(e) ? nameTaken('user', u.name) : e;
  }
}

export async function getUser(pool: Pool, name: string): Promise<UserRow | undefined> {
  const r = await pool.query({ name: 'callout_get_user', text: 'SELECT * FROM users WHERE name = $1', values: [name] });
  return r.rows[0] ? userFromRow(r.rows[0] as Record<string, unknown>) : undefined;
}

export async function listUsers(pool: Pool): Promise<UserRow[]> {
  return (await pool.query('SELECT * FROM users ORDER BY name')).rows.map((r) => userFromRow(r as Record<string, unknown>));
}

/** A page by name, on the primary key's order. */
export async function listUsersPage(pool: Pool, p: NamePage): Promise<{ rows: UserRow[]; more: boolean }> {
  const params: unknown[] = p.after !== undefined ? [p.after, p.limit] : [p.limit];
  const sql = `SELECT * FROM users ${p.after !== undefined ? 'WHERE name > $1' : ''} ORDER BY name LIMIT $${params.length}`;
  const rows = (await pool.query(sql, params)).rows as Record<string, unknown>[];
  return { rows: rows.map(userFromRow), more: rows.length === p.limit };
}

/** false when there is no such user, or (given `expectedUpdatedAt`) it changed since it was read. */
export async function updateUser(pool: Pool | PoolClient, u: UserRow, expectedUpdatedAt?: number): Promise<boolean> {
  const values = [u.displayName, u.email, u.disabled, u.updatedAt, u.name];
  const sql = 'UPDATE users SET display_name = $1, email = $2, disabled = $3, updated_at = $4 WHERE name = $5';
  const r =
    expectedUpdatedAt === undefined
      ? await pool.query(sql, values)
      : await pool.query(`${sql} AND updated_at = $6`, [...values, expectedUpdatedAt]);
  return r.rowCount === 1;
}

// Names are unique ignoring case (migration 018): a taken one writes nothing, and the queue holding it
// is named in the refusal (the statement cannot fail, so this works inside an import's transaction too).
const FOLDED_OWNER = 'SELECT name FROM queues WHERE lower(name) = lower($1) ORDER BY name_lookalike, created_at LIMIT 1';

export async function insertQueue(pool: Pool | PoolClient, q: QueueRow): Promise<void> {
  const r = await pool.query(
    'INSERT INTO queues (name, doc, revision, created_at, updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
    [q.name, JSON.stringify(q.doc), q.revision, q.createdAt, q.updatedAt],
  );
  if (r.rowCount === 1) return;
  const existing = (await pool.query<{ name: string }>(FOLDED_OWNER, [q.name])).rows[0]?.name;
  throw nameTaken('queue', q.name, existing ?? q.name);
}

export async function getQueue(pool: Pool, name: string): Promise<QueueRow | undefined> {
  const r = await pool.query('SELECT * FROM queues WHERE name = $1', [name]);
  return r.rows[0] ? queueFromRow(r.rows[0] as Record<string, unknown>) : undefined;
}

// An exact name first, so each lookalike kept from before migration 018 is still found by its own name.
export async function findQueue(pool: Pool, name: string): Promise<QueueRow | undefined> {
  const sql = 'SELECT * FROM queues WHERE lower(name) = lower($1) ORDER BY name = $1 DESC, name_lookalike, created_at LIMIT 1';
  const r = await pool.query(sql, [name]);
  return r.rows[0] ? queueFromRow(r.rows[0] as Record<string, unknown>) : undefined;
}

export async function listQueues(pool: Pool): Promise<QueueRow[]> {
  return (await pool.query('SELECT * FROM queues ORDER BY name')).rows.map((r) => queueFromRow(r as Record<string, unknown>));
}

/** A page by name, cut at maxBytes of documents (a queue may list 1,000 members) as listConfigPage cuts. */
export async function listQueuesPage(pool: Pool, p: NamePage): Promise<{ rows: QueueRow[]; more: boolean }> {
  const maxBytes = p.maxBytes ?? Number.MAX_SAFE_INTEGER;
  const params: unknown[] = p.after !== undefined ? [p.after] : [];
  params.push(p.limit, maxBytes);
  const sql = `SELECT * FROM (
    SELECT p.*, sum(p.page_row_bytes) OVER (ORDER BY p.name ROWS UNBOUNDED PRECEDING) AS page_bytes
      FROM (SELECT *, octet_length(doc::text) AS page_row_bytes
              FROM queues ${p.after !== undefined ? 'WHERE name > $1' : ''} ORDER BY name LIMIT $${params.length - 1}) p) page
   WHERE page_bytes - page_row_bytes < $${params.length} ORDER BY name`;
  const rows = (await pool.query(sql, params)).rows as Array<Record<string, unknown> & { page_bytes: string }>;
  return { rows: rows.map(queueFromRow), more: rows.length === p.limit || Number(rows.at(-1)?.page_bytes ?? 0) >= maxBytes };
}

/** Within the caller's transaction when `releases` are given (they are written only with the change). */
export async function updateQueue(
  pool: Pool | PoolClient,
  q: QueueRow,
  expectedRevision: number,
  releases: readonly PendingRelease[] = [],
): Promise<boolean> {
  const r = await pool.query('UPDATE queues SET doc = $1, revision = $2, updated_at = $3 WHERE name = $4 AND revision = $5', [
    JSON.stringify(q.doc),
    q.revision,
    q.updatedAt,
    q.name,
    expectedRevision,
  ]);
  if (r.rowCount !== 1) return false;
  for (const x of releases)
    await pool.query({ name: 'callout_record_release', text: RECORD_RELEASE, values: [x.holder, x.queue, x.by, x.because, x.at] });
  return true;
}

// Taken off again before an earlier release finished: the newer one is what is left to do.
const RECORD_RELEASE = `INSERT INTO pending_releases (holder, queue, released_by, because, at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (holder, queue) DO UPDATE SET released_by = excluded.released_by, because = excluded.because, at = excluded.at`;

export async function listPendingReleases(pool: Pool, atOrBefore: number, limit: number): Promise<PendingRelease[]> {
  const r = await pool.query<{ holder: string; queue: string; released_by: string; because: string; at: string }>({
    name: 'callout_pending_releases',
    text: 'SELECT holder, queue, released_by, because, at FROM pending_releases WHERE at <= $1 ORDER BY at, holder, queue LIMIT $2',
    values: [atOrBefore, limit],
  });
  return r.rows.map((x) => ({ holder: x.holder, queue: x.queue, by: x.released_by, because: x.because, at: Number(x.at) }));
}

export async function dropPendingRelease(pool: Pool, r: Pick<PendingRelease, 'holder' | 'queue' | 'at'>): Promise<void> {
  await pool.query({
    name: 'callout_drop_pending_release',
    text: 'DELETE FROM pending_releases WHERE holder = $1 AND queue = $2 AND at = $3',
    values: [r.holder, r.queue, r.at],
  });
}

/**
 * See the embedded store's listTasksOfDisabledUsers. Per disabled user through the index of open tasks by
 * assignee (LATERAL with its LIMIT keeps the planner from going through every open task instead; the
 * collation is the index's, as users' names are "C": with theirs the index serves only as a filter).
 */
export async function listTasksOfDisabledUsers(pool: Pool, limit: number): Promise<ActionRecord[]> {
  const r = await pool.query({
    name: 'callout_tasks_of_disabled_users',
    text: `SELECT a.* FROM users u CROSS JOIN LATERAL (
        SELECT * FROM actions
         WHERE assignee = u.name COLLATE "default" AND assignee IS NOT NULL AND state IN ('todo', 'in_progress') AND queue IS NOT NULL
         ORDER BY id LIMIT $1
      ) a
      WHERE u.disabled
      ORDER BY a.id LIMIT $1`,
    values: [limit],
  });
  return r.rows.map(actionFromRow);
}

/** See Store.listOverdueToNotice: from the low end of the partial index actions_overdue_watch (its terms repeated). */
export async function listOverdueToNotice(pool: Pool, now: number, limit: number): Promise<ActionRecord[]> {
  const r = await pool.query({
    name: 'callout_overdue_to_notice',
    text: `SELECT * FROM actions
      WHERE work_due_at IS NOT NULL AND NOT overdue_noticed AND state IN ('todo', 'in_progress') AND work_due_at <= $1
      ORDER BY work_due_at LIMIT $2`,
    values: [now, limit],
  });
  return r.rows.map(actionFromRow);
}
