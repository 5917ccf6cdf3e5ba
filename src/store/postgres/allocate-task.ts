// Allocation of a task by its queue, inside the transaction of the write (writeActions) or its own
// (allocateTask). The queue's row is locked (FOR UPDATE), so nodes allocating on one queue take
// turns: the round-robin cursor and the open-task counts each reads are the ones it writes against.

import type { Pool, PoolClient } from 'pg';
import type { AllocationOutcome } from '../types.ts';
import { caseQueueEntry, type CaseQueueMove, type TaskAllocation } from '../effects.ts';
import { decideAllocation, queueFromRow, queueMembers, submitsToProvider } from '../allocation.ts';
import { insertTimeline } from './insert-timeline.ts';
import { inTransaction } from './transaction.ts';

const TASK = `SELECT a.state, a.queue, a.assignee, c.owner FROM actions a LEFT JOIN cases c ON c.id = a.case_id
 WHERE a.id = $1 FOR UPDATE OF a`;
const OPEN_TASKS = `SELECT assignee, count(*)::int AS n FROM actions
 WHERE state IN ('todo', 'in_progress') AND assignee = ANY($1::text[]) GROUP BY assignee`;

// A task never exchanged with a provider, and not itself a request sent for one (integration-log
// entries are written before the writes of their transaction, so a request is known here). Landing
// again before it was sent (on another queue, say): the latest landing is the one pending.
const PENDING = `INSERT INTO integration_pending (action_id, queue, at, assignee)
SELECT $1::text, $2::text, $3::bigint, $4::text WHERE NOT EXISTS (SELECT 1 FROM integration_log l WHERE l.task_id = $1)
  AND NOT EXISTS (SELECT 1 FROM integration_log l WHERE l.action_id = $1)
ON CONFLICT (action_id) DO UPDATE SET queue = excluded.queue, at = excluded.at, assignee = excluded.assignee`;

export async function allocateInTransaction(client: PoolClient, t: TaskAllocation): Promise<AllocationOutcome | undefined> {
  // The task, then its queue, as writeActions does (its UPDATE holds the task); queues in name order.
  const task = (await client.query(TASK, [t.actionId])).rows[0] as
    { state: string; queue: string | null; assignee: string | null; owner: string | null } | undefined;
  // Picked up, assigned or moved since: nothing to allocate any more.
  if (!task || task.state !== 'todo' || task.assignee !== null || task.queue !== t.queue) return undefined;
  const q = await client.query('SELECT * FROM queues WHERE name = $1 FOR UPDATE', [t.queue]);
  const queue = q.rows[0] ? queueFromRow(q.rows[0] as Record<string, unknown>) : undefined;
  const members = queue ? queueMembers(queue) : [];
  const active = await client.query<{ name: string }>('SELECT name FROM users WHERE NOT disabled AND name = ANY($1::text[])', [members]);
  const counts = await client.query<{ assignee: string; n: number }>(OPEN_TASKS, [members]);
  const d = decideAllocation(t.queue, {
    queue,
    activeMembers: new Set(active.rows.map((r) => r.name)),
    openTasks: Object.fromEntries(counts.rows.map((c) => [c.assignee, Number(c.n)])),
    caseOwner: task.owner || null,
    lastAssignee: (q.rows[0] as { last_assignee?: string | null } | undefined)?.last_assignee ?? null,
    ...(t.sameAs !== undefined ? { sameAs: { actionId: t.sameAs, assignee: await assigneeOf(client, t.sameAs) } } : {}),
    ...(t.not !== undefined ? { not: t.not } : {}),
  });
  if (d.assignee !== null) {
    // The version moves so a writer holding the unassigned record re-reads instead of undoing this.
    await client.query('UPDATE actions SET assignee = $1, version = version + 1 WHERE id = $2', [d.assignee, t.actionId]);
    if (d.turn) await client.query('UPDATE queues SET last_assignee = $1 WHERE name = $2', [d.assignee, t.queue]);
  }
  await insertTimeline(client, [
    {
      actionId: t.actionId,
      at: t.at,
      actor: 'system',
      kind: 'allocated',
      message: d.message,
      data: { queue: t.queue, assignee: d.assignee },
    },
  ]);
  // Given to one of the queue's people as it lands, it still goes to the provider, as a manual step's task
  // does (the timeline shows both); given to someone else or picked up before it is sent, it is theirs.
  if (submitsToProvider(queue))
    await client.query({ name: 'callout_integration_pending', text: PENDING, values: [t.actionId, t.queue, t.at, d.assignee] });
  return { actionId: t.actionId, queue: t.queue, assignee: d.assignee, message: d.message };
}

// Read within the write's transaction: the action it follows was allocated (and so locked) before it.
const assigneeOf = async (client: PoolClient, id: string): Promise<string | null> =>
  (await client.query<{ assignee: string | null }>('SELECT assignee FROM actions WHERE id = $1', [id])).rows[0]?.assignee ?? null;

export async function allocateTask(pool: Pool, actionId: string, at: number): Promise<AllocationOutcome | undefined> {
  const a = await pool.query<{ queue: string | null }>('SELECT queue FROM actions WHERE id = $1', [actionId]);
  const queue = a.rows[0]?.queue;
  if (!queue) return undefined;
  return inTransaction(pool, (client) => allocateInTransaction(client, { actionId, queue, at }));
}

// Still To Do, on no queue and with no one: moved to its case's queue (the version moves, as allocation's does).
// Not a request sent for an integrated queue's task: that goes to its task's queue and person (settleOutbound).
const TO_CASE_QUEUE = `UPDATE actions a SET queue = c.queue, version = a.version + 1
  FROM cases c
 WHERE a.id = $1 AND c.id = a.case_id AND c.queue IS NOT NULL
   AND a.state = 'todo' AND a.queue IS NULL AND a.assignee IS NULL
   AND NOT EXISTS (SELECT 1 FROM integration_log l WHERE l.action_id = a.id)
 RETURNING a.queue`;

/** Puts each action on its case's queue (effects.ts, CaseQueueMove); the allocations they then need. */
export async function moveToCaseQueues(client: PoolClient, moves: readonly CaseQueueMove[]): Promise<TaskAllocation[]> {
  const out: TaskAllocation[] = [];
  for (const m of moves) {
    const r = (await client.query<{ queue: string }>(TO_CASE_QUEUE, [m.actionId])).rows[0];
    if (!r) continue;
    await insertTimeline(client, [{ ...caseQueueEntry(r.queue, m.at), actionId: m.actionId }]);
    out.push({ actionId: m.actionId, queue: r.queue, at: m.at });
  }
  return out;
}
