// Saved views in PostgreSQL: a screen's query by name, its owner's or shared (saved-views/).

import { DatabaseError, type Pool } from 'pg';
import type { SavedViewRow } from '../types.ts';
import { ConflictError } from '../../errors.ts';
import { containsPattern, savedViewFromRow } from '../rows.ts';

type Row = Record<string, unknown>;
const COLUMNS = 'id, owner, screen, name, name_key, query, shared, revision, created_at, updated_at';

const nameTaken = (e: unknown, v: SavedViewRow): unknown =>
  e instanceof DatabaseError && e.code === '23505'
    ? new ConflictError(`You already have a view named ${JSON.stringify(v.name)} on the ${v.screen} screen`)
    : e;

export async function insertSavedView(pool: Pool, v: SavedViewRow, maxPerOwner: number): Promise<boolean> {
  try {
    // The cap is checked in the insert; two inserts at once may both pass it, which leaves the store
    // bounded all the same (by the cap plus the requests in flight).
    const r = await pool.query(
      `INSERT INTO saved_views (${COLUMNS}) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
        WHERE (SELECT count(*) FROM saved_views WHERE owner = $2) < $11`,
      [v.id, v.owner, v.screen, v.name, v.nameKey, v.query, v.shared, v.revision, v.createdAt, v.updatedAt, maxPerOwner],
    );
    return r.rowCount === 1;
  } catch (e) {
    throw nameTaken(e, v);
  }
}

export async function getSavedView(pool: Pool, id: string): Promise<SavedViewRow | undefined> {
  const r = (await pool.query('SELECT * FROM saved_views WHERE id = $1', [id])).rows[0] as Row | undefined;
  return r ? savedViewFromRow(r) : undefined;
}

export async function listSavedViews(pool: Pool, owner: string, screen: string | undefined, sharedLimit: number): Promise<SavedViewRow[]> {
  const onScreen = screen === undefined ? '' : 'AND screen = $2';
  const at = screen === undefined ? [] : [screen];
  const own = await pool.query(`SELECT * FROM saved_views WHERE owner = $1 ${onScreen} ORDER BY screen, name_key`, [owner, ...at]);
  const shared = await pool.query(
    `SELECT * FROM saved_views WHERE shared AND owner <> $1 ${onScreen} ORDER BY screen, name_key, owner LIMIT $${at.length + 2}`,
    [owner, ...at, sharedLimit],
  );
  return [...own.rows, ...shared.rows].map((r: Row) => savedViewFromRow(r));
}

export async function listSavedViewsNaming(pool: Pool, screen: string, filter: string): Promise<SavedViewRow[]> {
  const key = `${containsPattern(filter).slice(1, -1)}=%`;
  const r = await pool.query(`SELECT * FROM saved_views WHERE screen = $1 AND (query LIKE $2 ESCAPE '\\' OR query LIKE $3 ESCAPE '\\')`, [
    screen,
    key,
    `%&${key}`,
  ]);
  return r.rows.map((x: Row) => savedViewFromRow(x));
}

export async function updateSavedView(pool: Pool, v: SavedViewRow, expectedRevision: number): Promise<boolean> {
  try {
    const r = await pool.query(
      'UPDATE saved_views SET name = $1, name_key = $2, query = $3, shared = $4, revision = $5, updated_at = $6 WHERE id = $7 AND revision = $8',
      [v.name, v.nameKey, v.query, v.shared, v.revision, v.updatedAt, v.id, expectedRevision],
    );
    return r.rowCount === 1;
  } catch (e) {
    throw nameTaken(e, v);
  }
}

export async function deleteSavedView(pool: Pool, id: string, expectedRevision?: number): Promise<boolean> {
  const r =
    expectedRevision === undefined
      ? await pool.query('DELETE FROM saved_views WHERE id = $1', [id])
      : await pool.query('DELETE FROM saved_views WHERE id = $1 AND revision = $2', [id, expectedRevision]);
  return r.rowCount === 1;
}
