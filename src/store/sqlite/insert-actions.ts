// Insert launched actions with their first timeline entries, as one transaction for the batch.

import type Database from 'better-sqlite3';
import type { NewAction } from '../types.ts';
import { ACTION_COLUMNS, actionValues } from '../rows.ts';
import { insertTimelineRows, type TimelineRowOf } from './insert-timeline.ts';
import { launchKeyConflict } from '../conflicts.ts';
import { multiRowInserts, prepared } from './statements.ts';
import { insertWebhookEventsTx } from './webhooks.ts';

/** Rows per multi-row INSERT (34 parameters each: 544, far below SQLite's limit). */
const CHUNK = 16;
const INSERT_OF = multiRowInserts('actions', [...ACTION_COLUMNS, 'launch_key', 'launch_hash'], CHUNK);

const bool = (b: boolean): number => (b ? 1 : 0);

export function insertActions(db: Database.Database, items: NewAction[]): void {
  try {
    db.transaction(() => {
      // Few statements for the batch: the rows in chunks, then every first entry of the timeline.
      const timeline: TimelineRowOf[] = [];
      for (let start = 0; start < items.length; start += CHUNK) {
        const chunk = items.slice(start, start + CHUNK);
        const values: unknown[] = [];
        for (const it of chunk) {
          values.push(...actionValues(it.action, bool), it.launchKey ?? null, it.launchHash ?? null);
          for (const e of it.timeline) timeline.push([it.action.id, e]);
        }
        prepared(db, INSERT_OF[chunk.length]!).run(...values);
      }
      insertTimelineRows(db, timeline);
      for (const it of items) if (it.events) insertWebhookEventsTx(db, it.events);
    }).immediate();
  } catch (e) {
    throw (e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' ? launchKeyConflict() : e;
  }
}
