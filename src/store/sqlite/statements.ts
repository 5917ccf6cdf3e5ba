// Prepared statements, once per database and SQL text: preparing costs more than running a point
// query, so every module of the SQLite store takes its statements from here. (PostgreSQL needs no such
// cache: pg keeps a named query prepared on each connection itself.)

import type Database from 'better-sqlite3';

const cache = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/**
 * Statements kept per database. Most texts are fixed, but list filters build theirs from what a
 * request asks (which filters, how many action types), so the count has no bound of its own. Past
 * this many the oldest prepared is dropped: a hot one dropped is prepared again at its next use, and a
 * hit costs nothing extra (no reordering).
 */
export const MAX_PREPARED = 1000;

export function prepared(db: Database.Database, sql: string): Database.Statement {
  let byText = cache.get(db);
  if (!byText) cache.set(db, (byText = new Map()));
  let st = byText.get(sql);
  if (!st) {
    if (byText.size >= MAX_PREPARED) byText.delete(byText.keys().next().value!);
    byText.set(sql, (st = db.prepare(sql)));
  }
  return st;
}

/** How many statements are kept for `db`. */
export const preparedCount = (db: Database.Database): number => cache.get(db)?.size ?? 0;

/**
 * The texts of `INSERT INTO <table> (<columns>) VALUES (…), (…)` for 0 to `most` rows, built once:
 * a 32-row text is 1 KB to build and hash on every call otherwise. Index it by the rows' count.
 */
export function multiRowInserts(table: string, columns: readonly string[], most: number): readonly string[] {
  const row = `(${columns.map(() => '?').join(', ')})`;
  return Array.from(
    { length: most + 1 },
    (_, n) => `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array.from({ length: n }, () => row).join(', ')}`,
  );
}
