// Bulk launches in PostgreSQL: the header row with its counts and lease, and one row per data row.
// Every write under a lease checks the owner in the same transaction, so a node that lost its lease
// (it stalled, another node resumed the run) changes nothing. Batches of rows go as one jsonb parameter.

import type { Pool, PoolClient } from 'pg';
import type { BulkLaunchRow, BulkLease, BulkRowRecord, BulkRowResult, BulkRowStatusFilter } from '../bulk-schedule-types.ts';
import { BODY_LOST, BULK_COLUMNS, bulkFromRow, bulkRowFromRow, bulkRowValues, bulkValues } from '../bulk-schedule-rows.ts';
import { inTransaction } from './transaction.ts';

type Row = Record<string, unknown>;

const INSERT = `INSERT INTO bulk_launches (${BULK_COLUMNS.join(', ')}) VALUES (${BULK_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
  ON CONFLICT (idempotency_key) DO NOTHING`;

export async function insertBulkLaunch(pool: Pool, b: BulkLaunchRow): Promise<{ created: boolean; row: BulkLaunchRow }> {
  const r = await pool.query(INSERT, bulkValues(b));
  if (r.rowCount === 1) return { created: true, row: b };
  const prior = (await pool.query('SELECT * FROM bulk_launches WHERE idempotency_key = $1', [b.idempotencyKey])).rows[0] as Row;
  return { created: false, row: bulkFromRow(prior) };
}

export async function getBulkLaunch(pool: Pool, id: string): Promise<BulkLaunchRow | undefined> {
  const r = (await pool.query('SELECT * FROM bulk_launches WHERE id = $1', [id])).rows[0] as Row | undefined;
  return r ? bulkFromRow(r) : undefined;
}

/** Extends the lease when this node still holds it (in `status`); false otherwise. Locks the row for the transaction. */
async function renew(c: PoolClient | Pool, id: string, lease: BulkLease, status: string, set = ''): Promise<boolean> {
  const r = await c.query(
    `UPDATE bulk_launches SET lease_until = $1, updated_at = $2${set} WHERE id = $3 AND lease_owner = $4 AND status = $5`,
    [lease.until, lease.now, id, lease.owner, status],
  );
  return r.rowCount === 1;
}

export async function insertBulkRows(pool: Pool, bulkId: string, rows: BulkRowRecord[], lease: BulkLease): Promise<boolean> {
  const items = rows.map((r) => {
    const [input, actionId, errors] = bulkRowValues(r);
    return { row_no: r.row, status: r.status, input, action_id: actionId, errors };
  });
  const refused = rows.filter((r) => r.status === 'refused').length;
  return inTransaction(pool, async (c) => {
    if (!(await renew(c, bulkId, lease, 'parsing'))) return false;
    await c.query(
      `INSERT INTO bulk_launch_rows (bulk_id, row_no, status, input, action_id, errors)
       SELECT $1, r.row_no, r.status, r.input::jsonb, r.action_id, r.errors::jsonb
         FROM jsonb_to_recordset($2::jsonb) AS r(row_no int, status text, input text, action_id text, errors text)`,
      [bulkId, JSON.stringify(items)],
    );
    await c.query('UPDATE bulk_launches SET refused = refused + $1, total = total + $2 WHERE id = $3', [refused, rows.length, bulkId]);
    return true;
  });
}

export async function finishBulkParse(pool: Pool, bulkId: string, lease: BulkLease): Promise<boolean> {
  return renew(pool, bulkId, lease, 'parsing', ", status = 'running'");
}

export async function listBulkRows(
  pool: Pool,
  bulkId: string,
  afterRow: number,
  limit: number,
  status?: BulkRowStatusFilter,
  maxBytes = Number.MAX_SAFE_INTEGER,
): Promise<BulkRowRecord[]> {
  const which = status === 'pending' ? "AND status = 'pending'" : status === 'finished' ? "AND status <> 'pending'" : '';
  const r = await pool.query(
    `SELECT * FROM (
       SELECT p.*, sum(p.row_bytes) OVER (ORDER BY p.row_no ROWS UNBOUNDED PRECEDING) AS page_bytes
         FROM (SELECT *, coalesce(octet_length(input::text), 0) AS row_bytes FROM bulk_launch_rows
                WHERE bulk_id = $1 AND row_no > $2 ${which} ORDER BY row_no LIMIT $3) p) page
      WHERE page_bytes - row_bytes < $4 ORDER BY row_no`,
    [bulkId, afterRow, limit, maxBytes],
  );
  return (r.rows as Row[]).map(bulkRowFromRow);
}

export async function recordBulkResults(pool: Pool, bulkId: string, results: BulkRowResult[], lease: BulkLease): Promise<boolean> {
  const items = results.map((r) => {
    const [, actionId, errors] = bulkRowValues(r);
    return { row_no: r.row, status: r.status, action_id: actionId, errors };
  });
  return inTransaction(pool, async (c) => {
    if (!(await renew(c, bulkId, lease, 'running'))) return false;
    const changed = await c.query<{ status: string; n: string }>(
      `WITH done AS (
         UPDATE bulk_launch_rows b SET status = r.status, input = NULL, action_id = r.action_id, errors = r.errors::jsonb
           FROM jsonb_to_recordset($2::jsonb) AS r(row_no int, status text, action_id text, errors text)
          WHERE b.bulk_id = $1 AND b.row_no = r.row_no AND b.status = 'pending'
         RETURNING b.status)
       SELECT status, count(*) AS n FROM done GROUP BY status`,
      [bulkId, JSON.stringify(items)],
    );
    const count = (s: string): number => Number(changed.rows.find((x) => x.status === s)?.n ?? 0);
    await c.query('UPDATE bulk_launches SET launched = launched + $1, refused = refused + $2 WHERE id = $3', [
      count('launched'),
      count('refused'),
      bulkId,
    ]);
    return true;
  });
}

export async function finishBulkLaunch(
  pool: Pool,
  bulkId: string,
  status: 'done' | 'failed',
  error: string | null,
  lease: BulkLease,
): Promise<boolean> {
  const r = await pool.query(
    `UPDATE bulk_launches SET status = $1, error = $2, finished_at = $3, updated_at = $3, lease_until = NULL
      WHERE id = $4 AND lease_owner = $5 AND status IN ('parsing', 'running')`,
    [status, error, lease.now, bulkId, lease.owner],
  );
  return r.rowCount === 1;
}

/**
 * Takes over runs whose node stopped (lease over): a run that was launching is leased to this node to
 * go on; one still reading its body cannot (the body is gone) and fails, having launched nothing.
 */
export async function claimStaleBulkLaunches(pool: Pool, lease: BulkLease, limit: number): Promise<BulkLaunchRow[]> {
  return inTransaction(pool, async (c) => {
    await c.query(
      `UPDATE bulk_launches SET status = 'failed', error = $1, finished_at = $2, updated_at = $2, lease_until = NULL
        WHERE status = 'parsing' AND lease_until < $2`,
      [BODY_LOST, lease.now],
    );
    const r = await c.query(
      `UPDATE bulk_launches SET lease_owner = $1, lease_until = $2, updated_at = $3
        WHERE id IN (SELECT id FROM bulk_launches WHERE status = 'running' AND lease_until < $3
                      ORDER BY lease_until LIMIT $4 FOR UPDATE SKIP LOCKED)
      RETURNING *`,
      [lease.owner, lease.until, lease.now, limit],
    );
    return (r.rows as Row[]).map(bulkFromRow);
  });
}

export async function actionIdsByLaunchKeys(pool: Pool, keys: string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const r = await pool.query<{ id: string; launch_key: string }>('SELECT id, launch_key FROM actions WHERE launch_key = ANY($1::text[])', [
    keys,
  ]);
  return new Map(r.rows.map((x) => [x.launch_key, x.id]));
}
