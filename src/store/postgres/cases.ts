// Cases: insert and read by id (their data changes only through the effects of action writes).

import type { Pool } from 'pg';
import type { CaseRow } from '../types.ts';
import { caseFromRow } from '../rows.ts';

export async function insertCase(pool: Pool, row: CaseRow): Promise<void> {
  await pool.query('INSERT INTO cases (id, data, owner, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)', [
    row.id,
    JSON.stringify(row.data),
    row.owner,
    row.createdAt,
    row.updatedAt,
  ]);
}

export async function getCase(pool: Pool, id: string): Promise<CaseRow | undefined> {
  const r = (await pool.query('SELECT * FROM cases WHERE id = $1', [id])).rows[0] as Record<string, unknown> | undefined;
  return r ? caseFromRow(r) : undefined;
}

export async function caseTitles(pool: Pool, ids: readonly string[]): Promise<Map<string, string | null>> {
  if (ids.length === 0) return new Map();
  const r = await pool.query<{ id: string; title: string | null }>('SELECT id, title FROM cases WHERE id = ANY($1::text[])', [ids]);
  return new Map(r.rows.map((row) => [row.id, row.title]));
}
