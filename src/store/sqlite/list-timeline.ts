// One action's timeline, whole or a page at a time, oldest or newest first, of one kind or all, of one actor or all; or its newest entry of a kind.

import type Database from 'better-sqlite3';
import type { TimelinePage, TimelineRow } from '../types.ts';
import type { TimelineKind } from '../../lifecycle/action.ts';
import { timelineFromRow } from '../rows.ts';
import { prepared } from './statements.ts';

// Kind and actor are filters over the (action_id, seq) index.
const PAGE = (kind: boolean, actor: boolean, newestFirst: boolean): string =>
  `SELECT * FROM timeline WHERE action_id = ? AND seq > ? AND seq < ?${kind ? ' AND kind = ?' : ''}${actor ? ' AND actor = ?' : ''}
    ORDER BY seq${newestFirst ? ' DESC' : ''} LIMIT ?`;

const LAST = 'SELECT * FROM timeline WHERE action_id = ? AND kind = ? ORDER BY seq DESC LIMIT 1';

export function lastTimelineEntry(db: Database.Database, actionId: string, kind: TimelineKind): TimelineRow | undefined {
  const row = prepared(db, LAST).get(actionId, kind) as Record<string, unknown> | undefined;
  return row === undefined ? undefined : timelineFromRow(row);
}

export function listTimeline(db: Database.Database, actionId: string, page: TimelinePage = {}): TimelineRow[] {
  const params: unknown[] = [actionId, page.afterSeq ?? -1, page.beforeSeq ?? Number.MAX_SAFE_INTEGER];
  if (page.kind !== undefined) params.push(page.kind);
  if (page.actor !== undefined) params.push(page.actor);
  params.push(page.limit ?? -1);
  const rows = prepared(db, PAGE(page.kind !== undefined, page.actor !== undefined, page.newestFirst === true)).all(...params) as Record<
    string,
    unknown
  >[];
  return rows.map(timelineFromRow);
}
