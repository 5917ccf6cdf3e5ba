// Timeline entries of actions, written inside the caller's transaction (action writes, allocations).

import type Database from 'better-sqlite3';
import type { TimelineEntry } from '../../lifecycle/action.ts';
import { prepared } from './statements.ts';

const TIMELINE = 'INSERT INTO timeline (action_id, at, actor, kind, message, data) VALUES (?, ?, ?, ?, ?, ?)';

export function insertTimeline(db: Database.Database, actionId: string, entries: TimelineEntry[]): void {
  const s = prepared(db, TIMELINE);
  for (const e of entries) s.run(actionId, e.at, e.actor, e.kind, e.message, e.data ? JSON.stringify(e.data) : null);
}
