// Reading configuration documents: one by id or name (an id wins over a name that spells it), or all of a kind by name.

import type Database from 'better-sqlite3';
import type { ConfigKind, ConfigRow } from '../types.ts';
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
