// Bulk launches in SQLite: the header row with its counts and lease, and one row per data row. Every
// write under a lease checks the owner in the same transaction, so a node that lost its lease (it
// stalled, another node resumed the run) changes nothing.

import type Database from 'better-sqlite3';
import type { BulkLaunchRow, BulkLease, BulkRowRecord, BulkRowResult, BulkRowStatusFilter } from '../bulk-schedule-types.ts';
import { BODY_LOST, BULK_COLUMNS, bulkFromRow, bulkRowFromRow, bulkRowValues, bulkValues } from '../bulk-schedule-rows.ts';
import { prepared } from './statements.ts';

type Row = Record<string, unknown>;

const INSERT = `INSERT INTO bulk_launches (${BULK_COLUMNS.join(', ')}) VALUES (${BULK_COLUMNS.map(() => '?').join(', ')})
  ON CONFLICT (idempotency_key) DO NOTHING`;

export function insertBulkLaunch(db: Database.Database, b: BulkLaunchRow): { created: boolean; row: BulkLaunchRow } {
  return db
    .transaction(() => {
      const r = prepared(db, INSERT).run(...bulkValues(b));
      if (r.changes === 1) return { created: true, row: b };
      const prior = prepared(db, 'SELECT * FROM bulk_launches WHERE idempotency_key = ?').get(b.idempotencyKey) as Row;
      return { created: false, row: bulkFromRow(prior) };
    })
    .immediate();
}

export function getBulkLaunch(db: Database.Database, id: string): BulkLaunchRow | undefined {
  const r = prepared(db, 'SELECT * FROM bulk_launches WHERE id = ?').get(id) as Row | undefined;
  return r ? bulkFromRow(r) : undefined;
}

/** Extends the lease when this node still holds it (in `status`); false otherwise. */
function renew(db: Database.Database, id: string, lease: BulkLease, status: string, set = ''): boolean {
  const r = prepared(
    db,
    `UPDATE bulk_launches SET lease_until = ?, updated_at = ?${set} WHERE id = ? AND lease_owner = ? AND status = ?`,
  ).run(lease.until, lease.now, id, lease.owner, status);
  return r.changes === 1;
}

export function insertBulkRows(db: Database.Database, bulkId: string, rows: BulkRowRecord[], lease: BulkLease): boolean {
  const insert = prepared(db, 'INSERT INTO bulk_launch_rows (bulk_id, row_no, status, input, action_id, errors) VALUES (?, ?, ?, ?, ?, ?)');
  return db
    .transaction(() => {
      if (!renew(db, bulkId, lease, 'parsing')) return false;
      let refused = 0;
      for (const r of rows) {
        insert.run(bulkId, r.row, r.status, ...bulkRowValues(r));
        if (r.status === 'refused') refused++;
      }
      prepared(db, 'UPDATE bulk_launches SET refused = refused + ?, total = total + ? WHERE id = ?').run(refused, rows.length, bulkId);
      return true;
    })
    .immediate();
}

export function finishBulkParse(db: Database.Database, bulkId: string, lease: BulkLease): boolean {
  return renew(db, bulkId, lease, 'parsing', ", status = 'running'");
}

export function listBulkRows(
  db: Database.Database,
  bulkId: string,
  afterRow: number,
  limit: number,
  status?: BulkRowStatusFilter,
  maxBytes = Number.MAX_SAFE_INTEGER,
): BulkRowRecord[] {
  const which = status === 'pending' ? "AND status = 'pending'" : status === 'finished' ? "AND status <> 'pending'" : '';
  // The inputs' sizes come from the row headers (octet_length reads no text), summed in row order.
  const rows = prepared(
    db,
    `SELECT * FROM (
       SELECT p.*, sum(p.row_bytes) OVER (ORDER BY p.row_no ROWS UNBOUNDED PRECEDING) AS page_bytes
         FROM (SELECT *, coalesce(octet_length(input), 0) AS row_bytes FROM bulk_launch_rows
                WHERE bulk_id = ? AND row_no > ? ${which} ORDER BY row_no LIMIT ?) p)
      WHERE page_bytes - row_bytes < ? ORDER BY row_no`,
  ).all(bulkId, afterRow, limit, maxBytes);
  return (rows as Row[]).map(bulkRowFromRow);
}

export function recordBulkResults(db: Database.Database, bulkId: string, results: BulkRowResult[], lease: BulkLease): boolean {
  const update = prepared(
    db,
    "UPDATE bulk_launch_rows SET status = ?, input = NULL, action_id = ?, errors = ? WHERE bulk_id = ? AND row_no = ? AND status = 'pending'",
  );
  return db
    .transaction(() => {
      if (!renew(db, bulkId, lease, 'running')) return false;
      let launched = 0;
      let refused = 0;
      for (const r of results) {
        const [, actionId, errors] = bulkRowValues(r);
        if (update.run(r.status, actionId, errors, bulkId, r.row).changes === 0) continue;
        if (r.status === 'launched') launched++;
        else refused++;
      }
      prepared(db, 'UPDATE bulk_launches SET launched = launched + ?, refused = refused + ? WHERE id = ?').run(launched, refused, bulkId);
      return true;
    })
    .immediate();
}

export function finishBulkLaunch(
  db: Database.Database,
  bulkId: string,
  status: 'done' | 'failed',
  error: string | null,
  lease: BulkLease,
): boolean {
  const r = prepared(
    db,
    `UPDATE bulk_launches SET status = ?, error = ?, finished_at = ?, updated_at = ?, lease_until = NULL
      WHERE id = ? AND lease_owner = ? AND status IN ('parsing', 'running')`,
  ).run(status, error, lease.now, lease.now, bulkId, lease.owner);
  return r.changes === 1;
}

/**
 * Takes over runs whose node stopped (lease over): a run that was launching is leased to this node to
 * go on; one still reading its body cannot (the body is gone) and fails, having launched nothing.
 */
export function claimStaleBulkLaunches(db: Database.Database, lease: BulkLease, limit: number): BulkLaunchRow[] {
  return db
    .transaction(() => {
      prepared(
        db,
        `UPDATE bulk_launches SET status = 'failed', error = ?, finished_at = ?, updated_at = ?, lease_until = NULL
          WHERE status = 'parsing' AND lease_until < ?`,
      ).run(BODY_LOST, lease.now, lease.now, lease.now);
      const rows = prepared(
        db,
        `UPDATE bulk_launches SET lease_owner = ?, lease_until = ?, updated_at = ?
          WHERE id IN (SELECT id FROM bulk_launches WHERE status = 'running' AND lease_until < ? ORDER BY lease_until LIMIT ?)
        RETURNING *`,
      ).all(lease.owner, lease.until, lease.now, lease.now, limit);
      return (rows as Row[]).map(bulkFromRow);
    })
    .immediate();
}

export function actionIdsByLaunchKeys(db: Database.Database, keys: string[]): Map<string, string> {
  if (keys.length === 0) return new Map();
  const rows = prepared(db, 'SELECT id, launch_key FROM actions WHERE launch_key IN (SELECT value FROM json_each(?))').all(
    JSON.stringify(keys),
  ) as Array<{ id: string; launch_key: string }>;
  return new Map(rows.map((r) => [r.launch_key, r.id]));
}
