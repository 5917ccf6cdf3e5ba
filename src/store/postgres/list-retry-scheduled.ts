// The open actions of one type waiting for a retry (its interval, or a rate limit or open circuit
// holding it back), for live retry-policy changes.

import type { Pool } from 'pg';
import type { ActionRecord } from '../../lifecycle/action.ts';
import { actionFromRow } from '../rows.ts';

export async function listRetryScheduled(pool: Pool, actionTypeId: string): Promise<ActionRecord[]> {
  const r = await pool.query(
    `SELECT * FROM actions WHERE action_type_id = $1 AND (phase = 'retry_scheduled' OR (phase = 'throttled' AND attempts > 0))`,
    [actionTypeId],
  );
  return r.rows.map(actionFromRow);
}
