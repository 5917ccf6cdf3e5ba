// Guarded writes of transitions: the new state, its timeline entries and its effects (case data,
// notifications) commit together or not at all; a stale version writes nothing.

import type Database from 'better-sqlite3';
import type { ActionWrite } from '../types.ts';
import { MUTABLE_ACTION_COLUMNS, changedMutableColumns, columnValues, type ActionColumn } from '../rows.ts';
import { MAX_CASE_DATA_BYTES, inQueueOrder, mergeRefusedEntry, mergesAfterClose, planEffects, type EffectPlan } from '../effects.ts';
import type { StepRun } from '../../processes/runner.ts';
import { prepared } from './statements.ts';
import { insertTimelineValues, timelineValues } from './insert-timeline.ts';
import { allocateInTransaction, moveToCaseQueues } from './allocate-task.ts';
import { insertCaseEvents } from './case-runs.ts';
import { insertWebhookEventsTx } from './webhooks.ts';
import { boundNotifications, insertUserNotices } from './list-notifications.ts';

// SQLite rewrites the entries of every index that has a column in the SET list, changed or not (an
// action has ten), so a write names only the columns that differ from the record it was computed
// from; without that record, all of them. One statement per column set, cached by its mask.
const GET_CASE_DATA = 'SELECT data, status, steps FROM cases WHERE id = ?';
// The version moves too: a change to the case computed from the data read before (a PATCH checking the
// merged size, a map step) is then refused and made again from what is there now.
const SET_CASE_DATA = 'UPDATE cases SET data = ?, updated_at = ?, version = version + 1 WHERE id = ?';
const NOTIFY_OWNER = `
INSERT INTO notifications (user_name, kind, message, action_id, case_id, at)
SELECT owner, 'action.escalated', ?, ?, id, ? FROM cases WHERE id = ? AND owner <> '' RETURNING user_name`;
// An escalated action marks its case, a plain one too (a process's run marks its own as well). The
// version moves, so a case worker's write computed from the case before (escalated false) is refused
// and made again from what is there now, as SET_CASE_DATA's is.
const MARK_CASE_ESCALATED = 'UPDATE cases SET escalated = 1, version = version + 1 WHERE id = ? AND escalated = 0';
// An action escalated no more (retried, completed) leaves its case escalated only while another is.
const CLEAR_CASE_ESCALATED = `UPDATE cases SET escalated = 0, version = version + 1
WHERE id = ? AND escalated = 1 AND NOT EXISTS (SELECT 1 FROM actions WHERE case_id = ? AND escalated = 1)`;

const SET_INPUT = 'UPDATE actions SET input = ? WHERE id = ?';
// A step of the case that is this action's and was skipped by an operator (a retry of it is not written).
const STEP_SKIPPED = `SELECT 1 FROM cases c, json_each(c.steps) s
 WHERE c.id = ? AND json_extract(s.value, '$.actionId') = ? AND json_extract(s.value, '$.status') = 'skipped' LIMIT 1`;

const bool = (b: boolean): number => (b ? 1 : 0);

const BIT = new Map<ActionColumn, number>(MUTABLE_ACTION_COLUMNS.map((c, i) => [c, 1 << i]));
const updates = new Map<number, string>();
/** The guarded UPDATE of the columns in `mask` (bits in MUTABLE_ACTION_COLUMNS order, as the values are). */
function updateOf(mask: number): string {
  let sql = updates.get(mask);
  if (sql === undefined) {
    const columns = MUTABLE_ACTION_COLUMNS.filter((c) => (mask & BIT.get(c)!) !== 0);
    sql = `UPDATE actions SET ${columns.map((c) => `${c} = ?`).join(', ')}, lease_owner = NULL WHERE id = ? AND version = ?`;
    updates.set(mask, sql);
  }
  return sql;
}

/**
 * The columns a write changes, from the record it was computed from; null when it names none (or one
 * at another version), or when the version does not change (nothing to guard with): then all of them.
 */
export function changedColumns(w: ActionWrite): ActionColumn[] | null {
  if (!w.previous || w.previous.version !== w.expectedVersion) return null;
  const columns = changedMutableColumns(w.previous, w.action);
  return columns.includes('version') ? columns : null;
}

/**
 * A write reduced to what its statements bind, computed where the engine runs: the changed columns as
 * a mask, their values then the id and expected version, the timeline rows' values (data as JSON
 * text), and the write itself only when its effects have something to plan (a case, a queue, webhook
 * events). Arrays of strings and numbers: what crosses to the SQLite thread cheaply (thread.ts).
 */
export interface PreparedWrite {
  mask: number;
  values: unknown[];
  timeline: unknown[];
  plan?: ActionWrite;
  /** The action's case, when the write is not made if the action's step there is skipped (ActionWrite.unlessStepSkipped). */
  stepOf?: string;
}

export function prepareWrite(w: ActionWrite): PreparedWrite {
  const a = w.action;
  const columns = changedColumns(w) ?? MUTABLE_ACTION_COLUMNS;
  let mask = 0;
  for (const c of columns) mask |= BIT.get(c)!;
  const values = columnValues(a, bool, columns);
  values.push(a.id, w.expectedVersion);
  const timeline: unknown[] = [];
  for (const e of w.timeline) timelineValues(timeline, a.id, e);
  // planEffects finds nothing in a write without events whose action has neither case nor queue, but a
  // notice to a person or a corrected input.
  const plans =
    (w.events?.length ?? 0) > 0 ||
    (w.effects.length > 0 &&
      (a.caseId !== null || a.queue !== null || w.effects.some((e) => e.type === 'notify' || e.type === 'input_changed')));
  const stepOf = w.unlessStepSkipped && a.caseId !== null ? { stepOf: a.caseId } : {};
  if (!plans) return { mask, values, timeline, ...stepOf };
  const { previous: _previous, ...rest } = w;
  // The input is rewritten only from its effect (a person's correction), never from the record.
  return { mask, values, timeline, plan: { ...rest, action: { ...a, input: {} } }, ...stepOf };
}

/** The id of the action a prepared write changes (its values end with the id and the expected version). */
export function writtenId(w: PreparedWrite): string {
  return w.values[w.values.length - 2] as string;
}

/** `keepNotifications`: the bound on each notified user's notifications (notification-bound.ts). */
export function writeActions(db: Database.Database, writes: readonly PreparedWrite[], keepNotifications: number): boolean[] {
  return db
    .transaction(() => {
      const timeline: unknown[] = [];
      const planned: ActionWrite[] = [];
      const applied = writes.map((w) => {
        if (w.stepOf !== undefined && prepared(db, STEP_SKIPPED).get(w.stepOf, writtenId(w))) return false;
        if (prepared(db, updateOf(w.mask)).run(...w.values).changes !== 1) return false;
        for (const v of w.timeline) timeline.push(v);
        if (w.plan) planned.push(w.plan);
        return true;
      });
      // The batch's entries in few statements, in order: each action's own before its effects' (allocations).
      insertTimelineValues(db, timeline);
      applyEffects(db, planEffects(planned), keepNotifications);
      return applied;
    })
    .immediate();
}

function applyEffects(db: Database.Database, plan: EffectPlan, keepNotifications: number): void {
  // After the guarded update of the same action in this transaction: only an applied write gets here.
  for (const c of plan.inputs) prepared(db, SET_INPUT).run(JSON.stringify(c.input), c.actionId);
  // Each case read once, its outputs merged in write order, each checked on its own, written once.
  const cases = new Map<string, { data: object; text?: string; at: number; closedSteps?: StepRun[] | null } | null>();
  const refused: unknown[] = [];
  for (const m of plan.merges) {
    let c = cases.get(m.caseId);
    if (c === undefined) {
      const row = prepared(db, GET_CASE_DATA).get(m.caseId) as { data: string; status: string; steps: string | null } | undefined;
      c = !row
        ? null
        : {
            data: JSON.parse(row.data) as object,
            at: m.at,
            ...(row.status === 'closed' ? { closedSteps: row.steps === null ? null : (JSON.parse(row.steps) as StepRun[]) } : {}),
          };
      cases.set(m.caseId, c);
    }
    if (c === null) continue;
    if (c.closedSteps !== undefined && !mergesAfterClose(c.closedSteps, m.actionId)) {
      timelineValues(refused, m.actionId, mergeRefusedEntry(m, m.at, 'closed'));
      continue;
    }
    // Shallow, as PostgreSQL's jsonb || (SQLite's json_patch would merge nested objects and drop nulls).
    const data = { ...c.data, ...m.data };
    const text = JSON.stringify(data);
    if (Buffer.byteLength(text) <= MAX_CASE_DATA_BYTES) Object.assign(c, { data, text, at: m.at });
    else timelineValues(refused, m.actionId, mergeRefusedEntry(m, m.at));
  }
  for (const [id, c] of cases) if (c?.text !== undefined) prepared(db, SET_CASE_DATA).run(c.text, c.at, id);
  if (refused.length > 0) insertTimelineValues(db, refused);
  const notified: string[] = [];
  for (const n of plan.notices) {
    for (const r of prepared(db, NOTIFY_OWNER).all(n.message, n.actionId, n.at, n.caseId) as Array<{ user_name: string }>)
      notified.push(r.user_name);
    prepared(db, MARK_CASE_ESCALATED).run(n.caseId);
  }
  for (const id of plan.escalationsCleared) prepared(db, CLEAR_CASE_ESCALATED).run(id, id);
  insertUserNotices(db, plan.userNotices);
  for (const n of plan.userNotices) notified.push(n.user);
  if (notified.length > 0) boundNotifications(db, notified, keepNotifications);
  const moved = plan.caseQueues.length > 0 ? moveToCaseQueues(db, plan.caseQueues) : [];
  for (const t of moved.length > 0 ? inQueueOrder([...plan.allocations, ...moved]) : plan.allocations) allocateInTransaction(db, t);
  insertCaseEvents(db, plan.caseEvents);
  insertWebhookEventsTx(db, plan.events);
}
