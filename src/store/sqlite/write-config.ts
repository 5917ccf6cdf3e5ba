// Insert and update of a configuration document (connector, action type, process); an update is guarded
// by the revision it read, and a taken name is a conflict either way. An import's writes of every kind
// (users, queues, webhooks and schedules too) commit together.

import type Database from 'better-sqlite3';
import type { ConfigChange, ConfigKind, ConfigRow } from '../types.ts';
import { CONFIG_TABLE } from '../rows.ts';
import { configChanged, configConflict, urlTaken } from '../conflicts.ts';
import { prepared } from './statements.ts';
import * as people from './people-queues.ts';
import * as webhooks from './webhooks.ts';
import * as schedules from './schedules.ts';

const isUniqueViolation = (e: unknown): boolean => (e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';

export function insertConfig(db: Database.Database, kind: ConfigKind, row: ConfigRow): void {
  try {
    prepared(db, `INSERT INTO ${CONFIG_TABLE[kind]} (id, name, doc, revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`).run(
      row.id,
      row.name,
      JSON.stringify(row.doc),
      row.revision,
      row.createdAt,
      row.updatedAt,
    );
  } catch (e) {
    throw isUniqueViolation(e) ? configConflict(kind, row.name) : e;
  }
}

export function updateConfig(db: Database.Database, kind: ConfigKind, row: ConfigRow, expectedRevision: number): boolean {
  try {
    const r = prepared(
      db,
      `UPDATE ${CONFIG_TABLE[kind]} SET name = ?, doc = ?, revision = ?, updated_at = ? WHERE id = ? AND revision = ?`,
    ).run(row.name, JSON.stringify(row.doc), row.revision, row.updatedAt, row.id, expectedRevision);
    return r.changes === 1;
  } catch (e) {
    throw isUniqueViolation(e) ? configConflict(kind, row.name) : e;
  }
}

export function writeConfigs(db: Database.Database, changes: readonly ConfigChange[]): void {
  db.transaction(() => {
    for (const c of changes) if (!writeOne(db, c)) throw configChanged(c.kind, c.kind === 'webhook' ? c.row.url : c.row.name);
  }).immediate();
}

/** false: the update's guard did not match (changed or removed since it was read). */
function writeOne(db: Database.Database, c: ConfigChange): boolean {
  const at = c.expectedRevision;
  switch (c.kind) {
    case 'user':
      return at === null ? (people.insertUser(db, c.row), true) : people.updateUser(db, c.row, at);
    case 'queue':
      return at === null ? (people.insertQueue(db, c.row), true) : people.updateQueue(db, c.row, at, c.releases);
    case 'webhook':
      if (at !== null) return webhooks.updateWebhookSubscription(db, c.row, at);
      // An import identifies a subscription by its URL: one written since the file was planned is a conflict.
      if (prepared(db, 'SELECT 1 FROM webhook_subscriptions WHERE url = ?').get(c.row.url)) throw urlTaken(c.row.url);
      return (webhooks.insertWebhookSubscription(db, c.row), true);
    case 'schedule':
      return at === null ? (schedules.insertSchedule(db, c.row), true) : schedules.updateSchedule(db, c.row, at);
    default:
      return at === null ? (insertConfig(db, c.kind, c.row), true) : updateConfig(db, c.kind, c.row, at);
  }
}
