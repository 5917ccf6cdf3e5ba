// Reading configuration documents: one by id or name (an id wins over a name that spells it), all of a
// kind by name, or a page of them newest first.

import type { Pool } from 'pg';
import type { ConfigKind, NewestPage, ConfigRow, SmallPage } from '../types.ts';
import { CONFIG_TABLE, configFromRow } from '../rows.ts';

export async function getConfig(pool: Pool, kind: ConfigKind, idOrName: string): Promise<ConfigRow | undefined> {
  const r = await pool.query(`SELECT * FROM ${CONFIG_TABLE[kind]} WHERE id = $1 OR name = $1 ORDER BY id = $1 DESC LIMIT 1`, [idOrName]);
  return r.rows[0] ? configFromRow(r.rows[0] as Record<string, unknown>) : undefined;
}

export async function listConfig(pool: Pool, kind: ConfigKind): Promise<ConfigRow[]> {
  return (await pool.query(`SELECT * FROM ${CONFIG_TABLE[kind]} ORDER BY name`)).rows.map(configFromRow);
}

/** A page newest first, cut at maxBytes of documents as listCases cuts cases. */
export async function listConfigPage(pool: Pool, kind: ConfigKind, p: NewestPage): Promise<{ rows: ConfigRow[]; more: boolean }> {
  const params: unknown[] = p.before !== undefined ? [p.before] : [];
  params.push(p.limit, p.maxBytes);
  const sql = `SELECT * FROM (
    SELECT p.*, sum(p.page_row_bytes) OVER (ORDER BY p.id DESC ROWS UNBOUNDED PRECEDING) AS page_bytes
      FROM (SELECT *, octet_length(doc::text) AS page_row_bytes
              FROM ${CONFIG_TABLE[kind]} ${p.before !== undefined ? 'WHERE id < $1' : ''} ORDER BY id DESC LIMIT $${params.length - 1}) p) page
   WHERE page_bytes - page_row_bytes < $${params.length} ORDER BY id DESC`;
  const rows = (await pool.query(sql, params)).rows as Array<Record<string, unknown> & { page_bytes: string }>;
  return { rows: rows.map(configFromRow), more: rows.length === p.limit || Number(rows.at(-1)?.page_bytes ?? 0) >= p.maxBytes };
}

/** A page of names newest first, no document read (a picker's: the documents may be MBs). */
export async function configNamesPage(
  pool: Pool,
  kind: ConfigKind,
  p: SmallPage,
): Promise<{ rows: Array<{ id: string; name: string }>; more: boolean }> {
  const params: unknown[] = p.before !== undefined ? [p.before, p.limit] : [p.limit];
  const sql = `SELECT id, name FROM ${CONFIG_TABLE[kind]} ${p.before !== undefined ? 'WHERE id < $1' : ''} ORDER BY id DESC LIMIT $${params.length}`;
  const rows = (await pool.query(sql, params)).rows as Array<{ id: string; name: string }>;
  return { rows, more: rows.length === p.limit };
}

export async function configNames(pool: Pool, kind: ConfigKind, ids: readonly string[]): Promise<Array<{ id: string; name: string }>> {
  if (ids.length === 0) return [];
  const r = await pool.query(`SELECT id, name FROM ${CONFIG_TABLE[kind]} WHERE id = ANY($1::text[])`, [[...ids]]);
  return r.rows as Array<{ id: string; name: string }>;
}
