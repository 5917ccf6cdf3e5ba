// Reading configuration documents: one by id or name (an id wins over a name that spells it), or all of a kind by name.

import type { Pool } from 'pg';
import type { ConfigKind, ConfigRow } from '../types.ts';
import { CONFIG_TABLE, configFromRow } from '../rows.ts';

export async function getConfig(pool: Pool, kind: ConfigKind, idOrName: string): Promise<ConfigRow | undefined> {
  const r = await pool.query(`SELECT * FROM ${CONFIG_TABLE[kind]} WHERE id = $1 OR name = $1 ORDER BY id = $1 DESC LIMIT 1`, [idOrName]);
  return r.rows[0] ? configFromRow(r.rows[0] as Record<string, unknown>) : undefined;
}

export async function listConfig(pool: Pool, kind: ConfigKind): Promise<ConfigRow[]> {
  return (await pool.query(`SELECT * FROM ${CONFIG_TABLE[kind]} ORDER BY name`)).rows.map(configFromRow);
}
