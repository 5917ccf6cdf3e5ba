// Timeline entries of actions, written inside the caller's transaction (action writes, allocations).

import type Database from 'better-sqlite3';
import type { TimelineEntry } from '../../lifecycle/action.ts';
import { multiRowInserts, prepared } from './statements.ts';

/** Entries of one action, in order. */
export function insertTimeline(db: Database.Database, actionId: string, entries: TimelineEntry[]): void {
  insertTimelineRows(
    db,
    entries.map((e) => [actionId, e] as const),
  );
}

/** One entry of some action. */
export type TimelineRowOf = readonly [actionId: string, entry: TimelineEntry];

/** Rows per multi-row INSERT: one call into SQLite instead of 32 (6 parameters each, far below the limit). */
const CHUNK = 32;
const INSERT_OF = multiRowInserts('timeline', ['action_id', 'at', 'actor', 'kind', 'message', 'data'], CHUNK);

/** Entries of many actions, inserted in the order given (their seq follows it). */
export function insertTimelineRows(db: Database.Database, rows: readonly TimelineRowOf[]): void {
  for (let start = 0; start < rows.length; start += CHUNK) {
    const chunk = rows.slice(start, start + CHUNK);
    const values: unknown[] = [];
    for (const [id, e] of chunk) values.push(id, e.at, e.actor, e.kind, e.message, e.data ? JSON.stringify(e.data) : null);
    prepared(db, INSERT_OF[chunk.length]!).run(...values);
  }
}
