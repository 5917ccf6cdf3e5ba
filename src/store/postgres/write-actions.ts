// Guarded writes of transitions: the new state, its timeline entries and its effects (case data,
// notifications) commit together or not at all; a stale version writes nothing.
// A batch travels as one jsonb parameter per statement, so 256 writes cost a handful of round trips.

import type { Pool, PoolClient } from 'pg';
import type { ActionRecord, TimelineEntry } from '../../lifecycle/action.ts';
import type { ActionWrite } from '../types.ts';
import { ACTION_COLUMNS, MUTABLE_ACTION_COLUMNS, actionValues } from '../rows.ts';
import { inTransaction, unknownUnlessRefused } from './transaction.ts';
import { insertTimeline, writesTimelineJson } from './insert-timeline.ts';
import { WORK_CHANNEL } from './listen.ts';
import {
  MAX_CASE_DATA_BYTES,
  inQueueOrder,
  isEmptyPlan,
  mergeRefusedEntry,
  planEffects,
  type CaseDataMerge,
  type EffectPlan,
} from '../effects.ts';
import { allocateInTransaction, moveToCaseQueues } from './allocate-task.ts';
import { insertCaseEvents } from './case-events.ts';
import { insertWebhookEventsTx } from './webhooks.ts';
import { boundNotifications, insertUserNotices } from './list-notifications.ts';

type ActionColumn = (typeof ACTION_COLUMNS)[number];

// input and output arrive as JSON text (rows.ts writes them so for both stores), hence text here and ::jsonb below.
const COLUMN_TYPES: Record<ActionColumn, string> = {
  id: 'text',
  action_type_id: 'text',
  case_id: 'text',
  state: 'text',
  reason: 'text',
  resolution: 'text',
  phase: 'text',
  input: 'text',
  output: 'text',
  attempts: 'integer',
  last_error: 'text',
  last_error_at: 'bigint',
  next_retry_at: 'bigint',
  paused: 'boolean',
  rejected_reason: 'text',
  external_reference: 'text',
  callback_outcome: 'text',
  escalated: 'boolean',
  queue: 'text',
  assignee: 'text',
  due_at: 'bigint',
  timeout_at: 'bigint',
  heartbeat_at: 'bigint',
  created_at: 'bigint',
  updated_at: 'bigint',
  closed_at: 'bigint',
  version: 'integer',
  work_due_at: 'bigint',
  overdue_noticed: 'boolean',
};

/** The column definition list of `jsonb_to_recordset(...) AS r(...)` for action rows. */
export const ACTION_RECORDSET = ACTION_COLUMNS.map((c) => `${c} ${COLUMN_TYPES[c]}`).join(', ');

/** A recordset column as a value for the actions table. */
export const fromRecordset = (alias: string, c: ActionColumn): string =>
  c === 'input' || c === 'output' ? `${alias}.${c}::jsonb` : `${alias}.${c}`;

const ALL_COLUMNS: ReadonlySet<ActionColumn> = new Set(ACTION_COLUMNS);

/** One action as a recordset element, keyed by column: the columns asked for, nulls left out (an absent key reads as NULL). */
export function actionJson(a: ActionRecord, columns = ALL_COLUMNS): Record<string, unknown> {
  const values = actionValues(a, (b) => b);
  const row: Record<string, unknown> = {};
  ACTION_COLUMNS.forEach((c, i) => {
    const v = values[i];
    if (v !== null && v !== undefined && columns.has(c)) row[c] = v;
  });
  return row;
}

/** Actions due within this of their write wake the engines (NOTIFY) rather than wait for their poll. */
const WAKE_WITHIN_MS = 1000;

// Every join to actions or cases also names its ids as an array (`= ANY`): a plan cached while the
// table was small would otherwise stay a hash join over a sequential scan as the table grows (seen in
// bench B: 7 ms claims and writes at 20k rows), whereas `id = ANY` is always a primary-key lookup.
const update = (ids: string): string => `
UPDATE actions a
   SET ${MUTABLE_ACTION_COLUMNS.map((c) => `${c} = ${fromRecordset('w', c)}`).join(', ')}, lease_owner = NULL
  FROM jsonb_to_recordset($1::jsonb) AS w(${ACTION_RECORDSET}, expected_version integer)
 WHERE a.id = ANY(${ids}::text[]) AND a.id = w.id AND a.version = w.expected_version
RETURNING a.id, a.due_at, (a.due_at IS NOT NULL AND a.due_at <= a.updated_at + ${WAKE_WITHIN_MS}) AS due_soon`;
export const UPDATE = update('$2');

/** A column a guarded write sets (MUTABLE_ACTION_COLUMNS), or its key. */
type WrittenColumn = Exclude<ActionColumn, 'action_type_id' | 'created_at' | 'input'>;
/** Left out of the JSON (an absent key reads as NULL): JSON.stringify skips undefined. */
const u = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/**
 * One guarded write as a recordset element: every column a write may change (the type makes a new
 * column a compile error here), nulls left out, and the version it expects. Built directly rather than
 * through actionValues, which also serialises the input a write never changes (the batch's JSON was
 * ≈ 7 % of the engine's time in bench A on PostgreSQL).
 */
function writeRow(a: ActionRecord, expectedVersion: number): Record<WrittenColumn, unknown> & { expected_version: number } {
  return {
    id: a.id,
    case_id: u(a.caseId),
    state: a.state,
    reason: u(a.reason),
    resolution: u(a.resolution),
    phase: u(a.phase),
    output: a.output === null || a.output === undefined ? undefined : JSON.stringify(a.output),
    attempts: a.attempts,
    last_error: u(a.lastError),
    last_error_at: u(a.lastErrorAt),
    next_retry_at: u(a.nextRetryAt),
    paused: a.paused,
    rejected_reason: u(a.rejectedReason),
    external_reference: u(a.externalReference),
    callback_outcome: u(a.callbackOutcome),
    escalated: a.escalated,
    queue: u(a.queue),
    assignee: u(a.assignee),
    due_at: u(a.dueAt),
    timeout_at: u(a.timeoutAt),
    heartbeat_at: u(a.heartbeatAt),
    updated_at: a.updatedAt,
    closed_at: u(a.closedAt),
    version: a.version,
    work_due_at: u(a.workDueAt),
    overdue_noticed: a.overdueNoticed,
    expected_version: expectedVersion,
  };
}

/** Guarded writes as one recordset: the columns a write may change, and the version it expects. */
export const writesJson = (writes: ActionWrite[]): string => JSON.stringify(writes.map((w) => writeRow(w.action, w.expectedVersion)));

const TIMELINE_RECORDSET =
  'jsonb_to_recordset($2::jsonb) AS t(ord integer, action_id text, at bigint, actor text, kind text, message text, data jsonb)';

// The common batch (each action once, no effects) in one statement: one round trip and one commit
// instead of BEGIN, UPDATE, INSERT, COMMIT. The timeline rows of writes whose guard failed are
// dropped, and the engines are woken (as wakeIfDue does) only for applied writes due soon.
export const WRITE_ONE_STATEMENT = `
WITH upd AS (${update('$4')}),
tl AS (
  INSERT INTO timeline (action_id, at, actor, kind, message, data)
  SELECT t.action_id, t.at, t.actor, t.kind, t.message, t.data
    FROM ${TIMELINE_RECORDSET}
   WHERE t.action_id IN (SELECT id FROM upd)
   ORDER BY t.ord
)
SELECT id FROM upd
UNION ALL
SELECT NULL FROM (SELECT pg_notify($3, current_schema() || '@' || min(due_at)) FROM upd WHERE due_soon HAVING count(*) > 0) n`;

// The cases a round merges into, locked, with the merged data's text when its jsonb text is over $3
// bytes. jsonb::text writes ": " and ", " (and numbers in full), so it is never shorter than compact
// JSON; only a text over the limit is measured again as compact JSON, as SQLite and the API measure.
const MEASURE_CASE_MERGES = `
SELECT c.id,
       c.status <> 'closed' OR EXISTS (
         SELECT 1 FROM jsonb_array_elements(coalesce(c.steps, '[]'::jsonb)) s
          WHERE s->>'actionId' = m.action_id AND s->>'outcome' = 'QUEUE_ACTION_SUCCESSFUL') AS open,
       CASE WHEN octet_length((c.data || m.data)::text) > $3 THEN (c.data || m.data)::text END AS text
  FROM cases c JOIN jsonb_to_recordset($1::jsonb) AS m(id text, data jsonb, action_id text) ON c.id = m.id
 WHERE c.id = ANY($2::text[])
 ORDER BY c.id
   FOR UPDATE OF c`;

// Shallow merge, as SQLite's {...data, ...patch}; each case at most once per statement (roundsByCase).
// The version moves, so a change computed from the data read before (a PATCH, a map step) is made again.
const MERGE_CASE_DATA = `
UPDATE cases c SET data = c.data || m.data, updated_at = m.at, version = c.version + 1
  FROM jsonb_to_recordset($1::jsonb) AS m(id text, data jsonb, at bigint)
 WHERE c.id = ANY($2::text[]) AND c.id = m.id`;

const NOTIFY_OWNER = `
INSERT INTO notifications (user_name, kind, message, action_id, case_id, at)
SELECT c.owner, 'action.escalated', n.message, n.action_id, n.case_id, n.at
  FROM jsonb_to_recordset($1::jsonb) AS n(ord integer, action_id text, case_id text, message text, at bigint)
  JOIN cases c ON c.id = n.case_id
 WHERE c.id = ANY($2::text[]) AND c.owner <> ''
 ORDER BY n.ord
RETURNING user_name`;

// The version moves, so a case worker's write computed from the case before is refused and made again (see SQLite's).
const MARK_CASE_ESCALATED = 'UPDATE cases SET escalated = true, version = version + 1 WHERE id = ANY($1::text[]) AND NOT escalated';
// An action escalated no more (retried, completed) leaves its case escalated only while another is.
// The cases are locked first, so the check below is made on a snapshot taken after any write that
// escalated another of their actions has committed (a check inside the UPDATE would keep its older one).
const SET_INPUT = 'UPDATE actions SET input = $1::jsonb WHERE id = $2';
const LOCK_CASES = 'SELECT id FROM cases WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE';
// Of these (case, action) pairs, the actions whose step of their case was skipped by an operator: their
// retries are not written. Read once the cases are locked (LOCK_CASES), so after any skip that locked
// one first (updateCase) has committed, and before a skip waiting for the lock can look (case-runs.ts).
const STEPS_SKIPPED = `
SELECT g.action_id FROM jsonb_to_recordset($1::jsonb) AS g(case_id text, action_id text)
  JOIN cases c ON c.id = g.case_id
 WHERE c.id = ANY($2::text[])
   AND EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(c.steps, '[]'::jsonb)) s
                WHERE s->>'actionId' = g.action_id AND s->>'status' = 'skipped')`;
const CLEAR_CASE_ESCALATED = `UPDATE cases c SET escalated = false, version = c.version + 1
WHERE c.id = ANY($1::text[]) AND c.escalated AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.case_id = c.id AND a.escalated)`;

/** The earliest due time among actions due within WAKE_WITHIN_MS of their write, or Infinity. */
const earliestDueSoon = (actions: ActionRecord[]): number =>
  Math.min(...actions.map((a) => (a.dueAt !== null && a.dueAt <= a.updatedAt + WAKE_WITHIN_MS ? a.dueAt : Infinity)));

/**
 * Wakes the engines (on commit) when an action is due now or within the second, rather than at their
 * next poll: one NOTIFY per commit, carrying the earliest due time, so a listener sets its alarm
 * without asking the store (see listen.ts for the payload).
 */
export async function wakeIfDue(client: PoolClient, actions: ActionRecord[]): Promise<void> {
  const at = earliestDueSoon(actions);
  if (at === Infinity) return;
  await client.query({
    name: 'callout_wake_at',
    text: `SELECT pg_notify($1, current_schema() || '@' || $2::bigint)`,
    values: [WORK_CHANNEL, at],
  });
}

/** `keepNotifications`: the bound on each notified user's notifications (notification-bound.ts). */
export async function writeActions(pool: Pool, writes: ActionWrite[], keepNotifications: number): Promise<boolean[]> {
  if (writes.length === 0) return [];
  const batches = waves(writes);
  // Effects are planned for every write, applied or not: only whether there are any chooses the path.
  const guarded = writes.filter((w) => w.unlessStepSkipped && w.action.caseId !== null);
  if (batches.length === 1 && guarded.length === 0 && isEmptyPlan(planEffects(writes))) {
    const values = [writesJson(writes), writesTimelineJson(writes), WORK_CHANNEL, writes.map((w) => w.action.id)];
    // One statement, its own transaction: a connection lost on the way leaves it unknown.
    const r = await pool
      .query<{ id: string | null }>({ name: 'callout_write_one_statement', text: WRITE_ONE_STATEMENT, values })
      .catch((e: unknown) => {
        throw unknownUnlessRefused(e);
      });
    const ok = new Set(r.rows.map((row) => row.id));
    return writes.map((w) => ok.has(w.action.id));
  }
  return inTransaction(pool, async (client) => {
    const applied = writes.map(() => false);
    const skipped = guarded.length > 0 ? await stepsSkipped(client, guarded, planEffects(writes)) : new Set<string>();
    for (const wave of batches) {
      const these = wave.map((i) => writes[i]!).filter((w) => !(w.unlessStepSkipped && skipped.has(w.action.id)));
      if (these.length === 0) continue;
      const r = await client.query<{ id: string }>({
        name: 'callout_write_actions',
        text: UPDATE,
        values: [writesJson(these), these.map((w) => w.action.id)],
      });
      const ok = new Set(r.rows.map((row) => row.id));
      for (const i of wave) applied[i] = ok.has(writes[i]!.action.id);
    }
    const done = writes.filter((_, i) => applied[i]);
    await insertTimeline(
      client,
      done.flatMap((w) => w.timeline.map((e) => ({ ...e, actionId: w.action.id }))),
    );
    await applyEffects(client, planEffects(done), keepNotifications);
    await wakeIfDue(
      client,
      done.map((w) => w.action),
    );
    return applied;
  });
}

/**
 * The actions of `writes` (retries of cases' actions) whose step was skipped, with their cases locked
 * first until the transaction ends. With them, in one statement in id order, every case the batch's
 * effects may lock later (`plan`, as if every write applied): locked here out of id order after these,
 * they could deadlock with another batch taking them in order.
 */
async function stepsSkipped(client: PoolClient, writes: ActionWrite[], plan: EffectPlan): Promise<Set<string>> {
  const cases = [...new Set(writes.map((w) => w.action.caseId!))].sort();
  const locked = new Set([...cases, ...plan.merges.map((m) => m.caseId), ...plan.notices.map((n) => n.caseId), ...plan.escalationsCleared]);
  await client.query({ name: 'callout_lock_cases', text: LOCK_CASES, values: [[...locked].sort()] });
  const pairs = JSON.stringify(writes.map((w) => ({ case_id: w.action.caseId, action_id: w.action.id })));
  const r = await client.query<{ action_id: string }>({ name: 'callout_steps_skipped', text: STEPS_SKIPPED, values: [pairs, cases] });
  return new Set(r.rows.map((row) => row.action_id));
}

/** The size of JSON text written compactly, as SQLite keeps case data and the API measures it. */
const compactBytes = (text: string): number => Buffer.byteLength(JSON.stringify(JSON.parse(text)));

/** The merges in rounds where each case is at most once, in write order. */
function roundsByCase(merges: CaseDataMerge[]): CaseDataMerge[][] {
  const seen = new Map<string, number>();
  const out: CaseDataMerge[][] = [];
  for (const m of merges) {
    const k = seen.get(m.caseId) ?? 0;
    seen.set(m.caseId, k + 1);
    (out[k] ??= []).push(m);
  }
  return out;
}

// One UPDATE ... FROM changes a row at most once, so a second write of the same action in the batch
// goes in a later statement, where it sees the first (as SQLite's one-by-one loop does).
function waves(writes: ActionWrite[]): number[][] {
  const seen = new Map<string, number>();
  const out: number[][] = [];
  writes.forEach((w, i) => {
    const k = seen.get(w.action.id) ?? 0;
    seen.set(w.action.id, k + 1);
    (out[k] ??= []).push(i);
  });
  return out;
}

export async function applyEffects(client: PoolClient, plan: EffectPlan, keepNotifications: number): Promise<void> {
  // After the guarded update of the same action in this transaction: only an applied write gets here.
  // Rare (a person's correction), so one statement each, in write order.
  for (const c of plan.inputs)
    await client.query({ name: 'callout_set_input', text: SET_INPUT, values: [JSON.stringify(c.input), c.actionId] });
  await insertCaseEvents(client, plan.caseEvents);
  await insertWebhookEventsTx(client, plan.events);
  // One statement per round, each case at most once in a round: its outputs merge in write order, each
  // checked on its own (a batch rarely holds more than one output for a case: one round).
  const refused: Array<TimelineEntry & { actionId: string }> = [];
  for (const round of roundsByCase(plan.merges)) {
    const recordset = JSON.stringify(round.map((m) => ({ id: m.caseId, data: m.data, at: m.at, action_id: m.actionId })));
    const measured = await client.query<{ id: string; open: boolean; text: string | null }>({
      name: 'callout_measure_case_merges',
      text: MEASURE_CASE_MERGES,
      values: [recordset, round.map((m) => m.caseId), MAX_CASE_DATA_BYTES],
    });
    // A merge that would make the case data larger than the limit is not made, nor one into a closed
    // case but its own no-wait steps' (effects.ts mergesAfterClose, here in SQL) (cases that do not exist: none is).
    const closed = new Set(measured.rows.filter((r) => !r.open).map((r) => r.id));
    const tooBig = new Set(measured.rows.filter((r) => r.text !== null && compactBytes(r.text) > MAX_CASE_DATA_BYTES).map((r) => r.id));
    const fits = round.filter((m) => !tooBig.has(m.caseId) && !closed.has(m.caseId) && measured.rows.some((r) => r.id === m.caseId));
    for (const m of round)
      if (closed.has(m.caseId)) refused.push({ ...mergeRefusedEntry(m, m.at, 'closed'), actionId: m.actionId });
      else if (tooBig.has(m.caseId)) refused.push({ ...mergeRefusedEntry(m, m.at), actionId: m.actionId });
    if (fits.length === 0) continue;
    await client.query({
      name: 'callout_merge_case_data',
      text: MERGE_CASE_DATA,
      values: [JSON.stringify(fits.map((m) => ({ id: m.caseId, data: m.data, at: m.at }))), fits.map((m) => m.caseId)],
    });
  }
  await insertTimeline(client, refused);
  const notified: string[] = [];
  if (plan.notices.length > 0) {
    const caseIds = [...new Set(plan.notices.map((n) => n.caseId))];
    const owners = await client.query<{ user_name: string }>({
      name: 'callout_notify_owner',
      text: NOTIFY_OWNER,
      values: [
        JSON.stringify(plan.notices.map((n, ord) => ({ ord, action_id: n.actionId, case_id: n.caseId, message: n.message, at: n.at }))),
        caseIds,
      ],
    });
    for (const r of owners.rows) notified.push(r.user_name);
    // An escalated action marks its case, a plain one too (a process's run marks its own as well).
    await client.query({ name: 'callout_mark_case_escalated', text: MARK_CASE_ESCALATED, values: [caseIds] });
  }
  if (plan.escalationsCleared.length > 0) {
    await client.query({ name: 'callout_lock_cases', text: LOCK_CASES, values: [plan.escalationsCleared] });
    await client.query({ name: 'callout_clear_case_escalated', text: CLEAR_CASE_ESCALATED, values: [plan.escalationsCleared] });
  }
  await insertUserNotices(client, plan.userNotices);
  for (const n of plan.userNotices) notified.push(n.user);
  if (notified.length > 0) await boundNotifications(client, notified, keepNotifications);
  const moved = plan.caseQueues.length > 0 ? await moveToCaseQueues(client, plan.caseQueues) : [];
  for (const t of moved.length > 0 ? inQueueOrder([...plan.allocations, ...moved]) : plan.allocations)
    await allocateInTransaction(client, t);
}
