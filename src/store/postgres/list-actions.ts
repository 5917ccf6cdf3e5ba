// Action lists, newest first (or the earliest due first), filtered and paged; the WHERE clause is shared (placeholders numbered
// from $1, the limit after them; booleans as booleans).

import type { Pool } from 'pg';
import type { ActionRecord } from '../../lifecycle/action.ts';
import type { ActionCounts, ActionFilter, CountsFilter } from '../types.ts';
import { actionOrder, actionWhere } from '../action-where.ts';
import { actionFromRow } from '../rows.ts';
import { countEach } from '../action-counts.ts';

const POSTGRES = { placeholder: (n: number) => `$${n}`, bool: (b: boolean) => b, inputText: 'input::text' };

export async function listActions(pool: Pool, filter: ActionFilter): Promise<ActionRecord[]> {
  const { sql, params } = actionWhere(filter, POSTGRES);
  const r = await pool.query(`SELECT * FROM actions ${sql} ORDER BY ${actionOrder(filter)} LIMIT $${params.length + 1}`, [
    ...params,
    filter.limit,
  ]);
  return r.rows.map(actionFromRow);
}

/** listActions cut to `maxBytes` of input and output text, summed by the server (see SQLite's). */
export async function listActionsPage(
  pool: Pool,
  filter: ActionFilter,
  maxBytes: number,
): Promise<{ actions: ActionRecord[]; more: boolean }> {
  const { sql, params } = actionWhere(filter, POSTGRES);
  const n = params.length;
  const r = await pool.query<Record<string, unknown> & { page_bytes: string }>(
    `SELECT * FROM (
       SELECT p.*, sum(p.page_row_bytes) OVER (ORDER BY ${actionOrder(filter, 'p.')} ROWS UNBOUNDED PRECEDING) AS page_bytes
         FROM (SELECT *, octet_length(input::text) + coalesce(octet_length(output::text), 0) AS page_row_bytes
                 FROM actions ${sql} ORDER BY ${actionOrder(filter)} LIMIT $${n + 1}) p) page
      WHERE page_bytes - page_row_bytes < $${n + 2} ORDER BY ${actionOrder(filter)}`,
    [...params, filter.limit, maxBytes],
  );
  return {
    actions: r.rows.map(actionFromRow),
    more: r.rows.length === filter.limit || Number(r.rows.at(-1)?.page_bytes ?? 0) >= maxBytes,
  };
}

/** How many actions match (the UI's counts per state). */
export async function countActions(pool: Pool, filter: Omit<ActionFilter, 'limit' | 'before'>): Promise<number> {
  const { sql, params } = actionWhere(filter, POSTGRES);
  return Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM actions ${sql}`, params)).rows[0]!.n);
}

/** The work list's counts: 16 COUNTs, a text search's too (run by the server, off the event loop). */
export async function countActionsByState(pool: Pool, filter: CountsFilter): Promise<ActionCounts> {
  return countEach(filter, (f) => countActions(pool, f));
}

/** How many actions match, counting no further than `upTo` (a saved view's count). */
export async function countActionsUpTo(pool: Pool, filter: Omit<ActionFilter, 'limit' | 'before'>, upTo: number): Promise<number> {
  const { sql, params } = actionWhere(filter, POSTGRES);
  const r = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM (SELECT 1 FROM actions ${sql} LIMIT $${params.length + 1}) x`, [
    ...params,
    upTo,
  ]);
  return Number(r.rows[0]!.n);
}

/** Throttled actions per action type, from the held-backlog index (`actions_throttled`). */
export async function countThrottledByActionType(pool: Pool): Promise<Map<string, number>> {
  const r = await pool.query<{ id: string; n: string }>(
    "SELECT action_type_id AS id, count(*) AS n FROM actions WHERE phase = 'throttled' AND state = 'waiting' GROUP BY action_type_id",
  );
  return new Map(r.rows.map((row) => [row.id, Number(row.n)]));
}
