// Saved views in SQLite: a screen's query by name, its owner's or shared (saved-views/).

import type Database from 'better-sqlite3';
import type { SavedViewRow } from '../types.ts';
import { ConflictError } from '../../errors.ts';
import { prepared } from './statements.ts';
import { containsPattern, savedViewFromRow } from '../rows.ts';

type Row = Record<string, unknown>;
const COLUMNS = 'id, owner, screen, name, name_key, query, shared, revision, created_at, updated_at';

const nameTaken = (e: unknown, v: SavedViewRow): unknown =>
  (e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE'
    ? new ConflictError(`You already have a view named ${JSON.stringify(v.name)} on the ${v.screen} screen`)
    : e;

export function insertSavedView(db: Database.Database, v: SavedViewRow, maxPerOwner: number): boolean {
  try {
    // The cap is checked in the insert: one statement, so two requests at once cannot both pass it.
    const r = prepared(
      db,
      `INSERT INTO saved_views (${COLUMNS}) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
        WHERE (SELECT count(*) FROM saved_views WHERE owner = ?) < ?`,
    ).run(
      v.id,
      v.owner,
      v.screen,
      v.name,
      v.nameKey,
      v.query,
      v.shared ? 1 : 0,
      v.revision,
      v.createdAt,
      v.updatedAt,
      v.owner,
      maxPerOwner,
    );
    return r.changes === 1;
  } catch (e) {
    throw nameTaken(e, v);
  }
}

export function getSavedView(db: Database.Database, id: string): SavedViewRow | undefined {
  const r = prepared(db, 'SELECT * FROM saved_views WHERE id = ?').get(id) as Row | undefined;
  return r ? savedViewFromRow(r) : undefined;
}

export function listSavedViews(db: Database.Database, owner: string, screen: string | undefined, sharedLimit: number): SavedViewRow[] {
  const onScreen = screen === undefined ? '' : 'AND screen = ?';
  const at = screen === undefined ? [] : [screen];
  const own = prepared(db, `SELECT * FROM saved_views WHERE owner = ? ${onScreen} ORDER BY screen, name_key`).all(owner, ...at) as Row[];
  const shared = prepared(
    db,
    `SELECT * FROM saved_views WHERE shared = 1 AND owner <> ? ${onScreen} ORDER BY screen, name_key, owner LIMIT ?`,
  ).all(owner, ...at, sharedLimit) as Row[];
  return [...own, ...shared].map(savedViewFromRow);
}

export function listSavedViewsNaming(db: Database.Database, screen: string, filter: string): SavedViewRow[] {
  const key = `${containsPattern(filter).slice(1, -1)}=%`;
  const rows = prepared(db, `SELECT * FROM saved_views WHERE screen = ? AND (query LIKE ? ESCAPE '\\' OR query LIKE ? ESCAPE '\\')`).all(
    screen,
    key,
    `%&${key}`,
  ) as Row[];
  return rows.map(savedViewFromRow);
}

export function updateSavedView(db: Database.Database, v: SavedViewRow, expectedRevision: number): boolean {
  try {
    return (
      prepared(
        db,
        'UPDATE saved_views SET name = ?, name_key = ?, query = ?, shared = ?, revision = ?, updated_at = ? WHERE id = ? AND revision = ?',
      ).run(v.name, v.nameKey, v.query, v.shared ? 1 : 0, v.revision, v.updatedAt, v.id, expectedRevision).changes === 1
    );
  } catch (e) {
    throw nameTaken(e, v);
  }
}

export function deleteSavedView(db: Database.Database, id: string, expectedRevision?: number): boolean {
  if (expectedRevision === undefined) return prepared(db, 'DELETE FROM saved_views WHERE id = ?').run(id).changes === 1;
  return prepared(db, 'DELETE FROM saved_views WHERE id = ? AND revision = ?').run(id, expectedRevision).changes === 1;
}
