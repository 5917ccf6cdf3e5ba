// Prepared statements, once per database and SQL text: preparing costs more than running a point
// query, so every module of the SQLite store takes its statements from here. (PostgreSQL needs no such
// cache: pg keeps a named query prepared on each connection itself.)

import type Database from 'better-sqlite3';

const cache = new WeakMap<Database.Database, Map<string, Database.Statement>>();

export function prepared(db: Database.Database, sql: string): Database.Statement {
  let byText = cache.get(db);
  if (!byText) cache.set(db, (byText = new Map()));
  let st = byText.get(sql);
  if (!st) byText.set(sql, (st = db.prepare(sql)));
  return st;
}

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
