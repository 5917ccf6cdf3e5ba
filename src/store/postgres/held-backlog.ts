// Where a rate-limit backlog ends: the latest due time of the held actions of some action types.

import type { Pool } from 'pg';

// One index look-up per type (actions_throttled), not a scan of the held actions.
const LATEST = `
SELECT max(x.due) AS due FROM unnest($1::text[]) AS t(id),
  LATERAL (SELECT max(due_at) AS due FROM actions WHERE phase = 'throttled' AND action_type_id = t.id) AS x`;

export async function latestHeldDueAt(pool: Pool, actionTypeIds: readonly string[]): Promise<number | null> {
  const r = await pool.query<{ due: string | null }>({ name: 'callout_latest_held_due', text: LATEST, values: [actionTypeIds] });
  const due = r.rows[0]?.due ?? null;
  return due === null ? null : Number(due);
}
