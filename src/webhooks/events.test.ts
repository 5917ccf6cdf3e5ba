import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { payloadSchema } from './payload-schema.ts';
import type { ActionPolicy, ActionRecord } from '../lifecycle/action.ts';
import { launchAction } from '../lifecycle/launch.ts';
import { compileRetryPolicy } from '../lifecycle/retry-policy.ts';
import { transition, type ActionEvent, type TransitionResult } from '../lifecycle/transition.ts';
import {
  EVENT_TYPES,
  MAX_PAYLOAD_BYTES,
  caseClosedEvent,
  caseStoppedEvent,
  caseCreatedEvent,
  eventMatches,
  eventsForLaunch,
  eventsForTransition,
  isEventPattern,
  payloadBody,
  sequenceEvents,
  subscriptionWants,
  type ActionEventData,
  type OutboundEvent,
} from './events.ts';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const ctx = { now: T0, publicUrl: 'https://callout.example.com/' };
const policy: ActionPolicy = {
  retry: compileRetryPolicy({ maxRetries: 1, interval: '10s', backoff: 'fixed' }),
  completion: { mode: 'callback', timeoutMs: null, heartbeatTimeoutMs: null },
  allocation: { queue: 'billing', user: null },
};

const launched = (caseId: string | null = 'case_1', id = 'act_1'): ActionRecord =>
  launchAction({
    id,
    actionTypeId: 'at_1',
    actionTypeName: 'Invoice',
    caseId,
    input: { iban: 'NL00SECRET' },
    policy,
    now: T0,
    actor: 'system',
  }).action;

/** Runs one lifecycle event and maps its result to webhook events, as the engine will. */
function step(a: ActionRecord, event: ActionEvent, now = T0 + 1000): { action: ActionRecord; events: OutboundEvent[] } {
  const r: TransitionResult = transition(a, event, { policy, now, rand: 0.5 });
  if (!r.ok) throw new Error(r.message);
  return { action: r.action, events: eventsForTransition(a, r.action, r.effects, { ...ctx, now }) };
}
const sending = (a: ActionRecord): ActionRecord => ({ ...a, phase: 'sending' });
/** A task of alice's on queue hr, To Do, due at T0. */
const aliceTask = (): ActionRecord => ({
  ...launched(),
  state: 'todo',
  reason: 'manual',
  phase: null,
  queue: 'hr',
  assignee: 'alice',
  workDueAt: T0,
});
const types = (es: OutboundEvent[]) => es.map((e) => e.type);
const data = (e: OutboundEvent | undefined) => e?.data as ActionEventData;

describe('events of an action', () => {
  it('a launch gives action.launched with ids, state words and links, and no input', () => {
    const [e, ...rest] = eventsForLaunch(launched(), ctx);
    expect(rest).toEqual([]);
    expect(e?.type).toBe('action.launched');
    expect(e?.data).toMatchObject({
      actionId: 'act_1',
      actionType: 'at_1',
      caseId: 'case_1',
      state: 'waiting',
      phase: 'queued',
      links: {
        action: 'https://callout.example.com/v1/actions/act_1',
        timeline: 'https://callout.example.com/v1/actions/act_1/timeline',
        case: 'https://callout.example.com/v1/cases/case_1',
      },
    });
    expect(JSON.stringify(e)).not.toContain('SECRET');
  });

  it('a task created on a queue is also task.assigned', () => {
    const task: ActionRecord = { ...launched(), state: 'todo', reason: 'manual', phase: null, queue: 'hr' };
    expect(types(eventsForLaunch(task, ctx))).toEqual(['action.launched', 'task.assigned']);
  });

  it('a failed attempt with retries left gives action.retry_scheduled with the count and time, and no state change', () => {
    const { events } = step(sending(launched()), { type: 'send_answered', status: 503, bodyExcerpt: 'card 4111 declined' });
    expect(types(events)).toEqual(['action.retry_scheduled']);
    expect(data(events[0])).toMatchObject({ retryCount: 0, nextRetryAt: new Date(T0 + 1000 + 10_000).toISOString() });
    expect(JSON.stringify(events)).not.toContain('4111');
  });

  it('retries exhausted: action.state_changed to Closed / Not Done, then action.escalated', () => {
    const first = step(sending(launched()), { type: 'send_answered', status: 503 }).action;
    const { events } = step(sending(first), { type: 'send_failed', kind: 'connection_error', message: 'ECONNREFUSED' }, T0 + 20_000);
    expect(types(events)).toEqual(['action.state_changed', 'action.escalated']);
    expect(data(events[0])).toMatchObject({
      state: 'closed',
      resolution: 'not_done_successfully',
      previous: { state: 'waiting', reason: null, resolution: null },
    });
    expect(data(events[1]).escalated).toBe(true);
  });

  it('a failure callback: action.state_changed to To Do, then task.assigned to the allocation queue', () => {
    const accepted = step(sending(launched()), { type: 'send_answered', status: 202 });
    expect(accepted.events).toEqual([]);
    const { events } = step(accepted.action, { type: 'callback', outcome: 'failure', reason: 'Cost centre unknown' });
    expect(types(events)).toEqual(['action.state_changed', 'task.assigned']);
    expect(data(events[1])).toMatchObject({ queue: 'billing', assignee: null, previous: { queue: null, assignee: null } });
  });

  it('picking up a task changes its assignee: action.state_changed and task.assigned', () => {
    const todo: ActionRecord = { ...launched(), state: 'todo', reason: 'manual', phase: null, queue: 'hr' };
    const { events } = step(todo, { type: 'picked_up', user: 'alice' });
    expect(types(events)).toEqual(['action.state_changed', 'task.assigned']);
    expect(data(events[1])).toMatchObject({ queue: 'hr', assignee: 'alice', previous: { queue: 'hr', assignee: null } });
  });

  it('a write outside the lifecycle (a provider handing a task back) gives the same events from the records alone', () => {
    const out: ActionRecord = { ...launched(), state: 'waiting', phase: 'awaiting_callback', queue: 'vendor-desk' };
    const back: ActionRecord = { ...out, state: 'todo', reason: 'updated_by_integration', phase: null, assignee: 'bob' };
    const events = eventsForTransition(out, back, [], ctx);
    expect(types(events)).toEqual(['action.state_changed', 'task.assigned']);
    expect(data(events[0]).previous).toEqual({ state: 'waiting', reason: null, resolution: null });
  });

  it('a task past its due time, its person told: task.overdue with the due time, once', () => {
    const todo = aliceTask();
    const told = step(todo, { type: 'overdue' });
    expect(types(told.events)).toEqual(['task.overdue']);
    expect(data(told.events[0])).toMatchObject({ actionId: 'act_1', queue: 'hr', assignee: 'alice', dueAt: '2030-01-01T00:00:00.000Z' });
    // A note after it is no new overdue event.
    expect(step(told.action, { type: 'message', text: 'on it', actor: 'user:alice' }).events).toEqual([]);
  });

  it('changes without a state, queue or retry change (acknowledgement, message, throttling) send nothing', () => {
    const a = launched();
    expect(step(a, { type: 'acknowledged', externalReference: 'INC-7' }).events).toEqual([]);
    expect(step(a, { type: 'message', text: 'hello', actor: 'integration' }).events).toEqual([]);
    expect(step(a, { type: 'throttled', until: T0 + 60_000, why: '100 a minute' }).events).toEqual([]);
  });
});

describe('case events', () => {
  it('case.created and case.closed carry the case id, process, status, owner and link', () => {
    const c = { id: 'case 1', process: 'new-starter', status: 'open' as const, owner: 'alice' };
    expect(caseCreatedEvent(c, ctx)).toEqual({
      type: 'case.created',
      at: T0,
      orderingKey: 'case:case 1',
      data: {
        caseId: 'case 1',
        process: 'new-starter',
        status: 'open',
        owner: 'alice',
        links: { case: 'https://callout.example.com/v1/cases/case%201' },
      },
    });
    expect(caseClosedEvent({ ...c, status: 'closed' }, ctx).type).toBe('case.closed');
  });
});

describe('sequence numbers and payloads', () => {
  it('number the events of one case across its actions; an action without a case counts its own', () => {
    const counters = new Map([['case:case_1', 4]]);
    const events = [
      ...eventsForLaunch(launched('case_1', 'a1'), ctx),
      ...eventsForLaunch(launched(null, 'a2'), ctx),
      ...eventsForLaunch(launched('case_1', 'a3'), ctx),
      caseClosedEvent({ id: 'case_1', process: null, status: 'closed', owner: null }, ctx),
    ];
    const numbered = sequenceEvents(events, (k) => counters.get(k) ?? 0);
    expect(numbered.map((e) => [e.orderingKey, e.sequence])).toEqual([
      ['case:case_1', 5],
      ['action:a2', 1],
      ['case:case_1', 6],
      ['case:case_1', 7],
    ]);
  });

  it('a payload is { type, timestamp, data } with data.sequence, and stays thin even at its largest', () => {
    const huge: ActionRecord = {
      ...launched('c'.repeat(200), 'a'.repeat(200)),
      externalReference: 'R'.repeat(100_000),
      output: { big: 'x'.repeat(100_000) },
      rejectedReason: 'y'.repeat(100_000),
      queue: 'q'.repeat(200),
      assignee: 'u'.repeat(200),
    };
    const [e] = eventsForTransition(
      { ...huge, state: 'todo', queue: null },
      huge,
      [
        {
          type: 'state_changed',
          from: { state: 'todo', reason: null, resolution: null },
          to: { state: 'waiting', reason: null, resolution: null },
        },
      ],
      { ...ctx, publicUrl: `https://${'h'.repeat(1000)}.example.com` },
    );
    const body = payloadBody(e!, 12);
    expect(Buffer.byteLength(body)).toBeLessThan(MAX_PAYLOAD_BYTES);
    const parsed = JSON.parse(body);
    expect(Object.keys(parsed)).toEqual(['type', 'timestamp', 'data']);
    expect(parsed).toMatchObject({ type: 'action.state_changed', timestamp: '2030-01-01T00:00:00.000Z', data: { sequence: 12 } });
    expect(parsed.data.externalReference).toHaveLength(256);
    expect(body).not.toContain('xxxx');
  });

  it('refuses to serialise a payload over the limit', () => {
    const e = caseCreatedEvent({ id: 'c', process: 'p'.repeat(MAX_PAYLOAD_BYTES), status: 'open', owner: null }, ctx);
    expect(() => payloadBody(e, 1)).toThrow(RangeError);
  });
});

describe('subscription matching', () => {
  it('matches exact types, group wildcards and *', () => {
    expect(eventMatches('action.state_changed', 'action.state_changed')).toBe(true);
    expect(eventMatches('action.*', 'action.escalated')).toBe(true);
    expect(eventMatches('action.*', 'case.closed')).toBe(false);
    expect(eventMatches('*', 'task.assigned')).toBe(true);
    expect(eventMatches('case.created', 'case.closed')).toBe(false);
    expect(subscriptionWants(['case.closed', 'task.*'], 'task.assigned')).toBe(true);
    expect(subscriptionWants(['case.closed', 'task.*'], 'action.launched')).toBe(false);
    expect(subscriptionWants([], 'action.launched')).toBe(false);
  });

  it('knows which patterns are valid', () => {
    for (const t of EVENT_TYPES) expect(isEventPattern(t)).toBe(true);
    for (const p of ['*', 'action.*', 'case.*', 'task.*']) expect(isEventPattern(p)).toBe(true);
    for (const p of ['action', 'actions.*', 'action.unknown', '**', 'action.*.x', '', 'act*']) expect(isEventPattern(p)).toBe(false);
  });
});

describe('the payloads as the OpenAPI document describes them (payload-schema.ts)', () => {
  it('every event type, as made here, fits its documented body', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const todo = aliceTask();
    const first = step(sending(launched()), { type: 'send_answered', status: 503 });
    const made: OutboundEvent[] = [
      ...eventsForLaunch(todo, ctx),
      ...first.events,
      ...step(sending(first.action), { type: 'send_failed', kind: 'connection_error', message: 'ECONNREFUSED' }, T0 + 20_000).events,
      ...step(todo, { type: 'picked_up', user: 'alice' }).events,
      ...step(todo, { type: 'overdue' }).events,
      ...eventsForTransition(todo, { ...todo, state: 'waiting', reason: null, phase: 'awaiting_callback', assignee: null }, [], ctx),
      caseCreatedEvent({ id: 'case_1', process: null, status: 'open', owner: null }, ctx),
      caseClosedEvent({ id: 'case_1', process: 'new-starter', status: 'closed', owner: 'alice' }, ctx),
      caseStoppedEvent({ id: 'case_1', process: 'new-starter', status: 'open', owner: 'alice' }, { step: 'shape' }, ctx),
    ];
    expect(new Set(made.map((e) => e.type))).toEqual(new Set(EVENT_TYPES));
    for (const e of made) {
      const check = ajv.compile(payloadSchema(e.type));
      const body = JSON.parse(payloadBody(e, 1)) as unknown;
      expect(check(body) ? [] : check.errors, e.type).toEqual([]);
    }
    // The check is live: a field the schema does not know is refused.
    const extra = JSON.parse(payloadBody(made[0]!, 1)) as { data: Record<string, unknown> };
    extra.data.input = { iban: 'x' };
    expect(ajv.compile(payloadSchema(made[0]!.type))(extra)).toBe(false);
  });
});
