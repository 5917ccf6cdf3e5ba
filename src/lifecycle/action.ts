// The action as the lifecycle sees it: one record, the settings of its action type that govern it,
// and the timeline entries a transition writes.

import type { Actor, CompletionMode, Phase, Reason, Resolution, State } from './states.ts';
import type { RetryPolicy } from './retry-policy.ts';

export interface ActionRecord {
  id: string;
  /** Null for a manual step of a process: a task for a person, never sent (SPEC 10.1). */
  actionTypeId: string | null;
  caseId: string | null;
  state: State;
  reason: Reason | null;
  resolution: Resolution | null;
  /** Only while `waiting`; null otherwise. */
  phase: Phase | null;
  input: Record<string, unknown>;
  output: unknown;
  /** Attempts whose outcome was recorded; every attempt after the first is a retry. */
  attempts: number;
  lastError: string | null;
  lastErrorAt: number | null;
  nextRetryAt: number | null;
  paused: boolean;
  rejectedReason: string | null;
  externalReference: string | null;
  /** The callback outcome applied, so a repeated callback gets the same answer. */
  callbackOutcome: 'success' | 'failure' | null;
  escalated: boolean;
  queue: string | null;
  assignee: string | null;
  /** When the engine must next look at the action (send, retry, timeout); null when nothing is due. */
  dueAt: number | null;
  /** Completion deadline (launch + completion timeout), if any. */
  timeoutAt: number | null;
  /** Last sign of life from the external system while awaiting its callback. */
  heartbeatAt: number | null;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  /** Optimistic concurrency guard: every write checks and bumps it. */
  version: number;
  /**
   * When a person's work on it is due (the API's `dueAt`), set on a task's creation or by an operator;
   * null when none. Not `dueAt`, the engine's own timer, which the API never shows under that name.
   */
  workDueAt: number | null;
  /**
   * Whether the person it is with was told that `workDueAt` passed (the `overdue` event); set back to
   * false when the due time changes, so a due time moved and passed again is told again.
   */
  overdueNoticed: boolean;
}

/** The settings of an action's type that the lifecycle reads, always live (SPEC: policy changes apply to open actions). */
export interface ActionPolicy {
  retry: RetryPolicy;
  completion: { mode: CompletionMode; timeoutMs: number | null; heartbeatTimeoutMs: number | null };
  allocation: { queue: string | null; user: string | null };
}

export const TIMELINE_KINDS = [
  'launched',
  'attempt',
  'accepted',
  'state_changed',
  'retry_scheduled',
  'callback',
  'acknowledged',
  'heartbeat',
  'message',
  'escalated',
  'paused',
  'resumed',
  'retry_requested',
  'input_changed',
  'picked_up',
  'completed',
  'policy_changed',
  'throttled',
  'ignored',
  'assigned',
  'allocated',
  'due_changed',
  'overdue',
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export interface TimelineEntry {
  at: number;
  actor: Actor;
  kind: TimelineKind;
  message: string;
  data?: Record<string, unknown>;
}

export function retryCount(a: Pick<ActionRecord, 'attempts'>): number {
  return Math.max(0, a.attempts - 1);
}
