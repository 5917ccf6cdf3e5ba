// Rows of bulk launches, schedules and bulk replays as the stores keep them (see 007_bulk_schedules.sql).

import type { FieldProblem } from '../errors.ts';
import type { State } from '../lifecycle/states.ts';

export type BulkStatus = 'parsing' | 'running' | 'done' | 'failed';

export interface BulkLaunchRow {
  id: string;
  /** The request's Idempotency-Key: a repeat gets this bulk launch's report. */
  idempotencyKey: string | null;
  requestHash: string | null;
  targetKind: 'actionType' | 'process';
  /** The action type's id, or the process's id (its reference as the request gave it when it named none). */
  target: string;
  /** A process's bulk launch: the columns whose cells become each case's title and owner (not its data); null: none. */
  titleColumn: string | null;
  ownerColumn: string | null;
  actor: `user:${string}` | 'system';
  /** `parsing` while rows are read and checked, `running` while they launch. */
  status: BulkStatus;
  error: string | null;
  total: number;
  launched: number;
  refused: number;
  /** The node running it, until `leaseUntil`; another node resumes it after that. */
  leaseOwner: string | null;
  leaseUntil: number | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

/** One data row as stored: pending rows keep their checked input until they are launched. */
export type BulkRowRecord =
  | { row: number; status: 'pending'; input: Record<string, unknown> }
  | { row: number; status: 'launched'; actionId: string }
  | { row: number; status: 'refused'; errors: FieldProblem[] };

/** Which rows a listing reads: pending (with inputs) or finished (launched or refused). */
export type BulkRowStatusFilter = 'pending' | 'finished';

/** The outcome of one pending row. */
export type BulkRowResult =
  { row: number; status: 'launched'; actionId: string } | { row: number; status: 'refused'; errors: FieldProblem[] };

export interface BulkLease {
  owner: string;
  now: number;
  until: number;
}

export interface ScheduleRow {
  id: string;
  name: string;
  cron: string;
  timezone: string;
  /** The launch as given: `{ actionType, input }` or `{ process, title, data, owner }`. */
  launch: Record<string, unknown>;
  paused: boolean;
  nextRunAt: number | null;
  lastTickAt: number | null;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  version: number;
}

/** What a claim does with one due schedule: the tick it launches (null: none) and its next run. */
export interface TickPlan {
  tickAt: number | null;
  nextRunAt: number | null;
}

export interface ScheduleTick {
  scheduleId: string;
  tickAt: number;
  claimedBy: string;
  claimedAt: number;
  launchedId: string | null;
  error: string | null;
}

/** Which actions a bulk replay touches. Every field narrows; `since`/`until` bound `updatedAt` or `closedAt`. */
export interface ReplayFilter {
  state?: State;
  reason?: string;
  resolution?: string;
  actionTypeIds?: string[];
  caseId?: string;
  queue?: string;
  timeField?: 'updatedAt' | 'closedAt';
  since?: number;
  until?: number;
  /** Only these actions (a frozen selection's, checked again before its run acts on them). */
  ids?: string[];
}

/** Taking a bulk replay's Idempotency-Key for a run (store.takeReplayKey). */
export interface ReplayKeyRequest {
  key: string;
  /** A hash of the request: the same key with another request is the caller's conflict. */
  requestHash: string;
  /** A token of this run: only it may renew, finish or free the key. */
  owner: string;
  now: number;
  /** A run that stops (its node died) frees the key then; a run that goes on renews it. */
  leaseUntil: number;
  /** Keys made before this are forgotten. */
  keepSince: number;
}

/** Taken for this run, or held by an earlier one: its report (null while it runs) and its request's hash. */
export type ReplayKeyTaken = { taken: true } | { taken: false; requestHash: string; report: string | null };

/** How many actions of a replay's filter are in each state and reason (or resolution): one grouped count. */
export interface ReplayStateCount {
  state: string;
  reason: string | null;
  resolution: string | null;
  n: number;
}

/** A bulk replay run as kept (028_bulk_replay_runs.sql): its report, read again by its id. */
export interface ReplayRunRow {
  id: string;
  createdBy: string;
  operation: 'retry' | 'close';
  /** The request as sent, JSON. */
  request: string;
  status: 'running' | 'done' | 'failed';
  count: number;
  done: number;
  skipped: number;
  remaining: number;
  error: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

/** One action a run touched, numbered from 1 in the order it was changed. */
export interface ReplayRunItem {
  seq: number;
  actionId: string;
  status: 'done' | 'skipped';
  reason: string | null;
}

/** A bulk replay's preview frozen for its run (030_bulk_replay_selections.sql). */
export interface ReplaySelectionRow {
  id: string;
  createdBy: string;
  /** The operation and filter previewed, JSON: a run must ask for the same. */
  request: string;
  /** The ids the preview matched, oldest first, at most the preview's max. */
  actionIds: string[];
  /** Actions matching at the preview, including those beyond its max. */
  matched: number;
  createdAt: number;
  expiresAt: number;
  /** When a run took it: a selection runs once. */
  usedAt: number | null;
}
