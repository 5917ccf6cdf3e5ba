// The actions a bulk replay touches (SQLite): counted for a dry run, listed oldest first for the run.

import type Database from 'better-sqlite3';
import type { ActionRecord } from '../../lifecycle/action.ts';
import type { ReplayFilter } from '../bulk-schedule-types.ts';
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
