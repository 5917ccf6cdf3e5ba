// The actions a bulk replay touches (SQLite): counted for a dry run, listed oldest first for the run;
// and the runs kept with their items (028_bulk_replay_runs.sql), listed and deleted when old (031).

import type Database from 'better-sqlite3';
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
import { prepared } from './statements.ts';
import { replayWhere } from '../replay-where.ts';
import { actionFromRow } from '../rows.ts';
import { ITEMS_PER_DELETE, itemFromRow, runFromRow, selectionFromRow } from '../replay-run-rows.ts';

const SQLITE = { placeholder: () => '?', bool: (b: boolean) => (b ? 1 : 0), jsonList: (p: string) => `json_each(${p})` };

export function countReplayActions(db: Database.Database, f: ReplayFilter): number {
  const { sql, params } = replayWhere(f, SQLITE);
  return (db.prepare(`SELECT count(*) AS n FROM actions ${sql}`).get(...params) as { n: number }).n;
}

export function countReplayByState(db: Database.Database, f: ReplayFilter): ReplayStateCount[] {
  const { sql, params } = replayWhere(f, SQLITE);
  return db
    .prepare(`SELECT state, reason, resolution, count(*) AS n FROM actions ${sql} GROUP BY state, reason, resolution`)
    .all(...params) as ReplayStateCount[];
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

export function insertReplayRun(db: Database.Database, r: ReplayRunRow): void {
  prepared(
    db,
    `INSERT INTO bulk_replay_runs (id, created_by, operation, request, status, count, done, skipped, remaining, error, created_at, updated_at, finished_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
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
  );
}

export function recordReplayItems(
  db: Database.Database,
  runId: string,
  items: ReplayRunItem[],
  totals: { done: number; skipped: number; updatedAt: number },
): void {
  db.transaction(() => {
    const add = prepared(db, 'INSERT INTO bulk_replay_items (run_id, seq, action_id, status, reason) VALUES (?, ?, ?, ?, ?)');
    for (const i of items) add.run(runId, i.seq, i.actionId, i.status, i.reason);
    prepared(db, 'UPDATE bulk_replay_runs SET done = ?, skipped = ?, updated_at = ? WHERE id = ?').run(
      totals.done,
      totals.skipped,
      totals.updatedAt,
      runId,
    );
  })();
}

export function finishReplayRun(
  db: Database.Database,
  runId: string,
  end: { status: 'done' | 'failed'; remaining: number; error: string | null; finishedAt: number },
): void {
  prepared(db, 'UPDATE bulk_replay_runs SET status = ?, remaining = ?, error = ?, finished_at = ?, updated_at = ? WHERE id = ?').run(
    end.status,
    end.remaining,
    end.error,
    end.finishedAt,
    end.finishedAt,
    runId,
  );
}

export function getReplayRun(db: Database.Database, id: string): ReplayRunRow | undefined {
  const row = prepared(db, 'SELECT * FROM bulk_replay_runs WHERE id = ?').get(id) as Record<string, unknown> | undefined;
  return row && runFromRow(row);
}

export function listReplayRunItems(db: Database.Database, runId: string, afterSeq: number, limit: number): ReplayRunItem[] {
  const sql = 'SELECT seq, action_id, status, reason FROM bulk_replay_items WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?';
  return (prepared(db, sql).all(runId, afterSeq, limit) as Array<Record<string, unknown>>).map(itemFromRow);
}

export function touchReplayRun(db: Database.Database, runId: string, at: number): void {
  prepared(db, "UPDATE bulk_replay_runs SET updated_at = max(updated_at, ?) WHERE id = ? AND status = 'running'").run(at, runId);
}

export function listReplayRuns(db: Database.Database, q: { createdBy?: string; before?: string; limit: number }): ReplayRunRow[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.createdBy !== undefined) {
    where.push('created_by = ?');
    params.push(q.createdBy);
  }
  if (q.before !== undefined) {
    where.push('id < ?');
    params.push(q.before);
  }
  const sql = `SELECT * FROM bulk_replay_runs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
  return (prepared(db, sql).all(...params, q.limit) as Array<Record<string, unknown>>).map(runFromRow);
}

export function pruneReplayRuns(db: Database.Database, movedBefore: number, limit: { runs: number; items: number }): number {
  const old = prepared(db, 'SELECT id FROM bulk_replay_runs WHERE updated_at < ? ORDER BY updated_at LIMIT ?').all(
    movedBefore,
    limit.runs,
  ) as Array<{ id: string }>;
  const dropItems = prepared(
    db,
    'DELETE FROM bulk_replay_items WHERE run_id = ? AND seq IN (SELECT seq FROM bulk_replay_items WHERE run_id = ? ORDER BY seq LIMIT ?)',
  );
  let budget = limit.items;
  let deleted = 0;
  for (const { id } of old) {
    // Its items first, so a prune cut short leaves a run with fewer items, never items without a run.
    for (;;) {
      const n = Math.min(ITEMS_PER_DELETE, budget);
      if (n === 0) return deleted;
      const gone = dropItems.run(id, id, n).changes;
      budget -= gone;
      if (gone < n) break;
    }
    deleted += prepared(db, 'DELETE FROM bulk_replay_runs WHERE id = ? AND updated_at < ?').run(id, movedBefore).changes;
  }
  return deleted;
}

export function insertReplaySelection(db: Database.Database, r: ReplaySelectionRow, keepPerUser: number): void {
  db.transaction(() => {
    prepared(
      db,
      `INSERT INTO bulk_replay_selections (id, created_by, request, action_ids, matched, created_at, expires_at, used_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(r.id, r.createdBy, r.request, JSON.stringify(r.actionIds), r.matched, r.createdAt, r.expiresAt, r.usedAt);
    prepared(
      db,
      `DELETE FROM bulk_replay_selections WHERE created_by = ? AND id NOT IN
         (SELECT id FROM bulk_replay_selections WHERE created_by = ? ORDER BY created_at DESC, id DESC LIMIT ?)`,
    ).run(r.createdBy, r.createdBy, keepPerUser);
  })();
}

export function getReplaySelection(db: Database.Database, id: string): ReplaySelectionRow | undefined {
  const row = prepared(db, 'SELECT * FROM bulk_replay_selections WHERE id = ?').get(id) as Record<string, unknown> | undefined;
  return row && selectionFromRow(row);
}

export function useReplaySelection(db: Database.Database, id: string, usedAt: number): boolean {
  return prepared(db, 'UPDATE bulk_replay_selections SET used_at = ? WHERE id = ? AND used_at IS NULL').run(usedAt, id).changes === 1;
}

export function pruneReplaySelections(db: Database.Database, now: number, limit: number): number {
  const sql = `DELETE FROM bulk_replay_selections WHERE id IN
    (SELECT id FROM bulk_replay_selections WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)`;
  return prepared(db, sql).run(now, limit).changes;
}
