// Mapping between records and table rows, in one place for both stores. SQLite hands back JSON as
// text and booleans as 0/1; PostgreSQL hands back jsonb as text too (so a JSON string output survives)
// and bigint as strings: both land here.

import type { ActionRecord } from '../lifecycle/action.ts';
import type { ConnectorStatus } from '../connectors/circuit.ts';
import type {
  ApiKeyOrigin,
  ApiKeyRow,
  CaseHistoryRow,
  CaseRow,
  CaseWrite,
  ConfigKind,
  ConfigRow,
  NotificationRow,
  SavedViewRow,
  TimelineRow,
} from './types.ts';
import type { UserNotice } from './effects.ts';

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
  'work_due_at',
  'overdue_noticed',
] as const;

/** Columns a guarded write may change (everything but identity and creation). */
export const MUTABLE_ACTION_COLUMNS: readonly (typeof ACTION_COLUMNS)[number][] = ACTION_COLUMNS.filter(
  (c) => !['id', 'action_type_id', 'created_at', 'input'].includes(c),
);

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : (v ?? null));

/** An action from its row as the driver returns it: an object keyed by column. */
export function actionFromRow(r: Record<string, unknown>): ActionRecord {
  return actionFromValues(ACTION_COLUMNS.map((c) => r[c]));
}

/**
 * An action from its row's values in ACTION_COLUMNS order (more columns after them are ignored).
 * The hot reads (claims) ask their driver for arrays: better-sqlite3 builds a 27-key row object for
 * ≈7 µs more than the array of the same row, as much as the claim's own SQL.
 */
export function actionFromValues(v: readonly unknown[]): ActionRecord {
  return {
    id: v[0] as string,
    actionTypeId: (v[1] as string) || null,
    caseId: (v[2] as string | null) ?? null,
    state: v[3] as ActionRecord['state'],
    reason: (v[4] as ActionRecord['reason']) ?? null,
    resolution: (v[5] as ActionRecord['resolution']) ?? null,
    phase: (v[6] as ActionRecord['phase']) ?? null,
    input: json(v[7]) as Record<string, unknown>,
    output: json(v[8]),
    attempts: Number(v[9]),
    lastError: (v[10] as string | null) ?? null,
    lastErrorAt: num(v[11]),
    nextRetryAt: num(v[12]),
    paused: Boolean(v[13]),
    rejectedReason: (v[14] as string | null) ?? null,
    externalReference: (v[15] as string | null) ?? null,
    callbackOutcome: (v[16] as ActionRecord['callbackOutcome']) ?? null,
    escalated: Boolean(v[17]),
    queue: (v[18] as string | null) ?? null,
    assignee: (v[19] as string | null) ?? null,
    dueAt: num(v[20]),
    timeoutAt: num(v[21]),
    heartbeatAt: num(v[22]),
    createdAt: Number(v[23]),
    updatedAt: Number(v[24]),
    closedAt: num(v[25]),
    version: Number(v[26]),
    workDueAt: num(v[27]),
    overdueNoticed: Boolean(v[28]),
  };
}

type Bool = (b: boolean) => unknown;
export type ActionColumn = (typeof ACTION_COLUMNS)[number];

/** Each column's value of an action; `bool` says how the store spells booleans. */
const VALUE_OF: { readonly [C in ActionColumn]: (a: ActionRecord, bool: Bool) => unknown } = {
  id: (a) => a.id,
  // '' for none: the column is NOT NULL, and rebuilding SQLite's actions table to relax it would
  // fight every other migration that adds a column to it.
  action_type_id: (a) => a.actionTypeId ?? '',
  case_id: (a) => a.caseId,
  state: (a) => a.state,
  reason: (a) => a.reason,
  resolution: (a) => a.resolution,
  phase: (a) => a.phase,
  input: (a) => JSON.stringify(a.input),
  output: (a) => (a.output === null || a.output === undefined ? null : JSON.stringify(a.output)),
  attempts: (a) => a.attempts,
  last_error: (a) => a.lastError,
  last_error_at: (a) => a.lastErrorAt,
  next_retry_at: (a) => a.nextRetryAt,
  paused: (a, bool) => bool(a.paused),
  rejected_reason: (a) => a.rejectedReason,
  external_reference: (a) => a.externalReference,
  callback_outcome: (a) => a.callbackOutcome,
  escalated: (a, bool) => bool(a.escalated),
  queue: (a) => a.queue,
  assignee: (a) => a.assignee,
  due_at: (a) => a.dueAt,
  timeout_at: (a) => a.timeoutAt,
  heartbeat_at: (a) => a.heartbeatAt,
  created_at: (a) => a.createdAt,
  updated_at: (a) => a.updatedAt,
  closed_at: (a) => a.closedAt,
  version: (a) => a.version,
  work_due_at: (a) => a.workDueAt,
  overdue_noticed: (a, bool) => bool(a.overdueNoticed),
};

/** Values of the given columns of one action, in their order (only those: the input's JSON is built only when asked for). */
export function columnValues(a: ActionRecord, bool: Bool, columns: readonly ActionColumn[]): unknown[] {
  const out = new Array<unknown>(columns.length);
  for (let i = 0; i < columns.length; i++) out[i] = VALUE_OF[columns[i]!](a, bool);
  return out;
}

/** Values of one action in ACTION_COLUMNS order. */
export function actionValues(a: ActionRecord, bool: Bool): unknown[] {
  return columnValues(a, bool, ACTION_COLUMNS);
}

/** The mutable columns whose values differ between two records of one action (the output compared as JSON). */
export function changedMutableColumns(prev: ActionRecord, next: ActionRecord): ActionColumn[] {
  const out: ActionColumn[] = [];
  for (const c of MUTABLE_ACTION_COLUMNS) {
    // The output kept from the record before (the same value) is unchanged without serialising it twice.
    if (c === 'output' && prev.output === next.output) continue;
    const get = VALUE_OF[c];
    if (get(prev, Boolean) !== get(next, Boolean)) out.push(c);
  }
  return out;
}

// The other tables. Each mapper reads a row as either driver returns it (JSON as text, numbers maybe
// as strings), so both stores share it.

/** Named, not `*`: a column added later must not change what prepared statements return. */
export const API_KEY_COLUMNS = 'id, name, key_hash, roles, created_at, origin, revoked_at, last_used_at, user_name';

/** Optional columns are left out when empty, so a key made through the API reads back exactly as it was inserted. */
export function apiKeyFromRow(r: Record<string, unknown>): ApiKeyRow {
  return {
    id: r.id as string,
    name: r.name as string,
    keyHash: r.key_hash as string,
    roles: JSON.parse(r.roles as string) as string[],
    createdAt: Number(r.created_at),
    ...(r.origin != null ? { origin: r.origin as ApiKeyOrigin } : {}),
    ...(r.revoked_at != null ? { revokedAt: Number(r.revoked_at) } : {}),
    ...(r.last_used_at != null ? { lastUsedAt: Number(r.last_used_at) } : {}),
    ...(r.user_name != null ? { user: r.user_name as string } : {}),
  };
}

export function configFromRow(r: Record<string, unknown>): ConfigRow {
  return {
    id: r.id as string,
    name: r.name as string,
    doc: json(r.doc) as Record<string, unknown>,
    revision: Number(r.revision),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** The table of each kind of configuration document. */
export const CONFIG_TABLE: Record<ConfigKind, string> = { connector: 'connectors', action_type: 'action_types', process: 'processes' };

export function timelineFromRow(r: Record<string, unknown>): TimelineRow {
  return {
    seq: Number(r.seq),
    actionId: r.action_id as string,
    at: Number(r.at),
    actor: r.actor as TimelineRow['actor'],
    kind: r.kind as TimelineRow['kind'],
    message: r.message as string,
    ...(r.data ? { data: json(r.data) as Record<string, unknown> } : {}),
  };
}

export function caseFromRow(r: Record<string, unknown>): CaseRow {
  return {
    id: r.id as string,
    data: json(r.data) as Record<string, unknown>,
    owner: (r.owner as string | null) ?? null,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    ...(r.queue != null ? { queue: r.queue as string } : {}),
    // The process columns only when set, so a plain case reads back exactly as it was inserted.
    ...(r.process != null ? { process: r.process as string } : {}),
    ...(r.definition != null ? { definition: json(r.definition) as CaseRow['definition'] } : {}),
    ...(r.title != null ? { title: r.title as string } : {}),
    ...(r.status === 'closed' ? { status: 'closed' as const } : {}),
    ...(r.escalated ? { escalated: true } : {}),
    ...(r.steps != null ? { steps: json(r.steps) as CaseRow['steps'] } : {}),
    ...(r.version != null && Number(r.version) !== 1 ? { version: Number(r.version) } : {}),
    ...(r.closed_at != null ? { closedAt: Number(r.closed_at) } : {}),
    ...(r.stopped_at != null ? { stoppedAt: Number(r.stopped_at) } : {}),
  };
}

export function caseHistoryFromRow(r: Record<string, unknown>): CaseHistoryRow {
  return {
    seq: Number(r.seq),
    caseId: r.case_id as string,
    at: Number(r.at),
    kind: r.kind as CaseHistoryRow['kind'],
    step: (r.step as string | null) ?? null,
    actor: r.actor as CaseHistoryRow['actor'],
    detail: json(r.detail) as Record<string, unknown>,
  };
}

/** Values of a new case's columns in CASE_COLUMNS order; `bool` says how the store spells booleans. */
export const CASE_COLUMNS = [
  'id',
  'data',
  'owner',
  'created_at',
  'updated_at',
  'process',
  'definition',
  'title',
  'status',
  'escalated',
  'steps',
  'version',
  'closed_at',
  'queue',
  'stopped_at',
] as const;

export function caseValues(c: CaseRow, bool: (b: boolean) => unknown): unknown[] {
  return [
    c.id,
    JSON.stringify(c.data),
    c.owner,
    c.createdAt,
    c.updatedAt,
    c.process ?? null,
    c.definition ? JSON.stringify(c.definition) : null,
    c.title ?? null,
    c.status ?? 'open',
    bool(c.escalated ?? false),
    c.steps ? JSON.stringify(c.steps) : null,
    c.version ?? 1,
    c.closedAt ?? null,
    c.queue ?? null,
    c.stoppedAt ?? null,
  ];
}

/** The `?`-free parts of a case write: which columns it sets, in order, with their values. */
export function caseWriteSets(w: CaseWrite, bool: (b: boolean) => unknown): Array<[string, unknown]> {
  const sets: Array<[string, unknown]> = [['updated_at', w.at]];
  if (w.title !== undefined) sets.push(['title', w.title]);
  if (w.owner !== undefined) sets.push(['owner', w.owner]);
  if (w.queue !== undefined) sets.push(['queue', w.queue]);
  if (w.status !== undefined) sets.push(['status', w.status]);
  if (w.escalated !== undefined) sets.push(['escalated', bool(w.escalated)]);
  if (w.steps !== undefined) sets.push(['steps', JSON.stringify(w.steps)]);
  if (w.closedAt !== undefined) sets.push(['closed_at', w.closedAt]);
  if (w.stoppedAt !== undefined) sets.push(['stopped_at', w.stoppedAt]);
  return sets;
}

/** A case write's notices as notifications of the case, about no one action. */
export const caseNotices = (w: CaseWrite): UserNotice[] =>
  (w.notices ?? []).map((n) => ({ user: n.user, kind: n.kind, message: n.message, actionId: null, caseId: w.id, at: n.at }));

/**
 * LIKE pattern matching `text` anywhere, with its own % and _ taken literally (escape character \).
 * A NUL is U+FFFD, as PostgreSQL's parameters make it (storable-text.ts): SQLite's LIKE reads a
 * pattern only up to a NUL, so "%\0%" was "%" and matched every row.
 */
export const containsPattern = (text: string): string => `%${text.replace(/\0/g, '\uFFFD').replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function notificationFromRow(r: Record<string, unknown>): NotificationRow {
  return {
    id: Number(r.id),
    user: r.user_name as string,
    kind: r.kind as string,
    message: r.message as string,
    actionId: (r.action_id as string | null) ?? null,
    caseId: (r.case_id as string | null) ?? null,
    at: Number(r.at),
    ...(r.read_at != null ? { readAt: Number(r.read_at) } : {}),
  };
}

/** A connector's status is one JSON document per connector. */
export const connectorStatusFromRow = (r: { doc: unknown }): ConnectorStatus => json(r.doc) as ConnectorStatus;

/** A saved view as either store gives it back (SQLite's 0/1 and PostgreSQL's booleans and bigints alike). */
export function savedViewFromRow(r: Record<string, unknown>): SavedViewRow {
  return {
    id: r.id as string,
    owner: r.owner as string,
    screen: r.screen as SavedViewRow['screen'],
    name: r.name as string,
    nameKey: r.name_key as string,
    query: r.query as string,
    shared: r.shared === true || r.shared === 1,
    revision: Number(r.revision),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
