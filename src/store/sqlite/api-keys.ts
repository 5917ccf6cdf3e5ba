// API keys in the embedded store: one statement each. Every request looks its key up here, so a
// revocation written by any process sharing the file is seen by the next request.

import type Database from 'better-sqlite3';
import type { ApiKeyRow, SmallPage, UiSessionRow } from '../types.ts';
import { prepared } from './statements.ts';
import { API_KEY_COLUMNS as COLUMNS, apiKeyFromRow } from '../rows.ts';
import { apiKeyConflict } from '../conflicts.ts';

export function insertApiKey(db: Database.Database, row: ApiKeyRow): void {
  try {
    prepared(db, 'INSERT INTO api_keys (id, name, key_hash, roles, created_at, origin, user_name) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      row.id,
      row.name,
      row.keyHash,
      JSON.stringify(row.roles),
      row.createdAt,
      row.origin ?? null,
      row.user ?? null,
    );
  } catch (e) {
    if ((e as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw e;
    throw apiKeyConflict(row, (e as Error).message.includes('key_hash') ? 'keyHash' : 'name');
  }
}

export function findApiKey(db: Database.Database, keyHash: string): ApiKeyRow | undefined {
  const r = prepared(db, `SELECT ${COLUMNS} FROM api_keys WHERE key_hash = ?`).get(keyHash) as Record<string, unknown> | undefined;
  return r ? apiKeyFromRow(r) : undefined;
}

export function listApiKeys(db: Database.Database): ApiKeyRow[] {
  return (prepared(db, `SELECT ${COLUMNS} FROM api_keys ORDER BY created_at, id`).all() as Record<string, unknown>[]).map(apiKeyFromRow);
}

/** A page newest first (ids are UUIDv7: by creation), on the primary key. */
export function listApiKeysPage(db: Database.Database, p: SmallPage): { rows: ApiKeyRow[]; more: boolean } {
  const sql = `SELECT ${COLUMNS} FROM api_keys ${p.before !== undefined ? 'WHERE id < ?' : ''} ORDER BY id DESC LIMIT ?`;
  const rows = prepared(db, sql).all(...(p.before !== undefined ? [p.before] : []), p.limit) as Record<string, unknown>[];
  return { rows: rows.map(apiKeyFromRow), more: rows.length === p.limit };
}

export function revokeApiKey(db: Database.Database, id: string, at: number): ApiKeyRow | undefined {
  const r = prepared(db, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? RETURNING ${COLUMNS}`).get(at, id) as
    Record<string, unknown> | undefined;
  return r ? apiKeyFromRow(r) : undefined;
}

export function touchApiKey(db: Database.Database, id: string, at: number): void {
  prepared(db, 'UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)').run(at, id, at);
}

export function insertUiSession(db: Database.Database, row: UiSessionRow, now: number, maxPerKey: number): void {
  db.transaction(() => {
    prepared(db, 'DELETE FROM ui_sessions WHERE expires_at <= ?').run(now);
    prepared(db, 'INSERT INTO ui_sessions (id, key_hash, expires_at) VALUES (?, ?, ?)').run(row.id, row.keyHash, row.expiresAt);
    prepared(
      db,
      // The new one stays whatever the clock did (a step back, a tie in the millisecond).
      `DELETE FROM ui_sessions WHERE key_hash = ? AND id <> ?
         AND id NOT IN (SELECT id FROM ui_sessions WHERE key_hash = ? AND id <> ? ORDER BY expires_at DESC, id DESC LIMIT ?)`,
    ).run(row.keyHash, row.id, row.keyHash, row.id, maxPerKey - 1);
  })();
}

export function findUiSession(db: Database.Database, id: string): UiSessionRow | undefined {
  const r = prepared(db, 'SELECT key_hash, expires_at FROM ui_sessions WHERE id = ?').get(id) as
    { key_hash: string; expires_at: number } | undefined;
  return r ? { id, keyHash: r.key_hash, expiresAt: Number(r.expires_at) } : undefined;
}

export function deleteUiSession(db: Database.Database, id: string): void {
  prepared(db, 'DELETE FROM ui_sessions WHERE id = ?').run(id);
}
