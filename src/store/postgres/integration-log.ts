// Integrated queues: the task's write, its integration-log entry and the launched action in one
// transaction.

import { DatabaseError, type Pool } from 'pg';
import type { IntegrationLogEntry } from '../../integrated-queues/rules.ts';
import { integrationEntryFromRow } from '../integration-log.ts';
import type { IntegrationWrite } from '../types.ts';
import { ACTION_COLUMNS } from '../rows.ts';
import { planEffects } from '../effects.ts';
import { inTransaction } from './transaction.ts';
import { ACTION_RECORDSET, UPDATE, actionJson, applyEffects, fromRecordset, wakeIfDue } from './write-actions.ts';
import { insertTimeline } from './insert-timeline.ts';
import { launchKeyConflict } from '../conflicts.ts';

const INSERT_ACTION = `
INSERT INTO actions (${ACTION_COLUMNS.join(', ')}, launch_key, launch_hash)
SELECT ${ACTION_COLUMNS.map((c) => fromRecordset('r', c)).join(', ')}, r.launch_key, r.launch_hash
  FROM jsonb_to_recordset($1::jsonb) AS r(${ACTION_RECORDSET}, launch_key text, launch_hash text)`;
const INSERT = `INSERT INTO integration_log (task_id, request_type, direction, at, payload, result, action_id, queue)
VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)`;

export async function writeIntegration(pool: Pool, w: IntegrationWrite, keepNotifications: number): Promise<boolean> {
  try {
    return await inTransaction(pool, async (client) => {
      const a = w.write.action;
      const r = await client.query({
        name: 'callout_write_actions',
        text: UPDATE,
        values: [JSON.stringify([{ ...actionJson(a), expected_version: w.write.expectedVersion }]), [a.id]],
      });
      if (r.rowCount !== 1) return false;
      await insertTimeline(
        client,
        w.write.timeline.map((e) => ({ ...e, actionId: a.id })),
      );
      await applyEffects(client, planEffects([w.write]), keepNotifications);
      const l = w.launch;
      if (l) {
        const row = { ...actionJson(l.action), launch_key: l.launchKey ?? null, launch_hash: l.launchHash ?? null };
        await client.query({ name: 'callout_integration_launch', text: INSERT_ACTION, values: [JSON.stringify([row])] });
        await insertTimeline(
          client,
          l.timeline.map((e) => ({ ...e, actionId: l.action.id })),
        );
        await wakeIfDue(client, [l.action]);
      }
      const e = w.entry;
      await client.query({
        name: 'callout_integration_log_insert',
        text: INSERT,
        values: [a.id, e.requestType, e.direction, e.at, JSON.stringify(e.payload), e.result, e.actionId, e.queue],
      });
      return true;
    });
  } catch (e) {
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
