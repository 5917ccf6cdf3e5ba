// Insert launched actions with their first timeline entries, as one transaction for the batch.

import type Database from 'better-sqlite3';
import type { NewAction } from '../types.ts';
import { ACTION_COLUMNS, actionValues } from '../rows.ts';
import { insertTimelineValues, timelineValues } from './insert-timeline.ts';
import type { WebhookEventRow } from '../../webhooks/rows.ts';
import { launchKeyConflict } from '../conflicts.ts';
import { multiRowInserts, prepared } from './statements.ts';
import { insertWebhookEventsTx } from './webhooks.ts';
import { insertAllocations, launchNotices, type TaskAllocation, type UserNotice } from '../effects.ts';
import { allocateInTransaction } from './allocate-task.ts';
import { boundNotifications, insertUserNotices } from './list-notifications.ts';

/** Rows per multi-row INSERT (29 parameters each: 464, far below SQLite's limit). */
const CHUNK = 16;
const COLUMNS = [...ACTION_COLUMNS, 'launch_key', 'launch_hash'];
const INSERT_OF = multiRowInserts('actions', COLUMNS, CHUNK);
const ID_AT = COLUMNS.indexOf('id');

const bool = (b: boolean): number => (b ? 1 : 0);

/**
 * Launches reduced to the values their statements bind (as prepareWrite does for writes): each row's
 * values one after another, the timeline rows' values, and the webhook events of those that have any.
 */
export interface PreparedInsert {
  values: unknown[];
  timeline: unknown[];
  events: WebhookEventRow[][];
  allocations: TaskAllocation[];
  /** Present only when a launch tells someone (NewAction.notices). */
  notices?: UserNotice[];
}

export function prepareInserts(items: readonly NewAction[]): PreparedInsert {
  const values: unknown[] = [];
  const timeline: unknown[] = [];
  const events: WebhookEventRow[][] = [];
  for (const it of items) {
    for (const v of actionValues(it.action, bool)) values.push(v);
    values.push(it.launchKey ?? null, it.launchHash ?? null);
    for (const e of it.timeline) timelineValues(timeline, it.action.id, e);
    if (it.events) events.push(it.events);
  }
  const p: PreparedInsert = { values, timeline, events, allocations: insertAllocations(items) };
  const notices = launchNotices(items);
  if (notices !== undefined) p.notices = notices;
  return p;
}

/** The ids of prepared launches. */
export function launchedIds(p: PreparedInsert): string[] {
  const ids: string[] = [];
  for (let i = ID_AT; i < p.values.length; i += COLUMNS.length) ids.push(p.values[i] as string);
  return ids;
}

/** `keepNotifications`: the bound on each notified user's notifications (notification-bound.ts). */
export function insertActions(db: Database.Database, p: PreparedInsert, keepNotifications: number): void {
  try {
    db.transaction(() => {
      // Few statements for the batch: the rows in chunks, then every first entry of the timeline.
      const per = COLUMNS.length;
      for (let start = 0; start < p.values.length; start += CHUNK * per) {
        const chunk = p.values.slice(start, start + CHUNK * per);
        prepared(db, INSERT_OF[chunk.length / per]!).run(...chunk);
      }
      insertTimelineValues(db, p.timeline);
      for (const e of p.events) insertWebhookEventsTx(db, e);
      for (const t of p.allocations) allocateInTransaction(db, t);
      if (p.notices !== undefined) {
        insertUserNotices(db, p.notices);
        boundNotifications(
          db,
          p.notices.map((n) => n.user),
          keepNotifications,
        );
      }
    }).immediate();
  } catch (e) {
    throw (e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' ? launchKeyConflict() : e;
  }
}
