// Insert and update of a configuration document (connector or action type); an update is guarded by
// the revision it read, and a taken name is a conflict either way.

import { DatabaseError, type Pool, type PoolClient } from 'pg';
import type { ConfigChange, ConfigKind, ConfigRow } from '../types.ts';
import { CONFIG_TABLE } from '../rows.ts';
import { configChanged, configConflict } from '../conflicts.ts';
import { inTransaction } from './transaction.ts';

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
    for (const c of changes)
      if (c.expectedRevision === null) await insertConfig(client, c.kind, c.row);
      else if (!(await updateConfig(client, c.kind, c.row, c.expectedRevision))) throw configChanged(c.kind, c.row.name);
  });
}
