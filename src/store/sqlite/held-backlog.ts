// Where a rate-limit backlog ends: the latest due time of the held actions of some action types.

import type Database from 'better-sqlite3';
import { prepared } from './statements.ts';

// One index look-up per type (actions_throttled), not a scan of the held actions.
const LATEST = `SELECT max(due_at) AS due FROM actions WHERE phase = 'throttled' AND action_type_id = ?`;

export function latestHeldDueAt(db: Database.Database, actionTypeIds: readonly string[]): number | null {
  let latest: number | null = null;
  for (const id of actionTypeIds) {
    const due = (prepared(db, LATEST).get(id) as { due: number | null }).due;
    if (due !== null && (latest === null || due > latest)) latest = due;
  }
  return latest;
}
