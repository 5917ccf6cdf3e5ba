// Integrated queues: the task's write, its integration-log entry and the launched action in one
// transaction (the nested calls below run as savepoints of it).

import type Database from 'better-sqlite3';
import type { IntegrationLogEntry } from '../../integrated-queues/rules.ts';
import { integrationEntryFromRow } from '../integration-log.ts';
import type { IntegrationWrite } from '../types.ts';
import { prepared } from './statements.ts';
import { prepareWrite, writeActions } from './write-actions.ts';
import { insertActions, prepareInserts } from './insert-actions.ts';

const INSERT = `INSERT INTO integration_log (task_id, request_type, direction, at, payload, result, action_id, queue)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
const LIST = 'SELECT * FROM integration_log WHERE task_id = ? ORDER BY seq';
const TASK_OF = 'SELECT task_id FROM integration_log WHERE action_id = ? LIMIT 1';

export function writeIntegration(db: Database.Database, w: IntegrationWrite, keepNotifications: number): boolean {
  return db
    .transaction(() => {
      if (!writeActions(db, [prepareWrite(w.write)], keepNotifications)[0]) return false;
      if (w.launch) insertActions(db, prepareInserts([w.launch]));
      const e = w.entry;
      prepared(db, INSERT).run(
        w.write.action.id,
        e.requestType,
        e.direction,
        e.at,
        JSON.stringify(e.payload),
        e.result,
        e.actionId,
        e.queue,
      );
      return true;
    })
    .immediate();
}

export function listIntegrationLog(db: Database.Database, taskId: string): IntegrationLogEntry[] {
  return (prepared(db, LIST).all(taskId) as Array<Record<string, unknown>>).map(integrationEntryFromRow);
}

export function integrationTaskOf(db: Database.Database, actionId: string): string | undefined {
  return (prepared(db, TASK_OF).get(actionId) as { task_id: string } | undefined)?.task_id;
}
