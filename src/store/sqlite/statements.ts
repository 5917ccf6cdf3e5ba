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
