// One action's timeline, in the order written.

import type { Pool } from 'pg';
import type { TimelineRow } from '../types.ts';
import { timelineFromRow } from '../rows.ts';

export async function listTimeline(pool: Pool, actionId: string): Promise<TimelineRow[]> {
  return (await pool.query('SELECT * FROM timeline WHERE action_id = $1 ORDER BY seq', [actionId])).rows.map(timelineFromRow);
}
