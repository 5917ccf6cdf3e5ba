// Cases: insert and read by id (their data changes only through the effects of action writes).

import type Database from 'better-sqlite3';
import type { CaseRow } from '../types.ts';
import { caseFromRow } from '../rows.ts';
import { prepared } from './statements.ts';

export function insertCase(db: Database.Database, row: CaseRow): void {
  prepared(db, 'INSERT INTO cases (id, data, owner, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(
    row.id,
    JSON.stringify(row.data),
    row.owner,
    row.createdAt,
    row.updatedAt,
  );
}

export function getCase(db: Database.Database, id: string): CaseRow | undefined {
  const r = prepared(db, 'SELECT * FROM cases WHERE id = ?').get(id) as Record<string, unknown> | undefined;
  return r ? caseFromRow(r) : undefined;
}

export function caseTitles(db: Database.Database, ids: readonly string[]): Map<string, string | null> {
  if (ids.length === 0) return new Map();
  // One statement whatever the count: a list of `?` would cache a text per page size.
  const rows = prepared(db, 'SELECT id, title FROM cases WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids)) as Array<{
    id: string;
    title: string | null;
  }>;
  return new Map(rows.map((r) => [r.id, r.title]));
}
