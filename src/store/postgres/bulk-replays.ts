// The actions a bulk replay touches (PostgreSQL): counted for a dry run, listed oldest first for the run.

import type { Pool } from 'pg';
import type { ActionRecord } from '../../lifecycle/action.ts';
import type { ReplayFilter, ReplayKeyRequest, ReplayKeyTaken } from '../bulk-schedule-types.ts';
import { replayWhere } from '../replay-where.ts';
import { actionFromRow } from '../rows.ts';

const POSTGRES = {
  placeholder: (n: number) => `$${n}`,
  bool: (b: boolean) => b,
  jsonList: (p: string) => `jsonb_array_elements_text(${p}::jsonb)`,
};

export async function countReplayActions(pool: Pool, f: ReplayFilter): Promise<number> {
  const { sql, params } = replayWhere(f, POSTGRES);
  return Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM actions ${sql}`, params)).rows[0]!.n);
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
