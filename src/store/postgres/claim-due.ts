// Claim due work: lease up to `limit` actions whose due time has come, in one statement.

import type { Pool } from 'pg';
import type { ActionRecord } from '../../lifecycle/action.ts';
import type { Phase } from '../../lifecycle/states.ts';
import type { ClaimParams } from '../types.ts';
import { ACTION_COLUMNS, actionFromValues } from '../rows.ts';

// The lease is the due time itself: a claimed row is due again at leaseUntil, so if this node dies
// mid-send another one takes the work over when the lease runs out. A throttled action keeps its
// phase, so waiting on a rate limit is noted once, not at every window.
// A lease lost with its commit (the server crashed before flushing it) only makes the action due
// again: it is sent again with the same Idempotency-Key, and the outcome's write, guarded by the
// version, finds the old one. Any later durable commit flushes the WAL up to and past the claim. So
// claims commit without waiting for their flush (synchronous_commit=off on the store's claim pool).
// SKIP LOCKED because several nodes claim at once (SQLite has one writer and needs no such clause).
// Columns are named, not `a.*`: a prepared `*` fails on every pooled connection once a migration adds a column.
// The due ids come as an array (`id = ANY`), not a join: a plan cached while the table was small
// would stay a hash join over a sequential scan as the table grows (see write-actions.ts).
// RETURNING sees only new values: the old due times and phases come from the (materialised, locking) CTE of
// the claimed rows, joined (a hash of at most `limit` rows), for the engine (lateness, claims ahead); a
// subquery per returned row scanned the CTE once per row (5 ms of a 10 ms claim of 256).
// Up to $1 (dueBy) ahead of now ($5), but a throttled action only when due: a person may retry it
// (due now again), and a copy held claimed ahead would then be sent beside the new claim's.
export const CLAIM_SQL = `
WITH due AS (SELECT id, due_at, phase FROM actions WHERE due_at <= $1 AND (due_at <= $5 OR phase IS DISTINCT FROM 'throttled') ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
UPDATE actions a
   SET phase = CASE WHEN a.phase IN ('awaiting_callback', 'throttled') THEN a.phase ELSE 'sending' END,
       due_at = $3, lease_owner = $4, version = a.version + 1
  FROM due d
 WHERE a.id = ANY(ARRAY(SELECT id FROM due)) AND a.id = d.id
RETURNING ${ACTION_COLUMNS.map((c) => `a.${c}`).join(', ')}, d.due_at AS claimed_due_at, d.phase AS claimed_phase`;

export async function claimDue(pool: Pool, p: ClaimParams): Promise<ActionRecord[]> {
  // Rows as arrays (see actionFromValues); the old due time and phase are the columns after the action's.
  const r = await pool.query<unknown[]>({
    name: 'callout_claim_due',
    text: CLAIM_SQL,
    values: [p.dueBy ?? p.now, p.limit, p.leaseUntil, p.owner, p.now],
    rowMode: 'array',
  });
  const dueTimes = p.dueTimes;
  if (dueTimes) r.rows.forEach((row, i) => dueTimes(Number(row[ACTION_COLUMNS.length]), i, row[ACTION_COLUMNS.length + 1] as Phase | null));
  return r.rows.map(actionFromValues);
}

/** When the engine should look again: the earliest due time, or null when nothing is due. */
export async function nextDueAt(pool: Pool): Promise<number | null> {
  const r = await pool.query<{ due: string | null }>({
    name: 'callout_next_due_at',
    text: 'SELECT min(due_at) AS due FROM actions WHERE due_at IS NOT NULL',
  });
  const due = r.rows[0]!.due;
  return due === null ? null : Number(due);
}
