// Integrated queues: the task's write, its integration-log entry and the launched action in one
// transaction (the nested calls below run as savepoints of it); or an exchange's outcome, with the
// task's change and its action's it brings.

import type Database from 'better-sqlite3';
import type { IntegrationLogEntry } from '../../integrated-queues/rules.ts';
import { integrationEntryFromRow, integrationEntryValues } from '../integration-log.ts';
import type { IntegrationWrite, PendingSubmission } from '../types.ts';
import { prepared } from './statements.ts';
import { prepareWrite, writeActions } from './write-actions.ts';
import { insertActions, prepareInserts } from './insert-actions.ts';

const INSERT = `INSERT INTO integration_log (task_id, request_type, direction, at, payload, result, action_id, queue, outcome)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const LIST = 'SELECT * FROM integration_log WHERE task_id = ? ORDER BY seq';
const TASK_OF = 'SELECT task_id FROM integration_log WHERE action_id = ? LIMIT 1';
const SETTLE = `UPDATE integration_log SET result = ?, outcome = ? WHERE action_id = ? AND direction = 'Out' AND outcome IS ?`;
const UNSETTLED = `
SELECT l.action_id FROM integration_log l JOIN actions a ON a.id = l.action_id
 WHERE l.direction = 'Out' AND l.action_id IS NOT NULL AND (l.outcome IS NULL OR l.outcome IN ('failed', 'not_sent'))
   AND ((l.outcome IS NULL AND a.state IN ('todo', 'closed'))
     OR (l.outcome IS NOT NULL AND a.state = 'closed' AND a.resolution = 'done_successfully'))
 LIMIT ?`;

/** Thrown to undo the transaction when a later part of it lost to another writer. */
class Lost extends Error {}

export function writeIntegration(db: Database.Database, w: IntegrationWrite, keepNotifications: number): boolean {
  try {
    return db
      .transaction(() => {
        // The entry first: an allocation in the writes below then knows the task and the request it
        // launches are exchanges with a provider, and leaves neither pending a submission.
        const e = w.entry;
        if (e) prepared(db, INSERT).run(...integrationEntryValues(w.write?.action.id ?? null, e));
        const writes = [...(w.write ? [w.write] : []), ...(w.also ? [w.also] : [])];
        const applied = writes.length > 0 ? writeActions(db, writes.map(prepareWrite), keepNotifications) : [];
        if (applied.some((ok) => !ok)) throw new Lost();
        if (w.launch) insertActions(db, prepareInserts([w.launch]), keepNotifications);
        const s = w.settle;
        if (s && prepared(db, SETTLE).run(s.result, s.outcome, s.actionId, s.from).changes === 0) throw new Lost();
        return true;
      })
      .immediate();
  } catch (err) {
    if (err instanceof Lost) return false;
    throw err;
  }
}

export function listIntegrationLog(db: Database.Database, taskId: string): IntegrationLogEntry[] {
  return (prepared(db, LIST).all(taskId) as Array<Record<string, unknown>>).map(integrationEntryFromRow);
}

export function integrationTaskOf(db: Database.Database, actionId: string): string | undefined {
  return (prepared(db, TASK_OF).get(actionId) as { task_id: string } | undefined)?.task_id;
}

export function listUnsettledIntegrationActions(db: Database.Database, limit: number): string[] {
  return (prepared(db, UNSETTLED).all(limit) as Array<{ action_id: string }>).map((r) => r.action_id);
}

// Apart, so each uses its index (an `IS NULL OR` of a parameter would not).
const PENDING = 'SELECT action_id, queue, at, assignee FROM integration_pending ORDER BY at, action_id LIMIT ?';
const PENDING_ONE = 'SELECT action_id, queue, at, assignee FROM integration_pending WHERE action_id = ?';

export function listPendingSubmissions(db: Database.Database, limit: number, actionId?: string): PendingSubmission[] {
  const rows = (
    actionId === undefined ? prepared(db, PENDING).all(limit) : prepared(db, PENDING_ONE).all(actionId).slice(0, limit)
  ) as Array<{ action_id: string; queue: string; at: number; assignee: string | null }>;
  return rows.map((r) => ({ actionId: r.action_id, queue: r.queue, at: Number(r.at), assignee: r.assignee }));
}

export function dropPendingSubmission(db: Database.Database, actionId: string, seen?: Pick<PendingSubmission, 'queue' | 'at'>): void {
  if (seen === undefined) prepared(db, 'DELETE FROM integration_pending WHERE action_id = ?').run(actionId);
  else prepared(db, 'DELETE FROM integration_pending WHERE action_id = ? AND queue = ? AND at = ?').run(actionId, seen.queue, seen.at);
}
