// Timeline entries of actions, written inside the caller's transaction (action writes, allocations).

import type Database from 'better-sqlite3';
import type { TimelineEntry } from '../../lifecycle/action.ts';
import { multiRowInserts, prepared } from './statements.ts';

/** Entries of one action, in order. */
export function insertTimeline(db: Database.Database, actionId: string, entries: TimelineEntry[]): void {
  const values: unknown[] = [];
  for (const e of entries) timelineValues(values, actionId, e);
  insertTimelineValues(db, values);
}

/** Rows per multi-row INSERT: one call into SQLite instead of 32 (6 parameters each, far below the limit). */
const CHUNK = 32;
const COLUMNS = ['action_id', 'at', 'actor', 'kind', 'message', 'data'] as const;
const INSERT_OF = multiRowInserts('timeline', COLUMNS, CHUNK);

/** Appends one entry's values to `out`, in the INSERT's column order. */
export function timelineValues(out: unknown[], actionId: string, e: TimelineEntry): void {
  out.push(actionId, e.at, e.actor, e.kind, e.message, e.data ? JSON.stringify(e.data) : null);
}

/** Rows given as their values one after another (timelineValues), inserted in that order. */
export function insertTimelineValues(db: Database.Database, values: readonly unknown[]): void {
  const per = COLUMNS.length;
  for (let start = 0; start < values.length; start += CHUNK * per) {
    const chunk = values.slice(start, start + CHUNK * per);
    prepared(db, INSERT_OF[chunk.length / per]!).run(...chunk);
  }
}
