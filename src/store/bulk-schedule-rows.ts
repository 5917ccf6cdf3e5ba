// Database rows of bulk launches and schedules to their records, for both stores (PostgreSQL's jsonb
// arrives as text, as SQLite's JSON does, and its BIGINTs as strings).

import type { BulkLaunchRow, BulkRowRecord, ScheduleRow, ScheduleTick } from './bulk-schedule-types.ts';

type Row = Record<string, unknown>;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const json = <T>(v: unknown): T => JSON.parse(v as string) as T;

export function bulkFromRow(r: Row): BulkLaunchRow {
  return {
    id: r.id as string,
    idempotencyKey: (r.idempotency_key as string | null) ?? null,
    requestHash: (r.request_hash as string | null) ?? null,
    targetKind: r.target_kind as BulkLaunchRow['targetKind'],
    target: r.target as string,
    titleColumn: (r.title_column as string | null) ?? null,
    ownerColumn: (r.owner_column as string | null) ?? null,
    actor: r.actor as BulkLaunchRow['actor'],
    status: r.status as BulkLaunchRow['status'],
    error: (r.error as string | null) ?? null,
    total: Number(r.total),
    launched: Number(r.launched),
    refused: Number(r.refused),
    leaseOwner: (r.lease_owner as string | null) ?? null,
    leaseUntil: num(r.lease_until),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    finishedAt: num(r.finished_at),
  };
}

export const BULK_COLUMNS = [
  'id',
  'idempotency_key',
  'request_hash',
  'target_kind',
  'target',
  'title_column',
  'owner_column',
  'actor',
  'status',
  'error',
  'total',
  'launched',
  'refused',
  'lease_owner',
  'lease_until',
  'created_at',
  'updated_at',
  'finished_at',
] as const;

export function bulkValues(b: BulkLaunchRow): unknown[] {
  return [
    b.id,
    b.idempotencyKey,
    b.requestHash,
    b.targetKind,
    b.target,
    b.titleColumn,
    b.ownerColumn,
    b.actor,
    b.status,
    b.error,
    b.total,
    b.launched,
    b.refused,
    b.leaseOwner,
    b.leaseUntil,
    b.createdAt,
    b.updatedAt,
    b.finishedAt,
  ];
}

export function bulkRowFromRow(r: Row): BulkRowRecord {
  const row = Number(r.row_no);
  if (r.status === 'launched') return { row, status: 'launched', actionId: r.action_id as string };
  if (r.status === 'refused') return { row, status: 'refused', errors: json(r.errors) };
  return { row, status: 'pending', input: json(r.input) };
}

/** [input, actionId, errors] of a row, JSON as text. */
export function bulkRowValues(r: BulkRowRecord): [string | null, string | null, string | null] {
  if (r.status === 'pending') return [JSON.stringify(r.input), null, null];
  if (r.status === 'launched') return [null, r.actionId, null];
  return [null, null, JSON.stringify(r.errors)];
}

export function scheduleFromRow(r: Row): ScheduleRow {
  return {
    id: r.id as string,
    name: r.name as string,
    cron: r.cron as string,
    timezone: r.timezone as string,
    launch: json(r.launch),
    paused: r.paused === true || r.paused === 1,
    nextRunAt: num(r.next_run_at),
    lastTickAt: num(r.last_tick_at),
    createdBy: r.created_by as string,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    version: Number(r.version),
  };
}

export function tickFromRow(r: Row): ScheduleTick {
  return {
    scheduleId: r.schedule_id as string,
    tickAt: Number(r.tick_at),
    claimedBy: r.claimed_by as string,
    claimedAt: Number(r.claimed_at),
    launchedId: (r.launched_id as string | null) ?? null,
    error: (r.error as string | null) ?? null,
  };
}

/** The message a bulk launch gets when the node reading its body stopped: the body is gone. */
export const BODY_LOST = 'the server stopped while reading the rows; nothing was launched: send the rows again with a new Idempotency-Key';
