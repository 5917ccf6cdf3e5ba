// Insert launched actions with their first timeline entries, as one transaction for the batch.

import { DatabaseError, type Pool, type PoolClient } from 'pg';
import type { NewAction } from '../types.ts';
import { ACTION_COLUMNS } from '../rows.ts';
import { ACTION_RECORDSET, actionJson, fromRecordset, wakeIfDue } from './write-actions.ts';
import { insertTimeline } from './insert-timeline.ts';
import { inTransaction } from './transaction.ts';
import { ConflictError } from '../../errors.ts';
import { launchKeyConflict } from '../conflicts.ts';
import { insertWebhookEventsTx } from './webhooks.ts';
import { insertAllocations, launchNotices } from '../effects.ts';
import { allocateInTransaction } from './allocate-task.ts';
import { boundNotifications, insertUserNotices } from './list-notifications.ts';

// The whole batch is one jsonb parameter (SQLite runs one prepared insert per row instead).
const SQL = `
INSERT INTO actions (${ACTION_COLUMNS.join(', ')}, launch_key, launch_hash)
SELECT ${ACTION_COLUMNS.map((c) => fromRecordset('r', c)).join(', ')}, r.launch_key, r.launch_hash
  FROM jsonb_to_recordset($1::jsonb) AS r(${ACTION_RECORDSET}, launch_key text, launch_hash text)`;

const UNIQUE_VIOLATION = '23505';

/** `keepNotifications`: the bound on each notified user's notifications (notification-bound.ts). */
export async function insertActions(pool: Pool, items: NewAction[], keepNotifications: number): Promise<void> {
  if (items.length === 0) return;
  await inTransaction(pool, (client) => insertActionsTx(client, items, keepNotifications));
}

/** insertActions inside a caller's transaction (a case write that starts steps). */
export async function insertActionsTx(client: PoolClient, items: NewAction[], keepNotifications: number): Promise<void> {
  if (items.length === 0) return;
  const rows = items.map((it) => ({ ...actionJson(it.action), launch_key: it.launchKey ?? null, launch_hash: it.launchHash ?? null }));
  try {
    await client.query({ name: 'callout_insert_actions', text: SQL, values: [JSON.stringify(rows)] });
    await insertTimeline(
      client,
      items.flatMap((it) => it.timeline.map((e) => ({ ...e, actionId: it.action.id }))),
    );
    await insertWebhookEventsTx(
      client,
      items.flatMap((it) => it.events ?? []),
    );
    await wakeIfDue(
      client,
      items.map((it) => it.action),
    );
    for (const t of insertAllocations(items)) await allocateInTransaction(client, t);
    const notices = launchNotices(items);
    if (notices !== undefined) {
      await insertUserNotices(client, notices);
      await boundNotifications(
        client,
        notices.map((n) => n.user),
        keepNotifications,
      );
    }
  } catch (e) {
    if (e instanceof DatabaseError && e.code === UNIQUE_VIOLATION) {
      if (e.constraint === 'actions_launch_key_key') throw launchKeyConflict();
      throw new ConflictError('An action with this id already exists');
    }
    throw e;
  }
}
