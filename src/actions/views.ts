// The API's shapes of an action and its timeline (SPEC section 10): names integrators script against.

import type { ActionPolicy, ActionRecord } from '../lifecycle/action.ts';
import { LABELS, PHASES, REASONS, RESOLUTIONS, STATES } from '../lifecycle/states.ts';
import { type Static, Type } from '@sinclair/typebox';
import { DateTime, MaybeString, MaybeTime, StringEnum } from '../api/schemas.ts';
import { retryCount, TIMELINE_KINDS } from '../lifecycle/action.ts';
import type { TimelineRow } from '../store/types.ts';
import { isoTime as iso } from '../clock.ts';

/** An action as the API gives it: the schema is the type (ActionView) and the OpenAPI document's. */
export const ActionViewSchema = Type.Object(
  {
    id: Type.String(),
    actionType: Type.Union([Type.String(), Type.Null()], { description: "the action type's id; null for a manual step's task" }),
    actionTypeName: MaybeString,
    caseId: MaybeString,
    caseTitle: Type.Optional(
      Type.Union([Type.String(), Type.Null()], {
        description: "the case's title, read-only; null when it has no case or the case no title (in the list and the read of an action)",
      }),
    ),
    state: StringEnum(Object.values(STATES)),
    reason: Type.Union([StringEnum(Object.values(REASONS)), Type.Null()], { description: 'why it is To Do or In Progress' }),
    resolution: Type.Union([StringEnum(Object.values(RESOLUTIONS)), Type.Null()], { description: 'how it closed' }),
    phase: Type.Union([StringEnum(Object.values(PHASES)), Type.Null()], { description: 'what the engine is doing while it is waiting' }),
    labels: Type.Object(
      { state: Type.String(), reason: MaybeString, resolution: MaybeString },
      { description: 'the words people see for state, reason and resolution' },
    ),
    retry: Type.Object({
      count: Type.Integer({ minimum: 0 }),
      max: Type.Integer({ minimum: 0, description: "the action type's current limit" }),
      lastError: MaybeString,
      lastErrorAt: MaybeTime,
      nextRetryAt: Type.Union([DateTime, Type.Null()], {
        description: 'when the next automatic retry goes; null when none is scheduled or retries are paused',
      }),
      paused: Type.Boolean(),
    }),
    attempts: Type.Integer({ minimum: 0 }),
    throttledUntil: Type.Union([DateTime, Type.Null()], { description: 'while held by a rate or concurrency limit: when it will go' }),
    startAt: Type.Union([DateTime, Type.Null()], {
      description: "while queued: when it goes out, no earlier than the launch's startAt (a time past: as soon as the engine takes it)",
    }),
    heldBy: Type.Optional(
      Type.Object(
        {
          reason: StringEnum(['rate_limit', 'max_concurrency', 'circuit_open', 'needs_attention', 'slow_system'] as const),
          detail: Type.String(),
        },
        { description: 'while throttled: what holds it' },
      ),
    ),
    rejectedReason: MaybeString,
    externalReference: MaybeString,
    input: Type.Record(Type.String(), Type.Unknown()),
    output: Type.Unknown({ description: "the external system's answer as mapped, or null" }),
    escalated: Type.Boolean(),
    queue: MaybeString,
    assignee: MaybeString,
    timeoutAt: Type.Union([DateTime, Type.Null()], {
      description: 'while waiting: when the action turns To Do (Timeout) if no answer comes',
    }),
    lastHeartbeatAt: Type.Union([DateTime, Type.Null()], {
      description:
        'when the external system last showed the action alive: its acceptance of a callback-mode attempt or its latest heartbeat (POST /v1/callbacks/{token}/heartbeat), from which a heartbeat timeout counts; null before any. A heartbeat with the same note as the last one noted in the same attempt, within the hour, moves this but adds no timeline entry',
    }),
    dueAt: Type.Union([DateTime, Type.Null()], {
      description:
        'when a person’s work on it is due (a task’s due time, set when it is created or by POST /v1/actions/{id}/due); null when none',
    }),
    createdAt: DateTime,
    updatedAt: DateTime,
    closedAt: MaybeTime,
    stepSkipped: Type.Optional(
      Type.Object(
        { step: Type.String(), by: Type.String(), at: DateTime },
        {
          description:
            "in the read of an action that would take a retry: its case's step, skipped by an operator (who, when); the action is not retried (409), as nothing waits for it",
        },
      ),
    ),
    solution: Type.Optional(
      Type.Object(
        { resolution: StringEnum(['solved', 'closed'] as const), solution: Type.String(), at: DateTime },
        { description: "a task handed back by its integrated queue's provider: their answer, until accepted or declined" },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ActionView = Static<typeof ActionViewSchema>;

/** One entry of an action's timeline. */
export const TimelineEntrySchema = Type.Object(
  {
    seq: Type.Integer(),
    at: DateTime,
    actor: Type.String(),
    kind: StringEnum(TIMELINE_KINDS),
    message: Type.String(),
    data: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

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
      // Paused, no retry is coming: a time would mislead (resuming sets one again).
      nextRetryAt: a.phase === 'retry_scheduled' && !a.paused ? iso(a.nextRetryAt) : null,
      paused: a.paused,
    },
    attempts: a.attempts,
    throttledUntil: a.phase === 'throttled' ? iso(a.dueAt) : null,
    // A launch for later waits queued until then: without the time, its page said it goes out at once.
    startAt: a.phase === 'queued' ? iso(a.dueAt) : null,
    rejectedReason: a.rejectedReason,
    externalReference: a.externalReference,
    input: a.input,
    output: a.output ?? null,
    escalated: a.escalated,
    queue: a.queue,
    assignee: a.assignee,
    // A deadline only while the action waits: To Do or closed, it has passed or no longer applies.
    timeoutAt: a.state === 'waiting' ? iso(a.timeoutAt) : null,
    lastHeartbeatAt: iso(a.heartbeatAt),
    // The work's due time, never the engine's timer (`a.dueAt`, shown above as throttledUntil or startAt).
    dueAt: iso(a.workDueAt),
    createdAt: iso(a.createdAt)!,
    updatedAt: iso(a.updatedAt)!,
    closedAt: iso(a.closedAt),
  };
}

export type TimelineEntry = Static<typeof TimelineEntrySchema>;

export function timelineView(rows: TimelineRow[]): TimelineEntry[] {
  return rows.map((r) => ({
    seq: r.seq,
    at: iso(r.at)!,
    actor: r.actor,
    kind: r.kind,
    message: r.message,
    ...dataOf(r.data),
  }));
}

/** An entry's `data`, absent when it held only a request's key: the entry reads the same with a key or without. */
function dataOf(data: Record<string, unknown> | undefined): { data?: Record<string, unknown> } {
  if (!data) return {};
  const view = dataView(data);
  return 'requestKey' in data && Object.keys(view).length === 0 ? {} : { data: view };
}

/**
 * An entry's data as integrators read it: a retry's `nextRetryAt` is stored as epoch milliseconds
 * (entries written by every version so far) and shown as an ISO time, as the action's own
 * `retry.nextRetryAt` and the webhook event's are.
 */
function dataView(data: Record<string, unknown>): Record<string, unknown> {
  // A retry's request key and body hash are Callout's own books (a repeat is known by them), not shown.
  if ('requestKey' in data) {
    const { requestKey: _key, requestHash: _hash, ...rest } = data;
    return rest;
  }
  return typeof data.nextRetryAt === 'number' ? { ...data, nextRetryAt: iso(data.nextRetryAt) } : data;
}
