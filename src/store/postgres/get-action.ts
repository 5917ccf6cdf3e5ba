// One action by its id, or by the Idempotency-Key of the launch that made it (with the hash of that
// launch's body, to tell a repeat from a different request).

import type { Pool } from 'pg';
import type { ActionRecord } from '../../lifecycle/action.ts';
import { ACTION_COLUMNS, actionFromRow } from '../rows.ts';

// Prepared (named) because every attempt reads its action: named columns, as a prepared `*` breaks once a migration adds one.
const GET = `SELECT ${ACTION_COLUMNS.join(', ')} FROM actions WHERE id = $1`;

export async function getAction(pool: Pool, id: string): Promise<ActionRecord | undefined> {
  const r = await pool.query({ name: 'callout_get_action', text: GET, values: [id] });
  return r.rows[0] ? actionFromRow(r.rows[0] as Record<string, unknown>) : undefined;
}

export async function actionLease(pool: Pool, id: string): Promise<{ owner: string | null; version: number } | undefined> {
  const r = await pool.query<{ lease_owner: string | null; version: number | string }>(
    'SELECT lease_owner, version FROM actions WHERE id = $1',
    [id],
  );
  const row = r.rows[0];
  return row ? { owner: row.lease_owner, version: Number(row.version) } : undefined;
}

export async function getActionByLaunchKey(
  pool: Pool,
  key: string,
): Promise<{ action: ActionRecord; launchHash: string | null } | undefined> {
  const r = (await pool.query('SELECT * FROM actions WHERE launch_key = $1', [key])).rows[0] as Record<string, unknown> | undefined;
  return r ? { action: actionFromRow(r), launchHash: (r.launch_hash as string | null) ?? null } : undefined;
}
