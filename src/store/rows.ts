// Mapping between action records and table rows, shared by both stores. SQLite hands back JSON as
// text and booleans as 0/1; PostgreSQL hands back jsonb as text too (so a JSON string output survives)
// and bigint as strings: both land here.

import type { ActionRecord } from '../lifecycle/action.ts';

/** Columns of the actions table, in the order the insert statements use. */
export const ACTION_COLUMNS = [
  'id',
  'action_type_id',
  'case_id',
  'state',
  'reason',
  'resolution',
  'phase',
  'input',
  'output',
  'attempts',
  'last_error',
  'last_error_at',
  'next_retry_at',
  'paused',
  'rejected_reason',
  'external_reference',
  'callback_outcome',
  'escalated',
  'queue',
  'assignee',
  'due_at',
  'timeout_at',
  'heartbeat_at',
  'created_at',
  'updated_at',
  'closed_at',
  'version',
] as const;

/** Columns a guarded write may change (everything but identity and creation). */
export const MUTABLE_ACTION_COLUMNS = ACTION_COLUMNS.filter((c) => !['id', 'action_type_id', 'created_at', 'input'].includes(c));

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : (v ?? null));

export function actionFromRow(r: Record<string, unknown>): ActionRecord {
  return {
    id: r.id as string,
    actionTypeId: r.action_type_id as string,
    caseId: (r.case_id as string | null) ?? null,
    state: r.state as ActionRecord['state'],
    reason: (r.reason as ActionRecord['reason']) ?? null,
    resolution: (r.resolution as ActionRecord['resolution']) ?? null,
    phase: (r.phase as ActionRecord['phase']) ?? null,
    input: json(r.input) as Record<string, unknown>,
    output: json(r.output),
    attempts: Number(r.attempts),
    lastError: (r.last_error as string | null) ?? null,
    lastErrorAt: num(r.last_error_at),
    nextRetryAt: num(r.next_retry_at),
    paused: Boolean(r.paused),
    rejectedReason: (r.rejected_reason as string | null) ?? null,
    externalReference: (r.external_reference as string | null) ?? null,
    callbackOutcome: (r.callback_outcome as ActionRecord['callbackOutcome']) ?? null,
    escalated: Boolean(r.escalated),
    queue: (r.queue as string | null) ?? null,
    assignee: (r.assignee as string | null) ?? null,
    dueAt: num(r.due_at),
    timeoutAt: num(r.timeout_at),
    heartbeatAt: num(r.heartbeat_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    closedAt: num(r.closed_at),
    version: Number(r.version),
  };
}

/** Values of one action in ACTION_COLUMNS order; `bool` says how the store spells booleans. */
export function actionValues(a: ActionRecord, bool: (b: boolean) => unknown): unknown[] {
  const byColumn: Record<(typeof ACTION_COLUMNS)[number], unknown> = {
    id: a.id,
    action_type_id: a.actionTypeId,
    case_id: a.caseId,
    state: a.state,
    reason: a.reason,
    resolution: a.resolution,
    phase: a.phase,
    input: JSON.stringify(a.input),
    output: a.output === null || a.output === undefined ? null : JSON.stringify(a.output),
    attempts: a.attempts,
    last_error: a.lastError,
    last_error_at: a.lastErrorAt,
    next_retry_at: a.nextRetryAt,
    paused: bool(a.paused),
    rejected_reason: a.rejectedReason,
    external_reference: a.externalReference,
    callback_outcome: a.callbackOutcome,
    escalated: bool(a.escalated),
    queue: a.queue,
    assignee: a.assignee,
    due_at: a.dueAt,
    timeout_at: a.timeoutAt,
    heartbeat_at: a.heartbeatAt,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
    closed_at: a.closedAt,
    version: a.version,
  };
  return ACTION_COLUMNS.map((c) => byColumn[c]);
}

export function mutableValues(a: ActionRecord, bool: (b: boolean) => unknown): unknown[] {
  const all = actionValues(a, bool);
  return MUTABLE_ACTION_COLUMNS.map((c) => all[ACTION_COLUMNS.indexOf(c)]);
}
