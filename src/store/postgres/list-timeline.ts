// One action's timeline, whole or a page at a time, oldest or newest first, of one kind or all, of one actor or all; or its newest entry of a kind.

import type { Pool } from 'pg';
import type { TimelinePage, TimelineRow } from '../types.ts';
import type { TimelineKind } from '../../lifecycle/action.ts';
import { timelineFromRow } from '../rows.ts';

// LIMIT NULL is no limit; kind or actor IS NULL when none is asked (filters over the (action_id, seq) index).
const PAGE = (newestFirst: boolean): string =>
  `SELECT * FROM timeline WHERE action_id = $1 AND seq > $2 AND seq < $3 AND ($4::text IS NULL OR kind = $4)
    AND ($6::text IS NULL OR actor = $6) ORDER BY seq${newestFirst ? ' DESC' : ''} LIMIT $5`;

export async function listTimeline(pool: Pool, actionId: string, page: TimelinePage = {}): Promise<TimelineRow[]> {
  const params = [
    actionId,
    page.afterSeq ?? -1,
    page.beforeSeq ?? Number.MAX_SAFE_INTEGER,
    page.kind ?? null,
    page.limit ?? null,
    page.actor ?? null,
  ];
  return (await pool.query(PAGE(page.newestFirst === true), params)).rows.map(timelineFromRow);
}

const LAST = 'SELECT * FROM timeline WHERE action_id = $1 AND kind = $2 ORDER BY seq DESC LIMIT 1';

export async function lastTimelineEntry(pool: Pool, actionId: string, kind: TimelineKind): Promise<TimelineRow | undefined> {
  const row = (await pool.query(LAST, [actionId, kind])).rows[0] as Record<string, unknown> | undefined;
  return row === undefined ? undefined : timelineFromRow(row);
}
