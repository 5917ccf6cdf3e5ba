// Prepared statements, once per database and SQL text: preparing costs more than running a point
// query, so every module of the SQLite store takes its statements from here. (PostgreSQL needs no such
// cache: pg keeps a named query prepared on each connection itself.)

import type Database from 'better-sqlite3';

/**
 * Statements kept per database. Most texts are fixed, but list filters build theirs from what a
 * request asks (which filters, how many action types), so the count has no bound of its own. Kept in
 * two generations of at most half this each: a statement used since the current one began is found
 * with one look-up; one from the previous generation moves up when used; when the current one fills,
 * the previous is dropped. Statements in use stay (the engine's own, used all the time), those asked
 * for once by requests age out, and a hit costs no reordering.
 */
export const MAX_PREPARED = 1000;

interface Generations {
  young: Map<string, Database.Statement>;
  old: Map<string, Database.Statement>;
}

const cache = new WeakMap<Database.Database, Generations>();

export function prepared(db: Database.Database, sql: string): Database.Statement {
  let g = cache.get(db);
  if (!g) cache.set(db, (g = { young: new Map(), old: new Map() }));
  const st = g.young.get(sql);
  if (st) return st;
  const found = g.old.get(sql) ?? db.prepare(sql);
  if (g.young.size >= MAX_PREPARED / 2) g = rotate(db, g);
  g.old.delete(sql);
  g.young.set(sql, found);
  return found;
}

function rotate(db: Database.Database, g: Generations): Generations {
  const next = { young: new Map<string, Database.Statement>(), old: g.young };
  cache.set(db, next);
  return next;
}

/** How many statements are kept for `db`. */
export const preparedCount = (db: Database.Database): number => {
  const g = cache.get(db);
  return g ? g.young.size + g.old.size : 0;
};

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
