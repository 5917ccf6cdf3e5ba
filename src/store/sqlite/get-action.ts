// One action by its id, or by the Idempotency-Key of the launch that made it (with the hash of that
// launch's body, to tell a repeat from a different request).

import type Database from 'better-sqlite3';
import type { ActionRecord } from '../../lifecycle/action.ts';
import { actionFromRow } from '../rows.ts';
import { prepared } from './statements.ts';

export function getAction(db: Database.Database, id: string): ActionRecord | undefined {
  const r = prepared(db, 'SELECT * FROM actions WHERE id = ?').get(id);
  return r ? actionFromRow(r as Record<string, unknown>) : undefined;
}

export function actionLease(db: Database.Database, id: string): { owner: string | null; version: number } | undefined {
  const r = prepared(db, 'SELECT lease_owner, version FROM actions WHERE id = ?').get(id) as
    { lease_owner: string | null; version: number } | undefined;
  return r ? { owner: r.lease_owner, version: Number(r.version) } : undefined;
}

export function getActionByLaunchKey(db: Database.Database, key: string): { action: ActionRecord; launchHash: string | null } | undefined {
  const r = prepared(db, 'SELECT * FROM actions WHERE launch_key = ?').get(key) as Record<string, unknown> | undefined;
  return r ? { action: actionFromRow(r), launchHash: (r.launch_hash as string | null) ?? null } : undefined;
}
