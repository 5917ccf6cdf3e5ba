// Insert launched actions with their first timeline entries, as one transaction for the batch.

import type Database from 'better-sqlite3';
import type { NewAction } from '../types.ts';
import { ACTION_COLUMNS, actionValues } from '../rows.ts';
import { insertTimeline } from './insert-timeline.ts';
import { launchKeyConflict } from '../conflicts.ts';
import { prepared } from './statements.ts';
import { insertWebhookEventsTx } from './webhooks.ts';

const SQL = `INSERT INTO actions (${ACTION_COLUMNS.join(', ')}, launch_key, launch_hash) VALUES (${ACTION_COLUMNS.map(() => '?').join(', ')}, ?, ?)`;

const bool = (b: boolean): number => (b ? 1 : 0);

export function insertActions(db: Database.Database, items: NewAction[]): void {
  const s = prepared(db, SQL);
  try {
    db.transaction(() => {
      for (const it of items) {
        s.run(...actionValues(it.action, bool), it.launchKey ?? null, it.launchHash ?? null);
        insertTimeline(db, it.action.id, it.timeline);
        if (it.events) insertWebhookEventsTx(db, it.events);
      }
    }).immediate();
  } catch (e) {
    throw (e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' ? launchKeyConflict() : e;
  }
}
