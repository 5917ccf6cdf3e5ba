// Reading configuration documents: one by id or name (an id wins over a name that spells it), all of a
// kind by name, or a page of them newest first.

import type Database from 'better-sqlite3';
import type { ConfigKind, NewestPage, ConfigRow, SmallPage } from '../types.ts';
import { CONFIG_TABLE, configFromRow } from '../rows.ts';
import { prepared } from './statements.ts';

export function getConfig(db: Database.Database, kind: ConfigKind, idOrName: string): ConfigRow | undefined {
  const r = prepared(db, `SELECT * FROM ${CONFIG_TABLE[kind]} WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1`).get(
    idOrName,
    idOrName,
    idOrName,
  );
  return r ? configFromRow(r as Record<string, unknown>) : undefined;
}

export function listConfig(db: Database.Database, kind: ConfigKind): ConfigRow[] {
  return (prepared(db, `SELECT * FROM ${CONFIG_TABLE[kind]} ORDER BY name`).all() as Record<string, unknown>[]).map(configFromRow);
}

/** A page newest first, cut at maxBytes of documents as casePage cuts cases. */
export function listConfigPage(db: Database.Database, kind: ConfigKind, p: NewestPage): { rows: ConfigRow[]; more: boolean } {
  const sql = `SELECT * FROM (
    SELECT p.*, sum(p.page_row_bytes) OVER (ORDER BY p.id DESC ROWS UNBOUNDED PRECEDING) AS page_bytes
      FROM (SELECT *, length(CAST(doc AS BLOB)) AS page_row_bytes
              FROM ${CONFIG_TABLE[kind]} ${p.before !== undefined ? 'WHERE id < ?' : ''} ORDER BY id DESC LIMIT ?) p)
   WHERE page_bytes - page_row_bytes < ? ORDER BY id DESC`;
  const params = [...(p.before !== undefined ? [p.before] : []), p.limit, p.maxBytes];
  const rows = prepared(db, sql).all(...params) as Array<Record<string, unknown> & { page_bytes: number }>;
  return { rows: rows.map(configFromRow), more: rows.length === p.limit || (rows.at(-1)?.page_bytes ?? 0) >= p.maxBytes };
}

/** A page of names newest first, no document read (a picker's: the documents may be MBs). */
export function configNamesPage(
  db: Database.Database,
  kind: ConfigKind,
  p: SmallPage,
): { rows: Array<{ id: string; name: string }>; more: boolean } {
  const sql = `SELECT id, name FROM ${CONFIG_TABLE[kind]} ${p.before !== undefined ? 'WHERE id < ?' : ''} ORDER BY id DESC LIMIT ?`;
  const rows = prepared(db, sql).all(...(p.before !== undefined ? [p.before] : []), p.limit) as Array<{ id: string; name: string }>;
  return { rows, more: rows.length === p.limit };
}

export function configNames(db: Database.Database, kind: ConfigKind, ids: readonly string[]): Array<{ id: string; name: string }> {
  if (ids.length === 0) return [];
  const sql = `SELECT id, name FROM ${CONFIG_TABLE[kind]} WHERE id IN (SELECT value FROM json_each(?))`;
  return prepared(db, sql).all(JSON.stringify(ids)) as Array<{ id: string; name: string }>;
}
