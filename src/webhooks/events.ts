// The events Callout sends to webhook subscriptions: their types, thin payloads (ids, state words and
// links, never case data or response bodies), the pure mapping from an action's transition to the
// events it causes, per-scope sequence numbers, and subscription matching with wildcards.

import type { ActionRecord } from '../lifecycle/action.ts';
import type { Effect } from '../lifecycle/transition.ts';
import { retryCount } from '../lifecycle/action.ts';

/** Every event type, in the words of the API. */
export const EVENT_TYPES = [
  'case.created',
  'case.closed',
  /** An open case stopped at a failed step (onFailure stop): an operator retries or skips it. Once per stop. */
  'case.stopped',
  'action.launched',
  'action.state_changed',
  /** A failed attempt will be retried: monitoring wants this before the action escalates. */
  'action.retry_scheduled',
  'action.escalated',
  /** A task (an action allocated to a queue or person) got a new queue or assignee. */
  'task.assigned',
  /** An open task passed its due time (`dueAt`): sent once per due time, when its person is told. */
  'task.overdue',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Standard Webhooks' advice: stay well under what receivers accept. */
export const MAX_PAYLOAD_BYTES = 20_000;
/** Outside values in payloads are cut to this, so a payload stays thin whatever a provider sends. */
const MAX_TEXT = 256;

export interface StateWordsData {
  state: ActionRecord['state'];
  reason: ActionRecord['reason'];
  resolution: ActionRecord['resolution'];
}

export interface ActionEventData extends StateWordsData {
  actionId: string;
  /** Null for a manual step's task. */
  actionType: string | null;
  caseId: string | null;
  phase: ActionRecord['phase'];
  externalReference: string | null;
  queue: string | null;
  assignee: string | null;
  escalated: boolean;
  links: { action: string; timeline: string; case?: string };
  previous?: Partial<StateWordsData> & { queue?: string | null; assignee?: string | null };
  retryCount?: number;
  nextRetryAt?: string;
  /** `task.overdue`: the due time that passed. */
  dueAt?: string;
}

export interface CaseSummary {
  id: string;
  process: string | null;
  status: 'open' | 'closed';
  owner: string | null;
}

/**
 * case.stopped: the failed step the case stopped at (processes/case-stop.ts). Not why: an expression's
 * message quotes case data, which no payload carries; the receiver reads the case (stoppedAt.error).
 */
export interface CaseStopSummary {
  step: string;
}

export interface CaseEventData {
  caseId: string;
  process: string | null;
  status: 'open' | 'closed';
  owner: string | null;
  links: { case: string };
  /** case.stopped: the failed step. */
  step?: string;
}

/**
 * An event before it is numbered. `orderingKey` is its case (or its action when it has none): the
 * events of one key are numbered 1, 2, 3… and delivered in that order.
 */
export interface OutboundEvent {
  type: EventType;
  at: number;
  orderingKey: string;
  data: ActionEventData | CaseEventData;
}

/** What a receiver gets: `{ type, timestamp, data }`, with `data.sequence` counting its case's (or action's) events. */
export interface EventPayload {
  type: EventType;
  timestamp: string;
  data: (ActionEventData | CaseEventData) & { sequence: number };
}

export interface EventContext {
  now: number;
  /** The base of links, CALLOUT_PUBLIC_URL. */
  publicUrl: string;
}

const cut = (s: string | null): string | null => (s !== null && s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) : s);
const base = (url: string): string => url.replace(/\/+$/, '');
const link = (ctx: EventContext, ...parts: string[]): string => `${base(ctx.publicUrl)}/v1/${parts.map(encodeURIComponent).join('/')}`;

export const orderingKeyOf = (a: Pick<ActionRecord, 'id' | 'caseId'>): string => (a.caseId ? `case:${a.caseId}` : `action:${a.id}`);

function actionData(a: ActionRecord, ctx: EventContext): ActionEventData {
  return {
    actionId: a.id,
    actionType: a.actionTypeId,
    caseId: a.caseId,
    state: a.state,
    reason: a.reason,
    resolution: a.resolution,
    phase: a.phase,
    externalReference: cut(a.externalReference),
    queue: a.queue,
    assignee: a.assignee,
    escalated: a.escalated,
    links: {
      action: link(ctx, 'actions', a.id),
      timeline: link(ctx, 'actions', a.id, 'timeline'),
      ...(a.caseId ? { case: link(ctx, 'cases', a.caseId) } : {}),
    },
  };
}

const actionEvent = (type: EventType, a: ActionRecord, ctx: EventContext, extra: Partial<ActionEventData> = {}): OutboundEvent => ({
  type,
  at: ctx.now,
  orderingKey: orderingKeyOf(a),
  data: { ...actionData(a, ctx), ...extra },
});

const assignedChanged = (before: ActionRecord | null, after: ActionRecord): boolean =>
  (after.queue !== null || after.assignee !== null) &&
  (before === null || before.queue !== after.queue || before.assignee !== after.assignee);

/** The events of a newly launched action (or a manual task created on a queue). */
export function eventsForLaunch(action: ActionRecord, ctx: EventContext): OutboundEvent[] {
  const events = [actionEvent('action.launched', action, ctx)];
  if (assignedChanged(null, action)) events.push(actionEvent('task.assigned', action, ctx, { previous: { queue: null, assignee: null } }));
  return events;
}

/**
 * The events one transition causes, in the order they happened: the state change, the new queue or
 * assignee, a scheduled retry, the escalation, the overdue task. `before` is the action as read, `after` and `effects`
 * the transition's result; for a write outside the lifecycle pass its effects as [].
 */
export function eventsForTransition(
  before: ActionRecord,
  after: ActionRecord,
  effects: readonly Effect[],
  ctx: EventContext,
): OutboundEvent[] {
  const events: OutboundEvent[] = [];
  for (const e of effects)
    if (e.type === 'state_changed') events.push(actionEvent('action.state_changed', after, ctx, { previous: { ...e.from } }));
  // Writes outside the lifecycle (a hand-back from a provider, say) carry no effects: compare the words.
  const words = (a: ActionRecord): StateWordsData => ({ state: a.state, reason: a.reason, resolution: a.resolution });
  if (events.length === 0 && JSON.stringify(words(before)) !== JSON.stringify(words(after)))
    events.push(actionEvent('action.state_changed', after, ctx, { previous: words(before) }));
  if (assignedChanged(before, after))
    events.push(actionEvent('task.assigned', after, ctx, { previous: { queue: before.queue, assignee: before.assignee } }));
  if (after.state === 'waiting' && after.phase === 'retry_scheduled' && after.nextRetryAt !== null && after.attempts !== before.attempts)
    events.push(
      actionEvent('action.retry_scheduled', after, ctx, {
        retryCount: retryCount(after),
        nextRetryAt: new Date(after.nextRetryAt).toISOString(),
      }),
    );
  if (effects.some((e) => e.type === 'escalated')) events.push(actionEvent('action.escalated', after, ctx));
  if (after.overdueNoticed && !before.overdueNoticed && after.workDueAt !== null)
    events.push(actionEvent('task.overdue', after, ctx, { dueAt: new Date(after.workDueAt).toISOString() }));
  return events;
}

function caseEvent(
  type: 'case.created' | 'case.closed' | 'case.stopped',
  c: CaseSummary,
  ctx: EventContext,
  stop?: CaseStopSummary,
): OutboundEvent {
  return {
    type,
    at: ctx.now,
    orderingKey: `case:${c.id}`,
    data: {
      caseId: c.id,
      process: c.process,
      status: c.status,
      owner: c.owner,
      links: { case: link(ctx, 'cases', c.id) },
      ...(stop ? { step: stop.step } : {}),
    },
  };
}
export const caseCreatedEvent = (c: CaseSummary, ctx: EventContext): OutboundEvent => caseEvent('case.created', c, ctx);
export const caseClosedEvent = (c: CaseSummary, ctx: EventContext): OutboundEvent => caseEvent('case.closed', c, ctx);
export const caseStoppedEvent = (c: CaseSummary, stop: CaseStopSummary, ctx: EventContext): OutboundEvent =>
  caseEvent('case.stopped', c, ctx, stop);

/**
 * Numbers events by ordering key, continuing from `last(key)` (the store's counter), so a receiver
 * sees a gap when it misses one of its case's events.
 */
export function sequenceEvents(
  events: readonly OutboundEvent[],
  last: (orderingKey: string) => number,
): Array<OutboundEvent & { sequence: number }> {
  const next = new Map<string, number>();
  return events.map((e) => {
    const sequence = (next.get(e.orderingKey) ?? last(e.orderingKey)) + 1;
    next.set(e.orderingKey, sequence);
    return { ...e, sequence };
  });
}

/** The body a receiver gets, serialised once (the signature covers these exact bytes). */
export function payloadBody(event: OutboundEvent, sequence: number): string {
  const payload: EventPayload = { type: event.type, timestamp: new Date(event.at).toISOString(), data: { ...event.data, sequence } };
  const body = JSON.stringify(payload);
  if (Buffer.byteLength(body) > MAX_PAYLOAD_BYTES) throw new RangeError(`a ${event.type} payload exceeds ${MAX_PAYLOAD_BYTES} bytes`);
  return body;
}

const GROUPS = new Set(EVENT_TYPES.map((t) => t.slice(0, t.indexOf('.'))));

/** A subscription's event filter: `*`, a type, or a group wildcard such as `action.*`. */
export function isEventPattern(p: string): boolean {
  if (p === '*') return true;
  if (p.endsWith('.*')) return GROUPS.has(p.slice(0, -2));
  return (EVENT_TYPES as readonly string[]).includes(p);
}

export function eventMatches(pattern: string, type: EventType): boolean {
  if (pattern === '*' || pattern === type) return true;
  return pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1));
}

/** Whether a subscription with these patterns receives events of this type. */
export const subscriptionWants = (patterns: readonly string[], type: EventType): boolean => patterns.some((p) => eventMatches(p, type));
