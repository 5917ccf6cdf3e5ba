// The API's shapes of an action and its timeline (SPEC section 10): names integrators script against.

import type { ActionPolicy, ActionRecord } from '../lifecycle/action.ts';
import { LABELS } from '../lifecycle/states.ts';
import { retryCount } from '../lifecycle/action.ts';
import type { TimelineRow } from '../store/types.ts';
import { isoTime as iso } from '../clock.ts';

export interface ActionView {
  id: string;
  /** Null for a manual step's task (an action with no action type). */
  actionType: string | null;
  actionTypeName: string | null;
  caseId: string | null;
  state: string;
  reason: string | null;
  resolution: string | null;
  phase: string | null;
  labels: { state: string; reason: string | null; resolution: string | null };
  retry: { count: number; max: number; lastError: string | null; lastErrorAt: string | null; nextRetryAt: string | null; paused: boolean };
  attempts: number;
  /** While held by a rate or concurrency limit: when it will go. */
  throttledUntil: string | null;
  /** While throttled: what holds it (a rate limit, maxConcurrency, an open circuit, a connector needing attention). */
  heldBy?: { reason: 'rate_limit' | 'max_concurrency' | 'circuit_open' | 'needs_attention'; detail: string };
  rejectedReason: string | null;
  externalReference: string | null;
  input: Record<string, unknown>;
  output: unknown;
  escalated: boolean;
  queue: string | null;
  assignee: string | null;
  timeoutAt: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  /** A task handed back by its integrated queue's provider: their answer, until accepted or declined. */
  solution?: { resolution: 'solved' | 'closed'; solution: string; at: string };
}

export function actionView(a: ActionRecord, policy: ActionPolicy, actionTypeName: string | null): ActionView {
  return {
    id: a.id,
    actionType: a.actionTypeId,
    actionTypeName,
    caseId: a.caseId,
    state: a.state,
    reason: a.reason,
    resolution: a.resolution,
    phase: a.phase,
    labels: { state: LABELS[a.state], reason: a.reason ? LABELS[a.reason] : null, resolution: a.resolution ? LABELS[a.resolution] : null },
    // `max` is the live policy's: a raised limit shows on closed actions too ("5 of 7").
    retry: {
      count: retryCount(a),
      max: policy.retry.maxRetries,
      lastError: a.lastError,
      lastErrorAt: iso(a.lastErrorAt),
      nextRetryAt: a.phase === 'retry_scheduled' ? iso(a.nextRetryAt) : null,
      paused: a.paused,
    },
    attempts: a.attempts,
    throttledUntil: a.phase === 'throttled' ? iso(a.dueAt) : null,
    rejectedReason: a.rejectedReason,
    externalReference: a.externalReference,
    input: a.input,
    output: a.output ?? null,
    escalated: a.escalated,
    queue: a.queue,
    assignee: a.assignee,
    timeoutAt: iso(a.timeoutAt),
    createdAt: iso(a.createdAt)!,
    updatedAt: iso(a.updatedAt)!,
    closedAt: iso(a.closedAt),
  };
}

export function timelineView(rows: TimelineRow[]): Array<Record<string, unknown>> {
  return rows.map((r) => ({
    seq: r.seq,
    at: iso(r.at),
    actor: r.actor,
    kind: r.kind,
    message: r.message,
    ...(r.data ? { data: r.data } : {}),
  }));
}
