// The actions a bulk replay touches (PostgreSQL): counted for a dry run, listed oldest first for the run;
// and the runs kept with their items (028_bulk_replay_runs.sql), listed and deleted when old (031).

import type { Pool } from 'pg';
import type { ActionRecord } from '../../lifecycle/action.ts';
import type {
  ReplayFilter,
  ReplayKeyRequest,
  ReplayKeyTaken,
  ReplayRunItem,
  ReplayRunRow,
  ReplayStateCount,
  ReplaySelectionRow,
} from '../bulk-schedule-types.ts';
import { inTransaction } from './transaction.ts';
import { replayWhere } from '../replay-where.ts';
import { actionFromRow } from '../rows.ts';
import { ITEMS_PER_DELETE, itemFromRow, runFromRow, selectionFromRow } from '../replay-run-rows.ts';

const POSTGRES = {
  placeholder: (n: number) => `$${n}`,
  bool: (b: boolean) => b,
  jsonList: (p: string) => `jsonb_array_elements_text(${p}::jsonb)`,
};

export async function countReplayActions(pool: Pool, f: ReplayFilter): Promise<number> {
  const { sql, params } = replayWhere(f, POSTGRES);
  return Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM actions ${sql}`, params)).rows[0]!.n);
}

export async function countReplayByState(pool: Pool, f: ReplayFilter): Promise<ReplayStateCount[]> {
  const { sql, params } = replayWhere(f, POSTGRES);
  const r = await pool.query<{ state: string; reason: string | null; resolution: string | null; n: string }>(
    `SELECT state, reason, resolution, count(*) AS n FROM actions ${sql} GROUP BY state, reason, resolution`,
    params,
  );
  return r.rows.map((row) => ({ state: row.state, reason: row.reason, resolution: row.resolution, n: Number(row.n) }));
}

export async function listReplayActions(pool: Pool, f: ReplayFilter, limit: number): Promise<ActionRecord[]> {
  const { sql, params } = replayWhere(f, POSTGRES);
  const rows = (await pool.query(`SELECT * FROM actions ${sql} ORDER BY id LIMIT $${params.length + 1}`, [...params, limit])).rows;
  return (rows as Record<string, unknown>[]).map(actionFromRow);
}

export async function listReplayActionIds(pool: Pool, f: ReplayFilter, limit: number): Promise<string[]> {
  const { sql, params } = replayWhere(f, POSTGRES);
  const r = await pool.query<{ id: string }>(`SELECT id FROM actions ${sql} ORDER BY id LIMIT $${params.length + 1}`, [...params, limit]);
  return r.rows.map((row) => row.id);
}

export async function takeReplayKey(pool: Pool, r: ReplayKeyRequest): Promise<ReplayKeyTaken> {
  await pool.query('DELETE FROM bulk_replay_keys WHERE created_at < $1', [r.keepSince]);
  const inserted = await pool.query(
    `INSERT INTO bulk_replay_keys (idempotency_key, request_hash, report, owner, lease_until, created_at) VALUES ($1, $2, NULL, $3, $4, $5)
     ON CONFLICT (idempotency_key) DO NOTHING`,
    [r.key, r.requestHash, r.owner, r.leaseUntil, r.now],
  );
  if (inserted.rowCount === 1) return { taken: true };
  // Its run stopped without an end: the same request runs again. One statement, so one taker wins.
  const retaken = await pool.query(
    `UPDATE bulk_replay_keys SET owner = $5, lease_until = $2, created_at = $3
     WHERE idempotency_key = $1 AND report IS NULL AND lease_until <= $3 AND request_hash = $4`,
    [r.key, r.leaseUntil, r.now, r.requestHash, r.owner],
  );
  if (retaken.rowCount === 1) return { taken: true };
  const row = (
    await pool.query<{ request_hash: string; report: string | null }>(
      'SELECT request_hash, report FROM bulk_replay_keys WHERE idempotency_key = $1',
      [r.key],
    )
  ).rows[0];
  // Forgotten between the statements (a day old): this run takes it anew.
  if (!row) return takeReplayKey(pool, r);
  return { taken: false, requestHash: row.request_hash, report: row.report };
}

export async function renewReplayKey(pool: Pool, key: string, owner: string, leaseUntil: number): Promise<boolean> {
  const sql = 'UPDATE bulk_replay_keys SET lease_until = $3 WHERE idempotency_key = $1 AND owner = $2 AND report IS NULL';
  return (await pool.query(sql, [key, owner, leaseUntil])).rowCount === 1;
}

export async function finishReplayKey(pool: Pool, key: string, owner: string, report: string | null): Promise<void> {
  if (report === null)
    await pool.query('DELETE FROM bulk_replay_keys WHERE idempotency_key = $1 AND owner = $2 AND report IS NULL', [key, owner]);
  else
    await pool.query('UPDATE bulk_replay_keys SET report = $3 WHERE idempotency_key = $1 AND owner = $2 AND report IS NULL', [
      key,
      owner,
      report,
    ]);
}

export async function insertReplayRun(pool: Pool, r: ReplayRunRow): Promise<void> {
  await pool.query(
    `INSERT INTO bulk_replay_runs (id, created_by, operation, request, status, count, done, skipped, remaining, error, created_at, updated_at, finished_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      r.id,
      r.createdBy,
      r.operation,
      r.request,
      r.status,
      r.count,
      r.done,
      r.skipped,
      r.remaining,
      r.error,
      r.createdAt,
      r.updatedAt,
      r.finishedAt,
    ],
  );
}

export async function recordReplayItems(
  pool: Pool,
  runId: string,
  items: ReplayRunItem[],
  totals: { done: number; skipped: number; updatedAt: number },
): Promise<void> {
  await inTransaction(pool, async (c) => {
    await c.query(
      `INSERT INTO bulk_replay_items (run_id, seq, action_id, status, reason)
       SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[])`,
      [runId, items.map((i) => i.seq), items.map((i) => i.actionId), items.map((i) => i.status), items.map((i) => i.reason)],
    );
    await c.query('UPDATE bulk_replay_runs SET done = $2, skipped = $3, updated_at = $4 WHERE id = $1', [
      runId,
      totals.done,
      totals.skipped,
      totals.updatedAt,
    ]);
  });
}

export async function finishReplayRun(
  pool: Pool,
  runId: string,
  end: { status: 'done' | 'failed'; remaining: number; error: string | null; finishedAt: number },
): Promise<void> {
  await pool.query('UPDATE bulk_replay_runs SET status = $2, remaining = $3, error = $4, finished_at = $5, updated_at = $5 WHERE id = $1', [
    runId,
    end.status,
    end.remaining,
    end.error,
    end.finishedAt,
  ]);
}

export async function getReplayRun(pool: Pool, id: string): Promise<ReplayRunRow | undefined> {
  const row = (await pool.query('SELECT * FROM bulk_replay_runs WHERE id = $1', [id])).rows[0] as Record<string, unknown> | undefined;
  return row && runFromRow(row);
}

export async function listReplayRunItems(pool: Pool, runId: string, afterSeq: number, limit: number): Promise<ReplayRunItem[]> {
  const r = await pool.query(
    'SELECT seq, action_id, status, reason FROM bulk_replay_items WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
    [runId, afterSeq, limit],
  );
  return (r.rows as Array<Record<string, unknown>>).map(itemFromRow);
}

export async function touchReplayRun(pool: Pool, runId: string, at: number): Promise<void> {
  await pool.query("UPDATE bulk_replay_runs SET updated_at = GREATEST(updated_at, $2) WHERE id = $1 AND status = 'running'", [runId, at]);
}

export async function listReplayRuns(pool: Pool, q: { createdBy?: string; before?: string; limit: number }): Promise<ReplayRunRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.createdBy !== undefined) where.push(`created_by = $${params.push(q.createdBy)}`);
  if (q.before !== undefined) where.push(`id < $${params.push(q.before)}`);
  const r = await pool.query(
    `SELECT * FROM bulk_replay_runs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.push(q.limit)}`,
    params,
  );
  return (r.rows as Array<Record<string, unknown>>).map(runFromRow);
}

export async function pruneReplayRuns(pool: Pool, movedBefore: number, limit: { runs: number; items: number }): Promise<number> {
  const old = await pool.query<{ id: string }>('SELECT id FROM bulk_replay_runs WHERE updated_at < $1 ORDER BY updated_at LIMIT $2', [
    movedBefore,
    limit.runs,
  ]);
  let budget = limit.items;
  let deleted = 0;
  for (const { id } of old.rows) {
    // Its items first, a short statement at a time (each its own transaction: few row locks, little WAL
    // at once), so a prune cut short leaves a run with fewer items, never items without a run.
    for (;;) {
      const n = Math.min(ITEMS_PER_DELETE, budget);
      if (n === 0) return deleted;
      const gone =
        (
          await pool.query(
            `DELETE FROM bulk_replay_items WHERE run_id = $1 AND seq IN
               (SELECT seq FROM bulk_replay_items WHERE run_id = $1 ORDER BY seq LIMIT $2)`,
            [id, n],
          )
        ).rowCount ?? 0;
      budget -= gone;
      if (gone < n) break;
    }
    deleted += (await pool.query('DELETE FROM bulk_replay_runs WHERE id = $1 AND updated_at < $2', [id, movedBefore])).rowCount ?? 0;
  }
  return deleted;
}

export async function insertReplaySelection(pool: Pool, r: ReplaySelectionRow, keepPerUser: number): Promise<void> {
  await inTransaction(pool, async (c) => {
    await c.query(
      `INSERT INTO bulk_replay_selections (id, created_by, request, action_ids, matched, created_at, expires_at, used_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [r.id, r.createdBy, r.request, JSON.stringify(r.actionIds), r.matched, r.createdAt, r.expiresAt, r.usedAt],
    );
    await c.query(
      `DELETE FROM bulk_replay_selections WHERE created_by = $1 AND id NOT IN
         (SELECT id FROM bulk_replay_selections WHERE created_by = $1 ORDER BY created_at DESC, id DESC LIMIT $2)`,
      [r.createdBy, keepPerUser],
    );
  });
}

export async function getReplaySelection(pool: Pool, id: string): Promise<ReplaySelectionRow | undefined> {
  const row = (await pool.query('SELECT * FROM bulk_replay_selections WHERE id = $1', [id])).rows[0] as Record<string, unknown> | undefined;
  return row && selectionFromRow(row);
}

export async function useReplaySelection(pool: Pool, id: string, usedAt: number): Promise<boolean> {
  const r = await pool.query('UPDATE bulk_replay_selections SET used_at = $1 WHERE id = $2 AND used_at IS NULL', [usedAt, id]);
  return r.rowCount === 1;
}

export async function pruneReplaySelections(pool: Pool, now: number, limit: number): Promise<number> {
  const r = await pool.query(
    `DELETE FROM bulk_replay_selections WHERE id IN
       (SELECT id FROM bulk_replay_selections WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)`,
    [now, limit],
  );
  return r.rowCount ?? 0;
}
