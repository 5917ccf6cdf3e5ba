// The actions a bulk replay touches (PostgreSQL): counted for a dry run, listed oldest first for the run.

import type { Pool } from 'pg';
import type { ActionRecord } from '../../lifecycle/action.ts';
import type { ReplayFilter } from '../bulk-schedule-types.ts';
import { replayWhere } from '../replay-where.ts';
import { actionFromRow } from '../rows.ts';

const POSTGRES = {
  placeholder: (n: number) => `$${n}`,
  bool: (b: boolean) => b,
  jsonList: (p: string) => `jsonb_array_elements_text(${p}::jsonb)`,
};

export async function countReplayActions(pool: Pool, f: ReplayFilter): Promise<number> {
  const { sql, params } = replayWhere(f, POSTGRES);
  return Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM actions ${sql}`, params)).rows[0]!.n);
}

export async function listReplayActions(pool: Pool, f: ReplayFilter, limit: number): Promise<ActionRecord[]> {
  const { sql, params } = replayWhere(f, POSTGRES);
  const rows = (await pool.query(`SELECT * FROM actions ${sql} ORDER BY id LIMIT $${params.length + 1}`, [...params, limit])).rows;
  return (rows as Record<string, unknown>[]).map(actionFromRow);
}
