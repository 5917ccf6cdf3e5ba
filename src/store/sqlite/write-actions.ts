// Guarded writes of transitions: the new state, its timeline entries and its effects (case data,
// notifications) commit together or not at all; a stale version writes nothing.

import type Database from 'better-sqlite3';
import type { TimelineEntry } from '../../lifecycle/action.ts';
import type { ActionWrite } from '../types.ts';
import { MUTABLE_ACTION_COLUMNS, mutableValues } from '../rows.ts';
import { prepared } from './statements.ts';

const UPDATE = `UPDATE actions SET ${MUTABLE_ACTION_COLUMNS.map((c) => `${c} = ?`).join(', ')}, lease_owner = NULL WHERE id = ? AND version = ?`;
const TIMELINE = 'INSERT INTO timeline (action_id, at, actor, kind, message, data) VALUES (?, ?, ?, ?, ?, ?)';
const GET_CASE = 'SELECT data, owner FROM cases WHERE id = ?';
const SET_CASE_DATA = 'UPDATE cases SET data = ?, updated_at = ? WHERE id = ?';
const NOTIFY = 'INSERT INTO notifications (user_name, kind, message, action_id, case_id, at) VALUES (?, ?, ?, ?, ?, ?)';

const bool = (b: boolean): number => (b ? 1 : 0);

export function insertTimeline(db: Database.Database, actionId: string, entries: TimelineEntry[]): void {
  const s = prepared(db, TIMELINE);
  for (const e of entries) s.run(actionId, e.at, e.actor, e.kind, e.message, e.data ? JSON.stringify(e.data) : null);
}

export function writeActions(db: Database.Database, writes: ActionWrite[]): boolean[] {
  const update = prepared(db, UPDATE);
  return db
    .transaction(() =>
      writes.map((w) => {
        const a = w.action;
        if (update.run(...mutableValues(a, bool), a.id, w.expectedVersion).changes !== 1) return false;
        insertTimeline(db, a.id, w.timeline);
        for (const eff of w.effects) {
          if (!a.caseId) break;
          const c = prepared(db, GET_CASE).get(a.caseId) as { data: string; owner: string | null } | undefined;
          if (!c) break;
          if (eff.type === 'merge_case_data')
            prepared(db, SET_CASE_DATA).run(JSON.stringify({ ...(JSON.parse(c.data) as object), ...eff.data }), a.updatedAt, a.caseId);
          else if (eff.type === 'escalated' && c.owner)
            prepared(db, NOTIFY).run(
              c.owner,
              'action.escalated',
              `Action ${a.id} closed Not Done Successfully: ${a.lastError ?? ''}`.trim(),
              a.id,
              a.caseId,
              a.updatedAt,
            );
        }
        return true;
      }),
    )
    .immediate();
}
