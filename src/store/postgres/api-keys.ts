// API keys in the shared store: one statement each. Every request looks its key up here, so a
// revocation by any node is seen by every node's next request.

import { DatabaseError, type Pool } from 'pg';
import type { ApiKeyRow, SmallPage, UiSessionRow } from '../types.ts';
import { API_KEY_COLUMNS as COLUMNS, apiKeyFromRow } from '../rows.ts';
import { apiKeyConflict } from '../conflicts.ts';

const UNIQUE_VIOLATION = '23505';

export async function insertApiKey(pool: Pool, row: ApiKeyRow): Promise<void> {
  try {
    await pool.query({
      name: 'callout_insert_api_key',
      text: 'INSERT INTO api_keys (id, name, key_hash, roles, created_at, origin, user_name) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      values: [row.id, row.name, row.keyHash, JSON.stringify(row.roles), row.createdAt, row.origin ?? null, row.user ?? null],
    });
  } catch (e) {
    if (!(e instanceof DatabaseError) || e.code !== UNIQUE_VIOLATION) throw e;
    throw apiKeyConflict(row, e.constraint === 'api_keys_active_name' ? 'name' : 'keyHash');
  }
}

export async function findApiKey(pool: Pool, keyHash: string): Promise<ApiKeyRow | undefined> {
  const r = await pool.query({
    name: 'callout_find_api_key',
    text: `SELECT ${COLUMNS} FROM api_keys WHERE key_hash = $1`,
    values: [keyHash],
  });
  return r.rows[0] ? apiKeyFromRow(r.rows[0] as Record<string, unknown>) : undefined;
}

export async function listApiKeys(pool: Pool): Promise<ApiKeyRow[]> {
  const r = await pool.query(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at, id`);
  return r.rows.map((x) => apiKeyFromRow(x as Record<string, unknown>));
}

/** A page newest first (ids are UUIDv7: by creation), on the primary key. */
export async function listApiKeysPage(pool: Pool, p: SmallPage): Promise<{ rows: ApiKeyRow[]; more: boolean }> {
  const params: unknown[] = p.before !== undefined ? [p.before, p.limit] : [p.limit];
  const sql = `SELECT ${COLUMNS} FROM api_keys ${p.before !== undefined ? 'WHERE id < $1' : ''} ORDER BY id DESC LIMIT $${params.length}`;
  const rows = (await pool.query(sql, params)).rows as Record<string, unknown>[];
  return { rows: rows.map(apiKeyFromRow), more: rows.length === p.limit };
}

export async function revokeApiKey(pool: Pool, id: string, at: number): Promise<ApiKeyRow | undefined> {
  const r = await pool.query(`UPDATE api_keys SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2 RETURNING ${COLUMNS}`, [at, id]);
  return r.rows[0] ? apiKeyFromRow(r.rows[0] as Record<string, unknown>) : undefined;
}

export async function touchApiKey(pool: Pool, id: string, at: number): Promise<void> {
  await pool.query('UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)', [at, id]);
}

export async function insertUiSession(pool: Pool, row: UiSessionRow, now: number, maxPerKey: number): Promise<void> {
  // One statement, so no transaction of its own: its delete sees the rows before the insert, and keeps
  // the newest maxPerKey - 1 of them for the key beside the new one. Two sign-ins at once may each keep
  // one more than that; the next sign-in cuts back.
  await pool.query({
    name: 'callout_insert_ui_session',
    text: `WITH swept AS (
             DELETE FROM ui_sessions
              WHERE expires_at <= $4
                 OR (key_hash = $2 AND id NOT IN (SELECT id FROM ui_sessions WHERE key_hash = $2
                                                   ORDER BY expires_at DESC, id DESC LIMIT $5)))
           INSERT INTO ui_sessions (id, key_hash, expires_at) VALUES ($1, $2, $3)`,
    values: [row.id, row.keyHash, row.expiresAt, now, maxPerKey - 1],
  });
}

export async function findUiSession(pool: Pool, id: string): Promise<UiSessionRow | undefined> {
  const r = await pool.query({
    name: 'callout_find_ui_session',
    text: 'SELECT key_hash, expires_at FROM ui_sessions WHERE id = $1',
    values: [id],
  });
  const row = r.rows[0] as { key_hash: string; expires_at: string } | undefined;
  return row ? { id, keyHash: row.key_hash, expiresAt: Number(row.expires_at) } : undefined;
}

export async function deleteUiSession(pool: Pool, id: string): Promise<void> {
  await pool.query({ name: 'callout_delete_ui_session', text: 'DELETE FROM ui_sessions WHERE id = $1', values: [id] });
}
