// The open actions of one type waiting for a retry (its interval, or a rate limit or open circuit
// holding it back), for live retry-policy changes.

import type Database from 'better-sqlite3';
import type { ActionRecord } from '../../lifecycle/action.ts';
import { actionFromRow } from '../rows.ts';
import { prepared } from './statements.ts';

export function listRetryScheduled(db: Database.Database, actionTypeId: string): ActionRecord[] {
  const rows = prepared(
    db,
    `SELECT * FROM actions WHERE action_type_id = ? AND (phase = 'retry_scheduled' OR (phase = 'throttled' AND attempts > 0))`,
  ).all(actionTypeId);
  return (rows as Record<string, unknown>[]).map(actionFromRow);
}
