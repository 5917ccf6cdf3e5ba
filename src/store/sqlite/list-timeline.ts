// One action's timeline, in the order written, whole or a page at a time.

import type Database from 'better-sqlite3';
import type { TimelinePage, TimelineRow } from '../types.ts';
import { timelineFromRow } from '../rows.ts';
import { prepared } from './statements.ts';

const PAGE = 'SELECT * FROM timeline WHERE action_id = ? AND seq > ? ORDER BY seq LIMIT ?';

export function listTimeline(db: Database.Database, actionId: string, page: TimelinePage = {}): TimelineRow[] {
  const rows = prepared(db, PAGE).all(actionId, page.afterSeq ?? -1, page.limit ?? -1) as Record<string, unknown>[];
  return rows.map(timelineFromRow);
}
