// Insert and update of a configuration document (connector or action type); an update is guarded by
// the revision it read, and a taken name is a conflict either way.

import type Database from 'better-sqlite3';
import type { ConfigChange, ConfigKind, ConfigRow } from '../types.ts';
import { CONFIG_TABLE } from '../rows.ts';
import { configChanged, configConflict } from '../conflicts.ts';
import { prepared } from './statements.ts';

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
    for (const c of changes)
      if (c.expectedRevision === null) insertConfig(db, c.kind, c.row);
      else if (!updateConfig(db, c.kind, c.row, c.expectedRevision)) throw configChanged(c.kind, c.row.name);
  }).immediate();
}
