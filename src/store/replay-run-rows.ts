// Rows of bulk_replay_runs and bulk_replay_items (028_bulk_replay_runs.sql) and bulk_replay_selections
// (030) as both stores read them.

import type { ReplayRunItem, ReplayRunRow, ReplaySelectionRow } from './bulk-schedule-types.ts';

/** Items of an old run deleted per statement: a 10,000-action run goes in ten short statements, not one long one. */
export const ITEMS_PER_DELETE = 1000;

export const runFromRow = (r: Record<string, unknown>): ReplayRunRow => ({
  id: r.id as string,
  createdBy: r.created_by as string,
  operation: r.operation as ReplayRunRow['operation'],
  request: r.request as string,
  status: r.status as ReplayRunRow['status'],
  count: Number(r.count),
  done: Number(r.done),
  skipped: Number(r.skipped),
  remaining: Number(r.remaining),
  error: (r.error as string | null) ?? null,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
  finishedAt: r.finished_at === null || r.finished_at === undefined ? null : Number(r.finished_at),
});

export const itemFromRow = (r: Record<string, unknown>): ReplayRunItem => ({
  seq: Number(r.seq),
  actionId: r.action_id as string,
  status: r.status as ReplayRunItem['status'],
  reason: (r.reason as string | null) ?? null,
});

export const selectionFromRow = (r: Record<string, unknown>): ReplaySelectionRow => ({
  id: r.id as string,
  createdBy: r.created_by as string,
  request: r.request as string,
  actionIds: JSON.parse(r.action_ids as string) as string[],
  matched: Number(r.matched),
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
  usedAt: r.used_at === null || r.used_at === undefined ? null : Number(r.used_at),
});
