// One action's timeline, in the order written.

import type Database from 'better-sqlite3';
import type { TimelineRow } from '../types.ts';
import { timelineFromRow } from '../rows.ts';
import { prepared } from './statements.ts';

export function listTimeline(db: Database.Database, actionId: string): TimelineRow[] {
  return (prepared(db, 'SELECT * FROM timeline WHERE action_id = ? ORDER BY seq').all(actionId) as Record<string, unknown>[]).map(
    timelineFromRow,
  );
}
