// Guarded writes of transitions: the new state, its timeline entries and its effects (case data,
// notifications) commit together or not at all; a stale version writes nothing.

import type Database from 'better-sqlite3';
import type { TimelineEntry } from '../../lifecycle/action.ts';
import type { ActionWrite } from '../types.ts';
import { MUTABLE_ACTION_COLUMNS, mutableValues } from '../rows.ts';

const UPDATE = `UPDATE actions SET ${MUTABLE_ACTION_COLUMNS.map((c) => `${c} = ?`).join(', ')}, lease_owner = NULL WHERE id = ? AND version = ?`;
const TIMELINE = 'INSERT INTO timeline (action_id, at, actor, kind, message, data) VALUES (?, ?, ?, ?, ?, ?)';
const statements = new WeakMap<Database.Database, Record<string, Database.Statement>>();

function prepared(db: Database.Database): Record<string, Database.Statement> {
  let s = statements.get(db);
  if (!s) {
    s = {
      update: db.prepare(UPDATE),
      timeline: db.prepare(TIMELINE),
      getCase: db.prepare('SELECT data, owner FROM cases WHERE id = ?'),
      setCaseData: db.prepare('UPDATE cases SET data = ?, updated_at = ? WHERE id = ?'),
      notify: db.prepare('INSERT INTO notifications (user_name, kind, message, action_id, case_id, at) VALUES (?, ?, ?, ?, ?, ?)'),
    };
    statements.set(db, s);
  }
  return s;
}

const bool = (b: boolean): number => (b ? 1 : 0);

export function insertTimeline(db: Database.Database, actionId: string, entries: TimelineEntry[]): void {
  const s = prepared(db).timeline!;
  for (const e of entries) s.run(actionId, e.at, e.actor, e.kind, e.message, e.data ? JSON.stringify(e.data) : null);
}

export function writeActions(db: Database.Database, writes: ActionWrite[]): boolean[] {
  const s = prepared(db);
  return db
    .transaction(() =>
      writes.map((w) => {
        const a = w.action;
        if (s.update!.run(...mutableValues(a, bool), a.id, w.expectedVersion).changes !== 1) return false;
        insertTimeline(db, a.id, w.timeline);
        for (const eff of w.effects) {
          if (!a.caseId) break;
          const c = s.getCase!.get(a.caseId) as { data: string; owner: string | null } | undefined;
          if (!c) break;
          if (eff.type === 'merge_case_data')
            s.setCaseData!.run(JSON.stringify({ ...(JSON.parse(c.data) as object), ...eff.data }), a.updatedAt, a.caseId);
          else if (eff.type === 'escalated' && c.owner)
            s.notify!.run(
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
