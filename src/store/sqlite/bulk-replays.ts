// The actions a bulk replay touches (SQLite): counted for a dry run, listed oldest first for the run.

import type Database from 'better-sqlite3';
import type { ActionRecord } from '../../lifecycle/action.ts';
import type { ReplayFilter, ReplayKeyRequest, ReplayKeyTaken } from '../bulk-schedule-types.ts';
import { prepared } from './statements.ts';
import { replayWhere } from '../replay-where.ts';
import { actionFromRow } from '../rows.ts';

const SQLITE = { placeholder: () => '?', bool: (b: boolean) => (b ? 1 : 0), jsonList: (p: string) => `json_each(${p})` };

export function countReplayActions(db: Database.Database, f: ReplayFilter): number {
  const { sql, params } = replayWhere(f, SQLITE);
  return (db.prepare(`SELECT count(*) AS n FROM actions ${sql}`).get(...params) as { n: number }).n;
}

export function listReplayActions(db: Database.Database, f: ReplayFilter, limit: number): ActionRecord[] {
  const { sql, params } = replayWhere(f, SQLITE);
  const rows = db.prepare(`SELECT * FROM actions ${sql} ORDER BY id LIMIT ?`).all(...params, limit);
  return (rows as Record<string, unknown>[]).map(actionFromRow);
}

export function listReplayActionIds(db: Database.Database, f: ReplayFilter, limit: number): string[] {
  const { sql, params } = replayWhere(f, SQLITE);
  return (db.prepare(`SELECT id FROM actions ${sql} ORDER BY id LIMIT ?`).all(...params, limit) as Array<{ id: string }>).map((r) => r.id);
}

export function takeReplayKey(db: Database.Database, r: ReplayKeyRequest): ReplayKeyTaken {
  return db
    .transaction((): ReplayKeyTaken => {
      prepared(db, 'DELETE FROM bulk_replay_keys WHERE created_at < ?').run(r.keepSince);
      const row = prepared(db, 'SELECT request_hash, report, lease_until FROM bulk_replay_keys WHERE idempotency_key = ?').get(r.key) as
        { request_hash: string; report: string | null; lease_until: number } | undefined;
      if (!row) {
        prepared(
          db,
          'INSERT INTO bulk_replay_keys (idempotency_key, request_hash, report, owner, lease_until, created_at) VALUES (?, ?, NULL, ?, ?, ?)',
        ).run(r.key, r.requestHash, r.owner, r.leaseUntil, r.now);
        return { taken: true };
      }
      // Its run stopped without an end: the same request runs again (a replay is its filter, run anew).
      if (row.report === null && row.lease_until <= r.now && row.request_hash === r.requestHash) {
        prepared(db, 'UPDATE bulk_replay_keys SET owner = ?, lease_until = ?, created_at = ? WHERE idempotency_key = ?').run(
          r.owner,
          r.leaseUntil,
          r.now,
          r.key,
        );
        return { taken: true };
      }
      return { taken: false, requestHash: row.request_hash, report: row.report };
    })
    .immediate();
}

export function renewReplayKey(db: Database.Database, key: string, owner: string, leaseUntil: number): boolean {
  const sql = 'UPDATE bulk_replay_keys SET lease_until = ? WHERE idempotency_key = ? AND owner = ? AND report IS NULL';
  return prepared(db, sql).run(leaseUntil, key, owner).changes === 1;
}

export function finishReplayKey(db: Database.Database, key: string, owner: string, report: string | null): void {
  if (report === null)
    prepared(db, 'DELETE FROM bulk_replay_keys WHERE idempotency_key = ? AND owner = ? AND report IS NULL').run(key, owner);
  else
    prepared(db, 'UPDATE bulk_replay_keys SET report = ? WHERE idempotency_key = ? AND owner = ? AND report IS NULL').run(
      report,
      key,
      owner,
    );
}
