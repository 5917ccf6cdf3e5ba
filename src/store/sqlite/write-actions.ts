// Guarded writes of transitions: the new state, its timeline entries and its effects (case data,
// notifications) commit together or not at all; a stale version writes nothing.

import type Database from 'better-sqlite3';
import type { ActionWrite } from '../types.ts';
import { MUTABLE_ACTION_COLUMNS, changedMutableColumns, columnValues, type ActionColumn } from '../rows.ts';
import { planEffects, type EffectPlan } from '../effects.ts';
import { prepared } from './statements.ts';
import { insertTimelineRows, type TimelineRowOf } from './insert-timeline.ts';
import { allocateInTransaction } from './allocate-task.ts';
import { insertCaseEvents } from './case-runs.ts';
import { insertWebhookEventsTx } from './webhooks.ts';

// SQLite rewrites the entries of every index that has a column in the SET list, changed or not (an
// action has ten), so a write names only the columns that differ from the record it was computed
// from; without that record, all of them. One statement per column set, cached by its text.
const updateOf = (columns: readonly string[]): string =>
  `UPDATE actions SET ${columns.map((c) => `${c} = ?`).join(', ')}, lease_owner = NULL WHERE id = ? AND version = ?`;
const GET_CASE_DATA = 'SELECT data FROM cases WHERE id = ?';
const SET_CASE_DATA = 'UPDATE cases SET data = ?, updated_at = ? WHERE id = ?';
const NOTIFY_OWNER = `
INSERT INTO notifications (user_name, kind, message, action_id, case_id, at)
SELECT owner, 'action.escalated', ?, ?, id, ? FROM cases WHERE id = ? AND owner <> ''`;

const bool = (b: boolean): number => (b ? 1 : 0);

/**
 * The columns a write changes, from the record it was computed from; null when it names none (or one
 * at another version), or when the version does not change (nothing to guard with): then all of them.
 */
export function changedColumns(w: ActionWrite): ActionColumn[] | null {
  if (!w.previous || w.previous.version !== w.expectedVersion) return null;
  const columns = changedMutableColumns(w.previous, w.action);
  return columns.includes('version') ? columns : null;
}

/** A write as it crosses to the SQLite thread: the changed columns computed already, the record it came from left behind. */
export type ThinActionWrite = Omit<ActionWrite, 'previous'> & { columns?: ActionColumn[] | null };

/** The SET columns and their values of one write. */
function changes(w: ThinActionWrite): { columns: readonly string[]; values: unknown[] } {
  const columns = (w.columns !== undefined ? w.columns : changedColumns(w)) ?? MUTABLE_ACTION_COLUMNS;
  return { columns, values: columnValues(w.action, bool, columns) };
}

export function writeActions(db: Database.Database, writes: ThinActionWrite[]): boolean[] {
  return db
    .transaction(() => {
      const timeline: TimelineRowOf[] = [];
      const applied = writes.map((w) => {
        const a = w.action;
        const { columns, values } = changes(w);
        if (prepared(db, updateOf(columns)).run(...values, a.id, w.expectedVersion).changes !== 1) return false;
        for (const e of w.timeline) timeline.push([a.id, e]);
        return true;
      });
      // The batch's entries in few statements, in order: each action's own before its effects' (allocations).
      insertTimelineRows(db, timeline);
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
