// Insert and update of a configuration document (connector, action type, process); an update is guarded
// by the revision it read, and a taken name is a conflict either way. An import's writes of every kind
// (users, queues, webhooks and schedules too) commit together.

import { DatabaseError, type Pool, type PoolClient } from 'pg';
import type { ConfigChange, ConfigKind, ConfigRow } from '../types.ts';
import { CONFIG_TABLE } from '../rows.ts';
import { configChanged, configConflict, urlTaken } from '../conflicts.ts';
import { inTransaction } from './transaction.ts';
import * as people from './people-queues.ts';
import * as webhooks from './webhooks.ts';
import * as schedules from './schedules.ts';

const UNIQUE_VIOLATION = '23505';

/** A duplicate name is the caller's conflict; anything else goes up as it is. */
const conflict = (e: unknown, kind: ConfigKind, row: ConfigRow): unknown =>
  e instanceof DatabaseError && e.code === UNIQUE_VIOLATION && e.constraint === `${CONFIG_TABLE[kind]}_name_key`
    ? configConflict(kind, row.name)
    : e;

export async function insertConfig(pool: Pool | PoolClient, kind: ConfigKind, row: ConfigRow): Promise<void> {
  try {
    await pool.query(
      `INSERT INTO ${CONFIG_TABLE[kind]} (id, name, doc, revision, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [row.id, row.name, JSON.stringify(row.doc), row.revision, row.createdAt, row.updatedAt],
    );
  } catch (e) {
    throw conflict(e, kind, row);
  }
}

export async function updateConfig(pool: Pool | PoolClient, kind: ConfigKind, row: ConfigRow, expectedRevision: number): Promise<boolean> {
  try {
    const r = await pool.query(
      `UPDATE ${CONFIG_TABLE[kind]} SET name = $1, doc = $2, revision = $3, updated_at = $4 WHERE id = $5 AND revision = $6`,
      [row.name, JSON.stringify(row.doc), row.revision, row.updatedAt, row.id, expectedRevision],
    );
    return r.rowCount === 1;
  } catch (e) {
    throw conflict(e, kind, row);
  }
}

export async function writeConfigs(pool: Pool, changes: readonly ConfigChange[]): Promise<void> {
  await inTransaction(pool, async (client) => {
    // Imports one at a time across nodes: each then sees what the one before it wrote (a webhook's URL).
    await client.query(`SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':config-import', 0))`);
    for (const c of changes) if (!(await writeOne(client, c))) throw configChanged(c.kind, c.kind === 'webhook' ? c.row.url : c.row.name);
  });
}

/** false: the update's guard did not match (changed or removed since it was read). */
async function writeOne(client: PoolClient, c: ConfigChange): Promise<boolean> {
  const at = c.expectedRevision;
  switch (c.kind) {
    case 'user':
      return at === null ? (await people.insertUser(client, c.row), true) : people.updateUser(client, c.row, at);
    case 'queue':
      return at === null ? (await people.insertQueue(client, c.row), true) : people.updateQueue(client, c.row, at, c.releases);
    case 'webhook':
      if (at !== null) return webhooks.updateWebhookSubscription(client, c.row, at);
      // An import identifies a subscription by its URL: one written since the file was planned is a conflict.
      if ((await client.query('SELECT 1 FROM webhook_subscriptions WHERE url = $1', [c.row.url])).rowCount) throw urlTaken(c.row.url);
      return (await webhooks.insertWebhookSubscription(client, c.row), true);
    case 'schedule':
      return at === null ? (await schedules.insertSchedule(client, c.row), true) : schedules.updateSchedule(client, c.row, at);
    default:
      return at === null ? (await insertConfig(client, c.kind, c.row), true) : updateConfig(client, c.kind, c.row, at);
  }
}
