// One action's timeline, in the order written, whole or a page at a time; or its newest entry of a kind.

import type { Pool } from 'pg';
import type { TimelinePage, TimelineRow } from '../types.ts';
import type { TimelineKind } from '../../lifecycle/action.ts';
import { timelineFromRow } from '../rows.ts';

const PAGE = 'SELECT * FROM timeline WHERE action_id = $1 AND seq > $2 ORDER BY seq LIMIT $3';

export async function listTimeline(pool: Pool, actionId: string, page: TimelinePage = {}): Promise<TimelineRow[]> {
  // LIMIT NULL is no limit.
  return (await pool.query(PAGE, [actionId, page.afterSeq ?? -1, page.limit ?? null])).rows.map(timelineFromRow);
}

const LAST = 'SELECT * FROM timeline WHERE action_id = $1 AND kind = $2 ORDER BY seq DESC LIMIT 1';

export async function lastTimelineEntry(pool: Pool, actionId: string, kind: TimelineKind): Promise<TimelineRow | undefined> {
  const row = (await pool.query(LAST, [actionId, kind])).rows[0] as Record<string, unknown> | undefined;
  return row === undefined ? undefined : timelineFromRow(row);
}
