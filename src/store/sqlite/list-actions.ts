// Action lists, newest first, filtered and paged; the WHERE clause is shared (`?` parameters, booleans as 0/1).

import type Database from 'better-sqlite3';
import type { ActionRecord } from '../../lifecycle/action.ts';
import type { ActionFilter } from '../types.ts';
import { actionWhere } from '../action-where.ts';
import { actionFromRow } from '../rows.ts';
import { prepared } from './statements.ts';

const SQLITE = { placeholder: () => '?', bool: (b: boolean) => (b ? 1 : 0) };

export function listActions(db: Database.Database, filter: ActionFilter): ActionRecord[] {
  const { sql, params } = actionWhere(filter, SQLITE);
  const rows = prepared(db, `SELECT * FROM actions ${sql} ORDER BY id DESC LIMIT ?`).all(...params, filter.limit);
  return (rows as Record<string, unknown>[]).map(actionFromRow);
}

/** How many actions match (the UI's counts per state). */
export function countActions(db: Database.Database, filter: Omit<ActionFilter, 'limit' | 'before'>): number {
  const { sql, params } = actionWhere(filter, SQLITE);
  return (prepared(db, `SELECT count(*) AS n FROM actions ${sql}`).get(...params) as { n: number }).n;
}

/** Throttled actions per action type, from the held-backlog index (`actions_throttled`). */
export function countThrottledByActionType(db: Database.Database): Map<string, number> {
  const rows = prepared(
    db,
    "SELECT action_type_id AS id, count(*) AS n FROM actions WHERE phase = 'throttled' AND state = 'waiting' GROUP BY action_type_id",
  ).all() as Array<{ id: string; n: number }>;
  return new Map(rows.map((r) => [r.id, r.n]));
}
