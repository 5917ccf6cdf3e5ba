// One action's timeline, in the order written, whole or a page at a time; or its newest entry of a kind.

import type Database from 'better-sqlite3';
import type { TimelinePage, TimelineRow } from '../types.ts';
import type { TimelineKind } from '../../lifecycle/action.ts';
import { timelineFromRow } from '../rows.ts';
import { prepared } from './statements.ts';

const PAGE = 'SELECT * FROM timeline WHERE action_id = ? AND seq > ? ORDER BY seq LIMIT ?';

const LAST = 'SELECT * FROM timeline WHERE action_id = ? AND kind = ? ORDER BY seq DESC LIMIT 1';

export function lastTimelineEntry(db: Database.Database, actionId: string, kind: TimelineKind): TimelineRow | undefined {
  const row = prepared(db, LAST).get(actionId, kind) as Record<string, unknown> | undefined;
  return row === undefined ? undefined : timelineFromRow(row);
}

export function listTimeline(db: Database.Database, actionId: string, page: TimelinePage = {}): TimelineRow[] {
  const rows = prepared(db, PAGE).all(actionId, page.afterSeq ?? -1, page.limit ?? -1) as Record<string, unknown>[];
  return rows.map(timelineFromRow);
}
