// Allocation of a task by its queue, inside the caller's transaction (writeActions) or its own
// (allocateTask): SQLite runs one writer at a time, so the round-robin cursor and the open-task counts
// it reads cannot change before the assignee is written.

import type Database from 'better-sqlite3';
import type { AllocationOutcome } from '../types.ts';
import { caseQueueEntry, type CaseQueueMove, type TaskAllocation } from '../effects.ts';
import { decideAllocation, queueMembers, submitsToProvider } from '../allocation.ts';
import { getQueue } from './people-queues.ts';
import { insertTimeline } from './insert-timeline.ts';
import { prepared } from './statements.ts';

const TASK = 'SELECT a.state, a.queue, a.assignee, c.owner FROM actions a LEFT JOIN cases c ON c.id = a.case_id WHERE a.id = ?';
const ACTIVE = 'SELECT name FROM users WHERE disabled = 0 AND name IN (SELECT value FROM json_each(?))';
const OPEN_TASKS = `SELECT assignee, count(*) AS n FROM actions
 WHERE state IN ('todo', 'in_progress') AND assignee IN (SELECT value FROM json_each(?)) GROUP BY assignee`;

// A task never exchanged with a provider, and not itself a request sent for one (integration-log
// entries are written before the writes of their transaction, so a request is known here). Landing
// again before it was sent (on another queue, say): the latest landing is the one pending.
const PENDING = `INSERT INTO integration_pending (action_id, queue, at, assignee)
SELECT @id, @queue, @at, @assignee WHERE NOT EXISTS (SELECT 1 FROM integration_log l WHERE l.task_id = @id)
  AND NOT EXISTS (SELECT 1 FROM integration_log l WHERE l.action_id = @id)
ON CONFLICT (action_id) DO UPDATE SET queue = excluded.queue, at = excluded.at, assignee = excluded.assignee`;

export function allocateInTransaction(db: Database.Database, t: TaskAllocation): AllocationOutcome | undefined {
  const task = prepared(db, TASK).get(t.actionId) as
    { state: string; queue: string | null; assignee: string | null; owner: string | null } | undefined;
  // Picked up, assigned or moved since: nothing to allocate any more.
  if (!task || task.state !== 'todo' || task.assignee !== null || task.queue !== t.queue) return undefined;
  const queue = getQueue(db, t.queue);
  const members = JSON.stringify(queue ? queueMembers(queue) : []);
  const active = new Set((prepared(db, ACTIVE).all(members) as Array<{ name: string }>).map((r) => r.name));
  const counts = prepared(db, OPEN_TASKS).all(members) as Array<{ assignee: string; n: number }>;
  const last = queue
    ? (prepared(db, 'SELECT last_assignee FROM queues WHERE name = ?').get(t.queue) as { last_assignee: string | null })
    : undefined;
  const d = decideAllocation(t.queue, {
    queue,
    activeMembers: active,
    openTasks: Object.fromEntries(counts.map((c) => [c.assignee, Number(c.n)])),
    caseOwner: task.owner || null,
    lastAssignee: last?.last_assignee ?? null,
    ...(t.sameAs !== undefined ? { sameAs: { actionId: t.sameAs, assignee: assigneeOf(db, t.sameAs) } } : {}),
    ...(t.not !== undefined ? { not: t.not } : {}),
  });
  if (d.assignee !== null) {
    // The version moves so a writer holding the unassigned record re-reads instead of undoing this.
    prepared(db, 'UPDATE actions SET assignee = ?, version = version + 1 WHERE id = ?').run(d.assignee, t.actionId);
    if (d.turn) prepared(db, 'UPDATE queues SET last_assignee = ? WHERE name = ?').run(d.assignee, t.queue);
  }
  insertTimeline(db, t.actionId, [
    { at: t.at, actor: 'system', kind: 'allocated', message: d.message, data: { queue: t.queue, assignee: d.assignee } },
  ]);
  // Given to one of the queue's people as it lands, it still goes to the provider, as a manual step's task
  // does (the timeline shows both); given to someone else or picked up before it is sent, it is theirs.
  if (submitsToProvider(queue)) prepared(db, PENDING).run({ id: t.actionId, queue: t.queue, at: t.at, assignee: d.assignee });
  return { actionId: t.actionId, queue: t.queue, assignee: d.assignee, message: d.message };
}

const assigneeOf = (db: Database.Database, id: string): string | null =>
  (prepared(db, 'SELECT assignee FROM actions WHERE id = ?').get(id) as { assignee: string | null } | undefined)?.assignee ?? null;

export function allocateTask(db: Database.Database, actionId: string, at: number): AllocationOutcome | undefined {
  return db
    .transaction(() => {
      const a = prepared(db, 'SELECT queue FROM actions WHERE id = ?').get(actionId) as { queue: string | null } | undefined;
      return a?.queue ? allocateInTransaction(db, { actionId, queue: a.queue, at }) : undefined;
    })
    .immediate();
}

// Still To Do, on no queue and with no one: moved to its case's queue (the version moves, as allocation's does).
// Not a request sent for an integrated queue's task: that goes to its task's queue and person (settleOutbound).
const TO_CASE_QUEUE = `UPDATE actions SET queue = (SELECT c.queue FROM cases c WHERE c.id = actions.case_id), version = version + 1
 WHERE id = ? AND state = 'todo' AND queue IS NULL AND assignee IS NULL
   AND EXISTS (SELECT 1 FROM cases c WHERE c.id = actions.case_id AND c.queue IS NOT NULL)
   AND NOT EXISTS (SELECT 1 FROM integration_log l WHERE l.action_id = actions.id)
 RETURNING queue`;

/** Puts each action on its case's queue (effects.ts, CaseQueueMove); the allocations they then need. */
export function moveToCaseQueues(db: Database.Database, moves: readonly CaseQueueMove[]): TaskAllocation[] {
  const out: TaskAllocation[] = [];
  for (const m of moves) {
    const r = prepared(db, TO_CASE_QUEUE).get(m.actionId) as { queue: string } | undefined;
    if (!r) continue;
    insertTimeline(db, m.actionId, [caseQueueEntry(r.queue, m.at)]);
    out.push({ actionId: m.actionId, queue: r.queue, at: m.at });
  }
  return out;
}
