// Integrated queues: the task's write, its integration-log entry and the launched action in one
// transaction; or an exchange's outcome, with the task's change and its action's it brings.

import { DatabaseError, type Pool } from 'pg';
import type { IntegrationLogEntry } from '../../integrated-queues/rules.ts';
import { integrationEntryFromRow, integrationEntryValues } from '../integration-log.ts';
import type { IntegrationWrite, PendingSubmission } from '../types.ts';
import { planEffects } from '../effects.ts';
import { inTransaction } from './transaction.ts';
import { UPDATE, actionJson, applyEffects } from './write-actions.ts';
import { insertActionsTx } from './insert-actions.ts';
import { insertTimeline } from './insert-timeline.ts';
import { launchKeyConflict } from '../conflicts.ts';

const INSERT = `INSERT INTO integration_log (task_id, request_type, direction, at, payload, result, action_id, queue, outcome)
VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9)`;
const SETTLE = `UPDATE integration_log SET result = $1, outcome = $2
 WHERE action_id = $3 AND direction = 'Out' AND outcome IS NOT DISTINCT FROM $4::text`;
const UNSETTLED = `
SELECT l.action_id FROM integration_log l JOIN actions a ON a.id = l.action_id
 WHERE l.direction = 'Out' AND l.action_id IS NOT NULL AND (l.outcome IS NULL OR l.outcome IN ('failed', 'not_sent'))
   AND ((l.outcome IS NULL AND a.state IN ('todo', 'closed'))
     OR (l.outcome IS NOT NULL AND a.state = 'closed' AND a.resolution = 'done_successfully'))
 LIMIT $1`;

/** Thrown to undo the transaction when a later part of it lost to another writer. */
class Lost extends Error {}

export async function writeIntegration(pool: Pool, w: IntegrationWrite, keepNotifications: number): Promise<boolean> {
  try {
    return await inTransaction(pool, async (client) => {
      // The entry first: an allocation in the writes below then knows the task and the request it
      // launches are exchanges with a provider, and leaves neither pending a submission.
      const e = w.entry;
      if (e)
        await client.query({
          name: 'callout_integration_log_insert',
          text: INSERT,
          values: integrationEntryValues(w.write?.action.id ?? null, e),
        });
      const writes = [...(w.write ? [w.write] : []), ...(w.also ? [w.also] : [])];
      if (writes.length > 0) {
        // Distinct actions (the task and its outbound action): one statement writes both.
        const r = await client.query({
          name: 'callout_write_actions',
          text: UPDATE,
          values: [
            JSON.stringify(writes.map((x) => ({ ...actionJson(x.action), expected_version: x.expectedVersion }))),
            writes.map((x) => x.action.id),
          ],
        });
        if (r.rowCount !== writes.length) throw new Lost();
        await insertTimeline(
          client,
          writes.flatMap((x) => x.timeline.map((e) => ({ ...e, actionId: x.action.id }))),
        );
        await applyEffects(client, planEffects(writes), keepNotifications);
      }
      // As any launch (SQLite's does the same): its webhook events, its wake-up, and, refused at
      // launch onto a queue, its allocation there.
      if (w.launch) await insertActionsTx(client, [w.launch], keepNotifications);
      const s = w.settle;
      if (s) {
        const r = await client.query({
          name: 'callout_integration_settle',
          text: SETTLE,
          values: [s.result, s.outcome, s.actionId, s.from],
        });
        if (r.rowCount === 0) throw new Lost();
      }
      return true;
    });
  } catch (e) {
    if (e instanceof Lost) return false;
    if (e instanceof DatabaseError && e.code === '23505' && e.constraint === 'actions_launch_key_key') throw launchKeyConflict();
    throw e;
  }
}

export async function listIntegrationLog(pool: Pool, taskId: string): Promise<IntegrationLogEntry[]> {
  const r = await pool.query({
    name: 'callout_integration_log_list',
    text: 'SELECT * FROM integration_log WHERE task_id = $1 ORDER BY seq',
    values: [taskId],
  });
  return r.rows.map(integrationEntryFromRow);
}

export async function integrationTaskOf(pool: Pool, actionId: string): Promise<string | undefined> {
  const r = await pool.query<{ task_id: string }>({
    name: 'callout_integration_task_of',
    text: 'SELECT task_id FROM integration_log WHERE action_id = $1 LIMIT 1',
    values: [actionId],
  });
  return r.rows[0]?.task_id;
}

export async function listUnsettledIntegrationActions(pool: Pool, limit: number): Promise<string[]> {
  const r = await pool.query<{ action_id: string }>({ name: 'callout_integration_unsettled', text: UNSETTLED, values: [limit] });
  return r.rows.map((row) => row.action_id);
}

export async function listPendingSubmissions(pool: Pool, limit: number, actionId?: string): Promise<PendingSubmission[]> {
  // Apart, so each uses its index (a generic plan of an `IS NULL OR` of a parameter would not).
  const r =
    actionId === undefined
      ? await pool.query<{ action_id: string; queue: string; at: string; assignee: string | null }>({
          name: 'callout_integration_pending_list',
          text: 'SELECT action_id, queue, at, assignee FROM integration_pending ORDER BY at, action_id LIMIT $1',
          values: [limit],
        })
      : await pool.query<{ action_id: string; queue: string; at: string; assignee: string | null }>({
          name: 'callout_integration_pending_one',
          text: 'SELECT action_id, queue, at, assignee FROM integration_pending WHERE action_id = $1',
          values: [actionId],
        });
  return r.rows.slice(0, limit).map((row) => ({ actionId: row.action_id, queue: row.queue, at: Number(row.at), assignee: row.assignee }));
}

export async function dropPendingSubmission(pool: Pool, actionId: string, seen?: Pick<PendingSubmission, 'queue' | 'at'>): Promise<void> {
  await pool.query({
    name: 'callout_integration_pending_drop',
    text: 'DELETE FROM integration_pending WHERE action_id = $1 AND ($2::text IS NULL OR (queue = $2 AND at = $3::bigint))',
    values: [actionId, seen?.queue ?? null, seen?.at ?? null],
  });
}
