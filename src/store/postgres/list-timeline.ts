// One action's timeline, in the order written, whole or a page at a time.

import type { Pool } from 'pg';
import type { TimelinePage, TimelineRow } from '../types.ts';
import { timelineFromRow } from '../rows.ts';

const PAGE = 'SELECT * FROM timeline WHERE action_id = $1 AND seq > $2 ORDER BY seq LIMIT $3';

export async function listTimeline(pool: Pool, actionId: string, page: TimelinePage = {}): Promise<TimelineRow[]> {
  // LIMIT NULL is no limit.
  return (await pool.query(PAGE, [actionId, page.afterSeq ?? -1, page.limit ?? null])).rows.map(timelineFromRow);
}
