// Guarded writes of transitions: the new state, its timeline entries and its effects (case data,
// notifications) commit together or not at all; a stale version writes nothing.

import type Database from 'better-sqlite3';
import type { ActionWrite } from '../types.ts';
import { MUTABLE_ACTION_COLUMNS, mutableValues } from '../rows.ts';
import { planEffects, type EffectPlan } from '../effects.ts';
import { prepared } from './statements.ts';
import { insertTimeline } from './insert-timeline.ts';
import { allocateInTransaction } from './allocate-task.ts';
import { insertCaseEvents } from './case-runs.ts';
import { insertWebhookEventsTx } from './webhooks.ts';

const UPDATE = `UPDATE actions SET ${MUTABLE_ACTION_COLUMNS.map((c) => `${c} = ?`).join(', ')}, lease_owner = NULL WHERE id = ? AND version = ?`;
const GET_CASE_DATA = 'SELECT data FROM cases WHERE id = ?';
const SET_CASE_DATA = 'UPDATE cases SET data = ?, updated_at = ? WHERE id = ?';
const NOTIFY_OWNER = `
INSERT INTO notifications (user_name, kind, message, action_id, case_id, at)
SELECT owner, 'action.escalated', ?, ?, id, ? FROM cases WHERE id = ? AND owner <> ''`;

const bool = (b: boolean): number => (b ? 1 : 0);

export function writeActions(db: Database.Database, writes: ActionWrite[]): boolean[] {
  const update = prepared(db, UPDATE);
  return db
    .transaction(() => {
      const applied = writes.map((w) => {
        const a = w.action;
        if (update.run(...mutableValues(a, bool), a.id, w.expectedVersion).changes !== 1) return false;
        insertTimeline(db, a.id, w.timeline);
        return true;
      });
      applyEffects(db, planEffects(writes.filter((_, i) => applied[i])));
      return applied;
    })
    .immediate();
}

function applyEffects(db: Database.Database, plan: EffectPlan): void {
  for (const m of plan.merges) {
    // Shallow, as PostgreSQL's jsonb || (SQLite's json_patch would merge nested objects and drop nulls).
    const c = prepared(db, GET_CASE_DATA).get(m.caseId) as { data: string } | undefined;
    if (c) prepared(db, SET_CASE_DATA).run(JSON.stringify({ ...(JSON.parse(c.data) as object), ...m.data }), m.at, m.caseId);
  }
  for (const n of plan.notices) prepared(db, NOTIFY_OWNER).run(n.message, n.actionId, n.at, n.caseId);
  for (const t of plan.allocations) allocateInTransaction(db, t);
  insertCaseEvents(db, plan.caseEvents);
  insertWebhookEventsTx(db, plan.events);
}
