// Settings: a key's first value wins, whichever node writes it first.

import type { Pool } from 'pg';

export async function ensureSetting(pool: Pool, key: string, value: string): Promise<string> {
  await pool.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value]);
  return (await pool.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key])).rows[0]!.value;
}
