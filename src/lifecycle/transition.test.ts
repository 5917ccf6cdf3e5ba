// SPEC section 2, row by row: the action lifecycle as the pure `transition` function sees it.

import { describe, expect, it } from 'vitest';
import { type ActionPolicy, type ActionRecord, retryCount } from './action.ts';
import { launchAction } from './launch.ts';
import { MANUAL_POLICY, toDoAction, type ToDoParams } from './manual.ts';
import { compileRetryPolicy, type RetryPolicyOptions } from './retry-policy.ts';
import type { CompletionMode, Resolution } from './states.ts';
import {
  type ActionEvent,
  type Effect,
  type TransitionResult,
  MAX_EARLIER_INPUT_CHARS,
  computeDueAt,
  isTimedOut,
  transition,
} from './transition.ts';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const SEC = 1_000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const LEASE = 2 * MIN;

type Ok = Extract<TransitionResult, { ok: true }>;
type Refused = Extract<TransitionResult, { ok: false }>;

interface PolicyOptions {
  retry?: RetryPolicyOptions;
  mode?: CompletionMode;
  timeoutMs?: number | null;
  heartbeatTimeoutMs?: number | null;
  queue?: string | null;
  user?: string | null;
}

function policyOf(o: PolicyOptions = {}): ActionPolicy {
  return {
    retry: compileRetryPolicy(o.retry ?? { maxRetries: 3, interval: '10s', backoff: 'fixed' }),
    completion: {
      mode: o.mode ?? 'response',
      timeoutMs: o.timeoutMs === undefined ? 24 * HOUR : o.timeoutMs,
      heartbeatTimeoutMs: o.heartbeatTimeoutMs ?? null,
    },
    allocation: { queue: o.queue === undefined ? 'billing-queue' : o.queue, user: o.user === undefined ? 'alice' : o.user },
  };
}

function launch(policy: ActionPolicy, now = T0, startAt?: number): ActionRecord {
  return launchAction({
    id: 'act_1',
    actionTypeId: 'at_1',
    actionTypeName: 'Create invoice',
    caseId: 'case_1',
    input: { amount: 10 },
    policy,
    now,
    actor: 'system',
    ...(startAt !== undefined ? { startAt } : {}),
  }).action;
}

/** What the engine does when it claims a due action: `sending`, due again when the lease runs out. */
function claim(a: ActionRecord, now: number): ActionRecord {
  expect(a.state).toBe('waiting');
  return { ...a, phase: 'sending', dueAt: now + LEASE };
}

function ok(r: TransitionResult): Ok {
  if (!r.ok) throw new Error(`expected ok, got ${r.code}: ${r.message}`);
  return r;
}

function refused(r: TransitionResult): Refused {
  if (r.ok) throw new Error('expected a refusal');
  return r;
}

function step(a: ActionRecord, event: ActionEvent, policy: ActionPolicy, now: number, rand?: number): Ok {
  return ok(transition(a, event, { policy, now, ...(rand !== undefined ? { rand } : {}) }));
}

/** Claims the action and applies the engine's answer to the attempt, as the engine does. */
function attempt(a: ActionRecord, event: SendOutcome, policy: ActionPolicy, now: number, rand?: number): Ok {
  return step(claim(a, now), event, policy, now, rand);
}

type SendOutcome = Extract<ActionEvent, { type: 'send_answered' | 'send_failed' }>;
const fail503: SendOutcome = { type: 'send_answered', status: 503, bodyExcerpt: 'unavailable' };
const connErr: SendOutcome = { type: 'send_failed', kind: 'connection_error', message: 'ECONNREFUSED' };

const stateChanges = (r: Ok) => r.timeline.filter((t) => t.kind === 'state_changed' && t.data !== undefined);
const stateEffects = (r: Ok) => r.effects.filter((e): e is Extract<Effect, { type: 'state_changed' }> => e.type === 'state_changed');

/** Every state change writes exactly one 'state_changed' entry and one state_changed effect, and bumps the version once. */
function expectStateChange(before: ActionRecord, r: Ok, to: { state: string; reason?: string | null; resolution?: string | null }): void {
  expect(r.changed).toBe(true);
  expect(r.action.version).toBe(before.version + 1);
  const entries = stateChanges(r);
  const effects = stateEffects(r);
  expect(entries).toHaveLength(1);
  expect(effects).toHaveLength(1);
  const words = { state: to.state, reason: to.reason ?? null, resolution: to.resolution ?? null };
  expect(effects[0]!.from).toEqual({ state: before.state, reason: before.reason, resolution: before.resolution });
  expect(effects[0]!.to).toEqual(words);
  expect(entries[0]!.data).toEqual({ from: effects[0]!.from, to: words });
  expect({ state: r.action.state, reason: r.action.reason, resolution: r.action.resolution }).toEqual(words);
}

/** A transition that changed no state: no state_changed effect, no state_changed entry with from/to. */
function expectNoStateChange(before: ActionRecord, r: Ok): void {
  expect(stateEffects(r)).toHaveLength(0);
  expect(stateChanges(r)).toHaveLength(0);
  expect(r.action.state).toBe(before.state);
  expect(r.action.reason).toBe(before.reason);
  expect(r.action.resolution).toBe(before.resolution);
}

function expectUnchanged(before: ActionRecord, r: Ok): void {
  expect(r.changed).toBe(false);
  expect(r.timeline).toEqual([]);
  expect(r.effects).toEqual([]);
  expect(r.action).toEqual(before);
  expect(r.action.version).toBe(before.version);
}

/** Fails attempts until the action has made `attempts` attempts, all answered 503, returning the last result. */
function failUntil(a: ActionRecord, attempts: number, policy: ActionPolicy): { action: ActionRecord; now: number } {
  let now = a.createdAt;
  let cur = a;
  while (cur.attempts < attempts) {
    now = cur.phase === 'retry_scheduled' ? cur.nextRetryAt! : now;
    cur = attempt(cur, fail503, policy, now).action;
    expect(cur.state).toBe('waiting');
  }
  return { action: cur, now };
}

describe('launch', () => {
  it('a launched action with valid fields is Waiting (queued), due at once, with its completion deadline and a timeline entry', () => {
    const policy = policyOf({ timeoutMs: 2 * HOUR });
    const { action, timeline } = launchAction({
      id: 'a1',
      actionTypeId: 'at',
      actionTypeName: 'Create invoice',
      caseId: 'c1',
      input: { x: 1 },
      policy,
      now: T0,
      actor: 'user:bob',
    });
    expect(action).toMatchObject({
      state: 'waiting',
      phase: 'queued',
      reason: null,
      resolution: null,
      dueAt: T0,
      timeoutAt: T0 + 2 * HOUR,
      attempts: 0,
      escalated: false,
      paused: false,
      callbackOutcome: null,
      createdAt: T0,
      updatedAt: T0,
      closedAt: null,
      version: 1,
      input: { x: 1 },
    });
    expect(retryCount(action)).toBe(0);
    expect(timeline).toHaveLength(1);
    expect(timeline[0]).toMatchObject({ at: T0, actor: 'user:bob', kind: 'launched' });
    expect(timeline[0]!.message).toContain('Create invoice');
    expect(computeDueAt(action, policy, T0)).toBe(T0);
    expect(isTimedOut(action, policy, T0)).toBe(false);
  });

  it('an action type without a completion timeout launches without a deadline', () => {
    const a = launch(policyOf({ timeoutMs: null }));
    expect(a.timeoutAt).toBeNull();
    expect(a.dueAt).toBe(T0);
  });
});

describe('completion mode response', () => {
  it('a 2xx answer whose success condition holds closes the action Done Successfully and maps the response into case data', () => {
    const policy = policyOf();
    const a = claim(launch(policy), T0);
    const r = step(
      a,
      { type: 'send_answered', status: 201, evaluation: { success: true, output: { invoiceId: 'INV-9' } } },
      policy,
      T0 + SEC,
    );
    expectStateChange(a, r, { state: 'closed', resolution: 'done_successfully' });
    expect(r.action).toMatchObject({
      phase: null,
      dueAt: null,
      nextRetryAt: null,
      output: { invoiceId: 'INV-9' },
      closedAt: T0 + SEC,
      updatedAt: T0 + SEC,
      attempts: 1,
      escalated: false,
    });
    expect(r.effects).toContainEqual({ type: 'merge_case_data', data: { invoiceId: 'INV-9' } });
    expect(r.effects.some((e) => e.type === 'escalated')).toBe(false);
    expect(r.timeline.some((t) => t.kind === 'attempt')).toBe(true);
    expect(retryCount(r.action)).toBe(0);
  });

  it('a 2xx answer without a response mapping succeeds without touching case data', () => {
    const policy = policyOf();
    const a = claim(launch(policy), T0);
    const r = step(a, { type: 'send_answered', status: 200 }, policy, T0);
    expectStateChange(a, r, { state: 'closed', resolution: 'done_successfully' });
    expect(r.effects.some((e) => e.type === 'merge_case_data')).toBe(false);
  });

  it('an output that is not an object is kept on the action but not merged into case data', () => {
    const policy = policyOf();
    const r = attempt(launch(policy), { type: 'send_answered', status: 200, evaluation: { success: true, output: 'OK' } }, policy, T0);
    expect(r.action.output).toBe('OK');
    expect(r.effects.some((e) => e.type === 'merge_case_data')).toBe(false);
  });

  it('a 2xx answer whose success condition fails turns the action To Do (Updated by Integration) with the rejected reason and allocates it; the owner is NOT notified', () => {
    const policy = policyOf({ queue: 'finance', user: 'carol' });
    const a = claim(launch(policy), T0);
    const r = step(
      a,
      {
        type: 'send_answered',
        status: 200,
        evaluation: { success: false, output: { status: 'REJECTED' }, rejectedReason: 'Customer account is frozen' },
      },
      policy,
      T0 + SEC,
    );
    expectStateChange(a, r, { state: 'todo', reason: 'updated_by_integration' });
    expect(r.action).toMatchObject({
      rejectedReason: 'Customer account is frozen',
      queue: 'finance',
      assignee: 'carol',
      escalated: false,
      phase: null,
      dueAt: null,
      closedAt: null,
      output: { status: 'REJECTED' },
    });
    expect(r.effects.map((e) => e.type)).toEqual(['state_changed']);
    expect(stateChanges(r)[0]!.actor).toBe('integration');
  });

  it('a failed success condition without a rejected reason still says why', () => {
    const policy = policyOf({ queue: null, user: null });
    const r = attempt(launch(policy), { type: 'send_answered', status: 200, evaluation: { success: false } }, policy, T0);
    expect(r.action.state).toBe('todo');
    expect(r.action.rejectedReason).toMatch(/success condition/);
    expect(r.action.queue).toBeNull();
    expect(r.action.assignee).toBeNull();
  });
});

describe('completion mode callback', () => {
  const cbPolicy = (o: PolicyOptions = {}) => policyOf({ mode: 'callback', ...o });

  it('a 2xx answer in callback mode means accepted: the action stays Waiting (awaiting callback)', () => {
    const policy = cbPolicy({ timeoutMs: 7 * 24 * HOUR });
    const a = claim(launch(policy), T0);
    const r = step(a, { type: 'send_answered', status: 202, externalReference: 'EXT-42' }, policy, T0 + SEC);
    expectNoStateChange(a, r);
    expect(r.changed).toBe(true);
    expect(r.action.version).toBe(a.version + 1);
    expect(r.action).toMatchObject({
      state: 'waiting',
      phase: 'awaiting_callback',
      externalReference: 'EXT-42',
      heartbeatAt: T0 + SEC,
      nextRetryAt: null,
      attempts: 1,
    });
    expect(r.action.dueAt).toBe(T0 + 7 * 24 * HOUR);
    expect(r.effects).toEqual([]);
  });

  it('a success callback closes the action Done Successfully and merges its data into case data', () => {
    const policy = cbPolicy();
    const a = step(claim(launch(policy), T0), { type: 'send_answered', status: 202 }, policy, T0).action;
    const r = step(a, { type: 'callback', outcome: 'success', data: { creditScore: 710 } }, policy, T0 + HOUR);
    expectStateChange(a, r, { state: 'closed', resolution: 'done_successfully' });
    expect(r.action).toMatchObject({
      output: { creditScore: 710 },
      callbackOutcome: 'success',
      closedAt: T0 + HOUR,
      dueAt: null,
      phase: null,
      escalated: false,
    });
    expect(r.effects).toContainEqual({ type: 'merge_case_data', data: { creditScore: 710 } });
    expect(r.timeline.find((t) => t.kind === 'callback')).toMatchObject({ actor: 'integration', data: { data: { creditScore: 710 } } });
    expect(stateChanges(r)[0]!.actor).toBe('integration');
  });

  it('a success callback with a mapped output merges the output', () => {
    const policy = cbPolicy();
    const a = step(claim(launch(policy), T0), { type: 'send_answered', status: 202 }, policy, T0).action;
    const r = step(a, { type: 'callback', outcome: 'success', data: { raw: 1 }, output: { score: 1 } }, policy, T0 + HOUR);
    expect(r.action.output).toEqual({ score: 1 });
    expect(r.effects).toContainEqual({ type: 'merge_case_data', data: { score: 1 } });
  });

  it('a failure callback turns the action To Do with the rejected reason and allocates it', () => {
    const policy = cbPolicy({ queue: 'kyc', user: 'dave' });
    const a = step(claim(launch(policy), T0), { type: 'send_answered', status: 202 }, policy, T0).action;
    const r = step(a, { type: 'callback', outcome: 'failure', reason: 'Document unreadable' }, policy, T0 + HOUR);
    expectStateChange(a, r, { state: 'todo', reason: 'updated_by_integration' });
    expect(r.action).toMatchObject({
      rejectedReason: 'Document unreadable',
      queue: 'kyc',
      assignee: 'dave',
      escalated: false,
      callbackOutcome: 'failure',
      dueAt: null,
      phase: null,
    });
    expect(r.effects.map((e) => e.type)).toEqual(['state_changed']);
    expect(r.timeline.find((t) => t.kind === 'callback')!.message).toContain('Document unreadable');
  });

  it('a callback of the outcome applied, read before it was (two sent at once), is that one again only with the same data or reason', () => {
    // An outside review: the second of two success callbacks sent at once, with other data, was answered 200 and dropped.
    const policy = cbPolicy();
    const a = step(claim(launch(policy), T0), { type: 'send_answered', status: 202 }, policy, T0).action;
    const now = { policy, now: T0 + HOUR };
    const done = step(a, { type: 'callback', outcome: 'success', data: { ticket: 'A', n: 1 } }, policy, T0 + HOUR).action;
    expect(ok(transition(done, { type: 'callback', outcome: 'success', data: { n: 1, ticket: 'A' } }, now)).timeline).toEqual([]);
    expect(refused(transition(done, { type: 'callback', outcome: 'success', data: { ticket: 'B', n: 1 } }, now))).toMatchObject({
      code: 'CONFLICT',
      message: 'A success callback with other data was already applied to this action; its own is on the timeline',
    });
    // Mapped outputs are compared as mapped; a repeat its caller checked is answered as the first.
    const mapped = step(a, { type: 'callback', outcome: 'success', data: { raw: 1 }, output: { score: 1 } }, policy, T0 + HOUR).action;
    expect(ok(transition(mapped, { type: 'callback', outcome: 'success', data: { raw: 1 }, output: { score: 1 } }, now)).timeline).toEqual(
      [],
    );
    expect(refused(transition(mapped, { type: 'callback', outcome: 'success', data: { raw: 2 }, output: { score: 2 } }, now)).code).toBe(
      'CONFLICT',
    );
    expect(ok(transition(mapped, { type: 'callback', outcome: 'success', data: { raw: 1 }, repeat: true }, now)).timeline).toEqual([]);
    const failed = step(a, { type: 'callback', outcome: 'failure', reason: 'Card declined' }, policy, T0 + HOUR).action;
    expect(ok(transition(failed, { type: 'callback', outcome: 'failure', reason: 'Card declined' }, now)).timeline).toEqual([]);
    expect(refused(transition(failed, { type: 'callback', outcome: 'failure', reason: 'Card expired' }, now)).code).toBe('CONFLICT');
  });

  it('an acknowledgement with the reference the action has is nothing new, even once it closed (a callback carrying it, sent twice at once)', () => {
    const policy = cbPolicy();
    const a = step(claim(launch(policy), T0), { type: 'send_answered', status: 202 }, policy, T0).action;
    const acked = step(a, { type: 'acknowledged', externalReference: 'INC-1' }, policy, T0).action;
    const closed = step(acked, { type: 'callback', outcome: 'success' }, policy, T0 + HOUR).action;
    expect(ok(transition(closed, { type: 'acknowledged', externalReference: 'INC-1' }, { policy, now: T0 + HOUR })).timeline).toEqual([]);
    expect(refused(transition(closed, { type: 'acknowledged', externalReference: 'INC-2' }, { policy, now: T0 + HOUR })).code).toBe(
      'CONFLICT',
    );
  });

  it('a failure callback without a reason still gives a rejected reason', () => {
    const policy = cbPolicy();
    const a = step(claim(launch(policy), T0), { type: 'send_answered', status: 202 }, policy, T0).action;
    const r = step(a, { type: 'callback', outcome: 'failure' }, policy, T0 + HOUR);
    expect(r.action.rejectedReason).toBeTruthy();
  });

  it('after a failure callback the action is a plain manual action: picked up, then completed', () => {
    const policy = cbPolicy();
    let a = step(claim(launch(policy), T0), { type: 'send_answered', status: 202 }, policy, T0).action;
    a = step(a, { type: 'callback', outcome: 'failure', reason: 'no' }, policy, T0 + HOUR).action;
    const picked = step(a, { type: 'picked_up', user: 'erin' }, policy, T0 + 2 * HOUR);
    expectStateChange(a, picked, { state: 'in_progress', reason: 'updated_by_integration' });
    const done = step(picked.action, { type: 'completed', user: 'erin', resolution: 'done_successfully' }, policy, T0 + 3 * HOUR);
    expectStateChange(picked.action, done, { state: 'closed', resolution: 'done_successfully' });
  });

  it.each(['queued', 'sending'] as const)(
    'a callback that arrives while the action is still %s (before the send was recorded) counts all the same',
    (phase) => {
      const policy = cbPolicy();
      const launched = launch(policy);
      const a = phase === 'sending' ? claim(launched, T0) : launched;
      expect(a.phase).toBe(phase);
      const r = step(a, { type: 'callback', outcome: 'success', data: { ok: true } }, policy, T0 + 10);
      expectStateChange(a, r, { state: 'closed', resolution: 'done_successfully' });
      expect(r.effects).toContainEqual({ type: 'merge_case_data', data: { ok: true } });
      expect(r.action.dueAt).toBeNull();
    },
  );

  it('a late send answer after a callback closed the action is recorded on the timeline and changes nothing else', () => {
    const policy = cbPolicy();
    const sending = claim(launch(policy), T0);
    const closed = step(sending, { type: 'callback', outcome: 'success', data: { ok: true } }, policy, T0 + 10).action;
    for (const late of [
      { type: 'send_answered', status: 202 },
      { type: 'send_answered', status: 500, bodyExcerpt: 'boom' },
      connErr,
    ] as ActionEvent[]) {
      const r = step(closed, late, policy, T0 + 20);
      expectNoStateChange(closed, r);
      expect(r.effects).toEqual([]);
      expect(r.timeline.map((t) => t.kind)).toEqual(['attempt', 'ignored']);
      expect(r.changed).toBe(true);
      expect(r.action.version).toBe(closed.version + 1);
      // The attempt did happen, so it is recorded; nothing about the outcome moves.
      expect(r.action.attempts).toBe(closed.attempts + 1);
      expect(r.action).toMatchObject({
        state: 'closed',
        resolution: 'done_successfully',
        output: closed.output,
        callbackOutcome: 'success',
        closedAt: closed.closedAt,
        dueAt: null,
        phase: null,
        nextRetryAt: null,
        lastError: null,
        rejectedReason: null,
        escalated: false,
      });
    }
  });

  it('a late send answer after a failure callback leaves the action To Do', () => {
    const policy = cbPolicy();
    const todo = step(claim(launch(policy), T0), { type: 'callback', outcome: 'failure', reason: 'bad' }, policy, T0 + 10).action;
    const r = step(todo, { type: 'send_answered', status: 202 }, policy, T0 + 20);
    expect(r.action).toMatchObject({ state: 'todo', reason: 'updated_by_integration', rejectedReason: 'bad', phase: null, dueAt: null });
    expect(r.effects).toEqual([]);
  });

  it('the same callback twice is answered ok and the repeat changes nothing', () => {
    const policy = cbPolicy();
    const a = step(claim(launch(policy), T0), { type: 'send_answered', status: 202 }, policy, T0).action;
    const closed = step(a, { type: 'callback', outcome: 'success', data: { v: 1 } }, policy, T0 + HOUR).action;
    expectUnchanged(closed, step(closed, { type: 'callback', outcome: 'success', data: { v: 1 } }, policy, T0 + 2 * HOUR));
    const todo = step(a, { type: 'callback', outcome: 'failure', reason: 'r' }, policy, T0 + HOUR).action;
    expectUnchanged(todo, step(todo, { type: 'callback', outcome: 'failure', reason: 'r' }, policy, T0 + 2 * HOUR));
  });

  it('a callback with a different outcome than the one applied is a CONFLICT', () => {
    const policy = cbPolicy();
    const a = step(claim(launch(policy), T0), { type: 'send_answered', status: 202 }, policy, T0).action;
    const closed = step(a, { type: 'callback', outcome: 'success' }, policy, T0 + HOUR).action;
    expect(refused(transition(closed, { type: 'callback', outcome: 'failure', reason: 'x' }, { policy, now: T0 + 2 * HOUR })).code).toBe(
      'CONFLICT',
    );
    const todo = step(a, { type: 'callback', outcome: 'failure' }, policy, T0 + HOUR).action;
    expect(refused(transition(todo, { type: 'callback', outcome: 'success' }, { policy, now: T0 + 2 * HOUR })).code).toBe('CONFLICT');
  });

  it('a callback on an action closed by retries is a CONFLICT', () => {
    const policy = cbPolicy({ retry: { maxRetries: 0 } });
    const closed = attempt(launch(policy), connErr, policy, T0).action;
    expect(closed).toMatchObject({ state: 'closed', resolution: 'not_done_successfully' });
    const r = refused(transition(closed, { type: 'callback', outcome: 'success', data: {} }, { policy, now: T0 + MIN }));
    expect(r.code).toBe('CONFLICT');
    expect(refused(transition(closed, { type: 'callback', outcome: 'failure' }, { policy, now: T0 + MIN })).code).toBe('CONFLICT');
  });

  it('a callback on an action that already timed out is a CONFLICT', () => {
    const policy = cbPolicy({ timeoutMs: HOUR });
    const a = step(claim(launch(policy), T0), { type: 'send_answered', status: 202 }, policy, T0).action;
    const todo = step(a, { type: 'timed_out' }, policy, T0 + HOUR).action;
    expect(refused(transition(todo, { type: 'callback', outcome: 'success' }, { policy, now: T0 + 2 * HOUR })).code).toBe('CONFLICT');
  });

  it('an acknowledgement records the external reference once', () => {
    const policy = cbPolicy();
    const a = step(claim(launch(policy), T0), { type: 'send_answered', status: 202 }, policy, T0).action;
    const r = step(a, { type: 'acknowledged', externalReference: 'EXT-1' }, policy, T0 + MIN);
    expectNoStateChange(a, r);
    expect(r.action.externalReference).toBe('EXT-1');
    expectUnchanged(r.action, step(r.action, { type: 'acknowledged', externalReference: 'EXT-1' }, policy, T0 + 2 * MIN));
  });
});

describe('failed attempts', () => {
  it.each([400, 404, 422])(
    'a non-retryable HTTP answer (%i) turns the action To Do (Rejected by External System) with status and body excerpt as rejected reason',
    (status) => {
      const policy = policyOf({ queue: 'ops', user: null });
      const a = claim(launch(policy), T0);
      const r = step(a, { type: 'send_answered', status, bodyExcerpt: '{"error":"invalid customer"}' }, policy, T0 + SEC);
      expectStateChange(a, r, { state: 'todo', reason: 'request_rejected' });
      expect(r.action).toMatchObject({
        rejectedReason: `HTTP ${status}: {"error":"invalid customer"}`,
        lastError: `HTTP ${status}: {"error":"invalid customer"}`,
        lastErrorAt: T0 + SEC,
        queue: 'ops',
        escalated: false,
        phase: null,
        dueAt: null,
        nextRetryAt: null,
        attempts: 1,
      });
      expect(r.effects.map((e) => e.type)).toEqual(['state_changed']);
    },
  );

  it('a rejected answer without a body says just the status', () => {
    const policy = policyOf();
    const r = attempt(launch(policy), { type: 'send_answered', status: 404 }, policy, T0);
    expect(r.action.rejectedReason).toBe('HTTP 404');
  });

  const retryable: Array<[string, SendOutcome, string]> = [
    ['408', { type: 'send_answered', status: 408 }, 'HTTP 408'],
    ['429', { type: 'send_answered', status: 429, bodyExcerpt: 'slow down' }, 'HTTP 429: slow down'],
    ['500', { type: 'send_answered', status: 500, bodyExcerpt: 'oops' }, 'HTTP 500: oops'],
    ['503', { type: 'send_answered', status: 503 }, 'HTTP 503'],
    ['a connection error', connErr, 'ECONNREFUSED'],
    ['an attempt timeout', { type: 'send_failed', kind: 'timeout', message: 'no answer in 30000 ms' }, 'no answer in 30000 ms'],
  ];

  it.each(retryable)('a retryable failure (%s) with retries left schedules a retry and fills the error bar', (_name, event, lastError) => {
    const policy = policyOf({ retry: { maxRetries: 5, interval: '30s', backoff: 'fixed' } });
    const a = claim(launch(policy), T0);
    const r = step(a, event, policy, T0 + SEC);
    expectNoStateChange(a, r);
    expect(r.changed).toBe(true);
    expect(r.action.version).toBe(a.version + 1);
    expect(r.action).toMatchObject({
      state: 'waiting',
      phase: 'retry_scheduled',
      nextRetryAt: T0 + SEC + 30 * SEC,
      dueAt: T0 + SEC + 30 * SEC,
      lastError,
      lastErrorAt: T0 + SEC,
      attempts: 1,
      escalated: false,
    });
    expect(r.effects).toEqual([]);
    const entry = r.timeline.find((t) => t.kind === 'retry_scheduled')!;
    expect(entry.data).toMatchObject({ retryCount: 0, maxRetries: 5, nextRetryAt: T0 + 31 * SEC });
    expect(entry.message).toContain('Retry 1 of 5');
  });

  it('with no retries left the action closes Not Done Successfully, escalated to the case owner, at N of N', () => {
    const policy = policyOf({ retry: { maxRetries: 2, interval: '10s', backoff: 'fixed' } });
    const { action: a, now } = failUntil(launch(policy), 2, policy);
    expect(retryCount(a)).toBe(1);
    const sending = claim(a, a.nextRetryAt!);
    const r = step(sending, fail503, policy, a.nextRetryAt!);
    expectStateChange(sending, r, { state: 'closed', resolution: 'not_done_successfully' });
    expect(r.effects.map((e) => e.type)).toEqual(['state_changed', 'escalated']);
    expect(r.action).toMatchObject({
      escalated: true,
      attempts: 3,
      phase: null,
      dueAt: null,
      nextRetryAt: null,
      closedAt: a.nextRetryAt,
      lastError: 'HTTP 503: unavailable',
    });
    expect(retryCount(r.action)).toBe(2);
    expect(r.timeline.find((t) => t.kind === 'retry_scheduled')!.data).toEqual({ retryCount: 2, maxRetries: 2 });
    expect(r.timeline.find((t) => t.kind === 'escalated')!.message).toBe('Escalated to the case owner');
    // Without a case there is no owner to tell, and the timeline does not claim one was told.
    const caseless = step({ ...sending, caseId: null }, fail503, policy, a.nextRetryAt!);
    expect(caseless.timeline.find((t) => t.kind === 'escalated')!.message).toBe('Escalated (no case, so no owner to notify)');
    expect(now).toBeLessThan(a.nextRetryAt!);
    // Once closed, an action is never retried automatically.
    expect(computeDueAt(r.action, policy, a.nextRetryAt! + HOUR)).toBeNull();
    expect(isTimedOut(r.action, policy, a.nextRetryAt! + 48 * HOUR)).toBe(false);
  });

  it('maxRetries 5 means up to 6 attempts', () => {
    const policy = policyOf({ retry: { maxRetries: 5, interval: '1s', backoff: 'fixed' } });
    let a = launch(policy);
    let now = T0;
    const counts: number[] = [];
    for (;;) {
      const r = attempt(a, connErr, policy, now);
      a = r.action;
      if (a.state === 'closed') break;
      counts.push(retryCount(a));
      now = a.nextRetryAt!;
    }
    expect(a.attempts).toBe(6);
    expect(retryCount(a)).toBe(5);
    expect(counts).toEqual([0, 1, 2, 3, 4]);
    expect(a).toMatchObject({ resolution: 'not_done_successfully', escalated: true });
  });

  it('maxRetries 0 closes on the first retryable failure', () => {
    const policy = policyOf({ retry: { maxRetries: 0 } });
    const r = attempt(launch(policy), fail503, policy, T0);
    expect(r.action).toMatchObject({ state: 'closed', resolution: 'not_done_successfully', escalated: true, attempts: 1 });
  });

  it('exponential backoff doubles the delay each retry and stops at maxInterval', () => {
    const policy = policyOf({ retry: { maxRetries: 10, interval: '1s', backoff: 'exponential', maxInterval: '10s' } });
    let a = launch(policy);
    let now = T0;
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      a = attempt(a, connErr, policy, now).action;
      delays.push(a.nextRetryAt! - now);
      now = a.nextRetryAt!;
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 10000, 10000, 10000]);
  });

  it('fixed backoff keeps the interval', () => {
    const policy = policyOf({ retry: { maxRetries: 10, interval: '5s', backoff: 'fixed' } });
    let a = launch(policy);
    let now = T0;
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      a = attempt(a, fail503, policy, now).action;
      delays.push(a.nextRetryAt! - now);
      now = a.nextRetryAt! + 250;
    }
    expect(delays).toEqual([5000, 5000, 5000, 5000]);
  });

  it('jitter spreads the delay within ±jitter, driven by rand', () => {
    const policy = policyOf({ retry: { maxRetries: 3, interval: '10s', backoff: 'fixed', jitter: 0.2 } });
    const delay = (rand: number) => attempt(launch(policy), connErr, policy, T0, rand).action.nextRetryAt! - T0;
    expect(delay(0)).toBe(8000);
    expect(delay(0.5)).toBe(10000);
    expect(delay(0.75)).toBe(11000);
    expect(delay(0.999999)).toBeLessThanOrEqual(12000);
    for (let i = 0; i < 50; i++) {
      const d = delay(i / 50);
      expect(d).toBeGreaterThanOrEqual(8000);
      expect(d).toBeLessThanOrEqual(12000);
    }
    // Same rand, same delay: the function is pure.
    expect(delay(0.3)).toBe(delay(0.3));
  });

  it('a Retry-After answer is honoured as a floor, not a replacement', () => {
    const policy = policyOf({ retry: { maxRetries: 3, interval: '10s', backoff: 'fixed' } });
    const later = attempt(launch(policy), { type: 'send_answered', status: 429, retryAfterMs: 120_000 }, policy, T0);
    expect(later.action.nextRetryAt).toBe(T0 + 120_000);
    expect(later.timeline.find((t) => t.kind === 'retry_scheduled')!.data).toMatchObject({ retryAfterMs: 120_000 });
    const sooner = attempt(launch(policy), { type: 'send_answered', status: 503, retryAfterMs: 2_000 }, policy, T0);
    expect(sooner.action.nextRetryAt).toBe(T0 + 10_000);
  });

  it('no retry is scheduled later than launch + window: the action closes Not Done Successfully', () => {
    const policy = policyOf({ retry: { maxRetries: 10, interval: '4s', backoff: 'exponential', window: '10s' } });
    const first = attempt(launch(policy), connErr, policy, T0);
    expect(first.action.nextRetryAt).toBe(T0 + 4000);
    const sending = claim(first.action, T0 + 4000);
    const second = step(sending, connErr, policy, T0 + 4000);
    // The next retry would be at T0 + 12 s, past the 10 s window.
    expectStateChange(sending, second, { state: 'closed', resolution: 'not_done_successfully' });
    expect(second.action.escalated).toBe(true);
    expect(second.effects.map((e) => e.type)).toEqual(['state_changed', 'escalated']);
    // It says what happened: the window has not passed yet, the next retry would fall after it.
    expect(second.timeline.find((t) => t.kind === 'retry_scheduled')!.message).toBe(
      `No retry: the next retry, at ${new Date(T0 + 12_000).toISOString()}, would fall after the retry window ends at ${new Date(T0 + 10_000).toISOString()} (1 of 10 retries made)`,
    );
  });

  it('an attempt that fails after the retry window ended says the window ended (not that a retry would fall after it)', () => {
    const policy = policyOf({ retry: { maxRetries: 10, interval: '1s', window: '10s' } });
    // Sent late (a manual retry, a long outage): the window ended before this attempt failed.
    const late = attempt(launch(policy), connErr, policy, T0 + 30_000);
    expect(late.action).toMatchObject({ state: 'closed', resolution: 'not_done_successfully' });
    const entry = late.timeline.find((t) => t.kind === 'retry_scheduled')!;
    expect(entry.message).toBe(`No retry: the retry window ended at ${new Date(T0 + 10_000).toISOString()} (0 of 10 retries made)`);
    expect(entry.data).toMatchObject({ windowEndsAt: new Date(T0 + 10_000).toISOString() });
  });

  it('a Retry-After past the window closes the action too', () => {
    const policy = policyOf({ retry: { maxRetries: 10, interval: '1s', window: '1m' } });
    const r = attempt(launch(policy), { type: 'send_answered', status: 503, retryAfterMs: 2 * MIN }, policy, T0);
    expect(r.action).toMatchObject({ state: 'closed', resolution: 'not_done_successfully', escalated: true });
  });

  it('retryOn decides what is retried: an excluded connection error closes at once, an excluded status is rejected', () => {
    const policy = policyOf({ retry: { maxRetries: 5, retryOn: ['timeout', '503'] } });
    const closed = attempt(launch(policy), connErr, policy, T0);
    expect(closed.action).toMatchObject({
      state: 'closed',
      resolution: 'not_done_successfully',
      escalated: true,
      lastError: 'ECONNREFUSED',
    });
    expect(closed.effects.map((e) => e.type)).toEqual(['state_changed', 'escalated']);

    const rejected = attempt(launch(policy), { type: 'send_answered', status: 500, bodyExcerpt: 'x' }, policy, T0);
    expect(rejected.action).toMatchObject({ state: 'todo', reason: 'request_rejected', rejectedReason: 'HTTP 500: x', escalated: false });

    const retried = attempt(launch(policy), { type: 'send_answered', status: 503 }, policy, T0);
    expect(retried.action.phase).toBe('retry_scheduled');
    const timeout = attempt(launch(policy), { type: 'send_failed', kind: 'timeout', message: 't' }, policy, T0);
    expect(timeout.action.phase).toBe('retry_scheduled');
    const s429 = attempt(launch(policy), { type: 'send_answered', status: 429 }, policy, T0);
    expect(s429.action).toMatchObject({ state: 'todo', reason: 'request_rejected' });
  });

  it('a request that cannot be made turns the action To Do (Invalid Input) and nothing is counted as a retry', () => {
    const policy = policyOf();
    const a = claim(launch(policy), T0);
    const r = step(a, { type: 'send_refused', cause: 'invalid_input', message: 'input.amount: must be a number' }, policy, T0);
    expectStateChange(a, r, { state: 'todo', reason: 'invalid_input' });
    expect(r.action).toMatchObject({ rejectedReason: 'input.amount: must be a number', attempts: 0, escalated: false });
    const dest = step(a, { type: 'send_refused', cause: 'destination_refused', message: 'private address' }, policy, T0);
    expect(dest.action).toMatchObject({ state: 'todo', reason: 'request_rejected' });
  });

  it('a 2xx answer that cannot be used (body past the cap) turns the action To Do with the reason, counted, not retried', () => {
    const policy = policyOf();
    const a = claim(launch(policy), T0);
    const why = 'the response body is larger than 1048576 bytes';
    const r = step(a, { type: 'send_answered', status: 200, unusable: why }, policy, T0);
    expectStateChange(a, r, { state: 'todo', reason: 'request_rejected' });
    expect(r.action).toMatchObject({ rejectedReason: why, lastError: why, attempts: 1, nextRetryAt: null, escalated: false });
    expect(r.timeline[0]!.message).toContain(why);
  });

  it('waiting for a rate limit is not a failure and is not counted', () => {
    const policy = policyOf();
    const a = claim(launch(policy), T0);
    const r = step(a, { type: 'throttled', until: T0 + 5 * SEC, why: 'rate limit 10/s' }, policy, T0);
    expectNoStateChange(a, r);
    expect(r.action).toMatchObject({ phase: 'throttled', dueAt: T0 + 5 * SEC, attempts: 0, lastError: null });
  });
});

describe('completion timeout and heartbeat', () => {
  it('when the completion timeout passes the action turns To Do (Timeout) and is allocated; the owner is NOT notified', () => {
    const policy = policyOf({ timeoutMs: HOUR, queue: 'ops', user: 'frank' });
    const a = attempt(launch(policy), fail503, policy, T0).action;
    expect(isTimedOut(a, policy, T0 + HOUR - 1)).toBe(false);
    expect(isTimedOut(a, policy, T0 + HOUR)).toBe(true);
    const r = step(a, { type: 'timed_out' }, policy, T0 + HOUR);
    expectStateChange(a, r, { state: 'todo', reason: 'timeout' });
    expect(r.action).toMatchObject({
      queue: 'ops',
      assignee: 'frank',
      escalated: false,
      phase: null,
      dueAt: null,
      nextRetryAt: null,
      lastError: 'Completion timeout passed',
      lastErrorAt: T0 + HOUR,
    });
    expect(r.effects.map((e) => e.type)).toEqual(['state_changed']);
  });

  it('the completion deadline bounds when a waiting action is next due', () => {
    const policy = policyOf({ timeoutMs: 20 * SEC, retry: { maxRetries: 3, interval: '1m', backoff: 'fixed' } });
    const a = attempt(launch(policy), connErr, policy, T0).action;
    expect(a.nextRetryAt).toBe(T0 + MIN);
    expect(a.dueAt).toBe(T0 + 20 * SEC);
    expect(computeDueAt(a, policy, T0)).toBe(T0 + 20 * SEC);
  });

  it('a callback-mode action awaiting its callback waits for weeks when it has no deadline', () => {
    const policy = policyOf({ mode: 'callback', timeoutMs: null });
    const a = attempt(launch(policy), { type: 'send_answered', status: 202 }, policy, T0).action;
    expect(a.dueAt).toBeNull();
    expect(isTimedOut(a, policy, T0 + 60 * 24 * HOUR)).toBe(false);
  });

  it('a heartbeat timeout times out an action awaiting its callback when the external system stops reporting', () => {
    const policy = policyOf({ mode: 'callback', timeoutMs: 7 * 24 * HOUR, heartbeatTimeoutMs: 10 * MIN });
    const a = attempt(launch(policy), { type: 'send_answered', status: 202 }, policy, T0).action;
    expect(a.dueAt).toBe(T0 + 10 * MIN);
    expect(computeDueAt(a, policy, T0 + MIN)).toBe(T0 + 10 * MIN);
    expect(isTimedOut(a, policy, T0 + 10 * MIN - 1)).toBe(false);
    expect(isTimedOut(a, policy, T0 + 10 * MIN)).toBe(true);
    const r = step(a, { type: 'timed_out' }, policy, T0 + 10 * MIN);
    expectStateChange(a, r, { state: 'todo', reason: 'timeout' });
    expect(r.action.lastError).toBe('No heartbeat from the external system in time');
    expect(r.action.escalated).toBe(false);
  });

  it('a heartbeat timeout without a completion timeout is reported as a missing heartbeat', () => {
    const policy = policyOf({ mode: 'callback', timeoutMs: null, heartbeatTimeoutMs: 10 * MIN });
    const a = attempt(launch(policy), { type: 'send_answered', status: 202 }, policy, T0).action;
    expect(isTimedOut(a, policy, T0 + 10 * MIN)).toBe(true);
    const r = step(a, { type: 'timed_out' }, policy, T0 + 10 * MIN);
    expect(r.action).toMatchObject({ state: 'todo', reason: 'timeout', lastError: 'No heartbeat from the external system in time' });
  });

  it('a quiet heartbeat (a repeat of the last noted one) moves the deadline and is written, with no timeline entry', () => {
    const policy = policyOf({ mode: 'callback', timeoutMs: 7 * 24 * HOUR, heartbeatTimeoutMs: 10 * MIN });
    const a = attempt(launch(policy), { type: 'send_answered', status: 202 }, policy, T0).action;
    const r = step(a, { type: 'heartbeat', quiet: true }, policy, T0 + 8 * MIN);
    expectNoStateChange(a, r);
    expect(r).toMatchObject({ changed: true, timeline: [], effects: [] });
    expect(r.action).toMatchObject({ heartbeatAt: T0 + 8 * MIN, dueAt: T0 + 18 * MIN, version: a.version + 1 });
  });

  it('a heartbeat moves the heartbeat deadline', () => {
    const policy = policyOf({ mode: 'callback', timeoutMs: 7 * 24 * HOUR, heartbeatTimeoutMs: 10 * MIN });
    const a = attempt(launch(policy), { type: 'send_answered', status: 202 }, policy, T0).action;
    const r = step(a, { type: 'heartbeat', note: '50% done' }, policy, T0 + 8 * MIN);
    expectNoStateChange(a, r);
    expect(r.action).toMatchObject({ heartbeatAt: T0 + 8 * MIN, dueAt: T0 + 18 * MIN, version: a.version + 1 });
    expect(r.timeline[0]).toMatchObject({ kind: 'heartbeat', actor: 'integration', message: 'Progress: 50% done' });
    expect(isTimedOut(r.action, policy, T0 + 10 * MIN)).toBe(false);
    expect(isTimedOut(r.action, policy, T0 + 18 * MIN)).toBe(true);
    // The completion deadline still wins when it is sooner.
    const near = { ...r.action, timeoutAt: T0 + 12 * MIN };
    expect(computeDueAt(near, policy, T0 + 8 * MIN)).toBe(T0 + 12 * MIN);
  });

  it('a deadline that moved since it was scheduled is rescheduled, not timed out: due_rescheduled', () => {
    const short = policyOf({ mode: 'callback', timeoutMs: 7 * 24 * HOUR, heartbeatTimeoutMs: 10 * MIN });
    const a = attempt(launch(short), { type: 'send_answered', status: 202 }, short, T0).action;
    expect(a.dueAt).toBe(T0 + 10 * MIN);
    // The heartbeat timeout is raised to an hour; the engine claims the action at the old deadline.
    const long = policyOf({ mode: 'callback', timeoutMs: 7 * 24 * HOUR, heartbeatTimeoutMs: HOUR });
    const claimed = { ...a, dueAt: T0 + 10 * MIN + LEASE, version: a.version + 1 };
    expect(isTimedOut(claimed, long, T0 + 10 * MIN)).toBe(false);
    const r = step(claimed, { type: 'due_rescheduled' }, long, T0 + 10 * MIN);
    expect(r).toMatchObject({ changed: true, timeline: [], effects: [] });
    expect(r.action).toEqual({ ...claimed, dueAt: T0 + HOUR, version: claimed.version + 1 });
    // The completion deadline still wins when it is sooner.
    const near = { ...claimed, timeoutAt: T0 + 30 * MIN };
    expect(step(near, { type: 'due_rescheduled' }, long, T0 + 10 * MIN).action.dueAt).toBe(T0 + 30 * MIN);
    // Without any deadline left, nothing is due until the callback comes.
    const none = policyOf({ mode: 'callback', timeoutMs: null, heartbeatTimeoutMs: null });
    expect(step({ ...claimed, timeoutAt: null }, { type: 'due_rescheduled' }, none, T0 + 10 * MIN).action.dueAt).toBeNull();
  });

  it('due_rescheduled is refused past the deadline (that is a timeout) and outside awaiting_callback', () => {
    const policy = policyOf({ mode: 'callback', timeoutMs: 7 * 24 * HOUR, heartbeatTimeoutMs: 10 * MIN });
    const a = attempt(launch(policy), { type: 'send_answered', status: 202 }, policy, T0).action;
    expect(refused(transition(a, { type: 'due_rescheduled' }, { policy, now: T0 + 10 * MIN })).message).toMatch(/times out/);
    const retrying = attempt(launch(policy), connErr, policy, T0).action;
    expect(retrying.phase).toBe('retry_scheduled');
    expect(refused(transition(retrying, { type: 'due_rescheduled' }, { policy, now: T0 + MIN })).code).toBe('INVALID_STATE');
    const closed = step(a, { type: 'callback', outcome: 'success' }, policy, T0 + MIN).action;
    expect(refused(transition(closed, { type: 'due_rescheduled' }, { policy, now: T0 + 2 * MIN })).code).toBe('INVALID_STATE');
  });

  it('a heartbeat timeout does not apply before the action awaits its callback', () => {
    const policy = policyOf({ mode: 'callback', timeoutMs: null, heartbeatTimeoutMs: MIN });
    const a = attempt(launch(policy), connErr, policy, T0).action;
    expect(a.phase).toBe('retry_scheduled');
    expect(isTimedOut(a, policy, T0 + HOUR)).toBe(false);
  });

  it('a heartbeat on an action that no longer waits is a CONFLICT', () => {
    const policy = policyOf({ mode: 'callback' });
    const a = attempt(launch(policy), { type: 'send_answered', status: 202 }, policy, T0).action;
    const closed = step(a, { type: 'callback', outcome: 'success' }, policy, T0 + MIN).action;
    expect(refused(transition(closed, { type: 'heartbeat' }, { policy, now: T0 + 2 * MIN })).code).toBe('CONFLICT');
  });

  it('only a waiting action can time out', () => {
    const policy = policyOf();
    const closed = attempt(launch(policy), { type: 'send_answered', status: 200 }, policy, T0).action;
    expect(refused(transition(closed, { type: 'timed_out' }, { policy, now: T0 + 48 * HOUR })).code).toBe('INVALID_STATE');
  });

  it('a timeout whose deadline has moved (a heartbeat came first) is refused and changes nothing', () => {
    const policy = policyOf({ mode: 'callback', timeoutMs: HOUR });
    const waiting = attempt(launch(policy), { type: 'send_answered', status: 202 }, policy, T0).action;
    expect(refused(transition(waiting, { type: 'timed_out' }, { policy, now: T0 + HOUR - 1 })).code).toBe('INVALID_STATE');
    expect(step(waiting, { type: 'timed_out' }, policy, T0 + HOUR).action.state).toBe('todo');
  });

  it('a send answer that arrives after the action timed out is recorded and changes nothing else', () => {
    const policy = policyOf({ timeoutMs: HOUR });
    const sending = claim(launch(policy), T0 + HOUR - 1);
    const todo = step(sending, { type: 'timed_out' }, policy, T0 + HOUR).action;
    const r = step(todo, { type: 'send_answered', status: 200, evaluation: { success: true, output: { a: 1 } } }, policy, T0 + HOUR + 1);
    expectNoStateChange(todo, r);
    expect(r.effects).toEqual([]);
    expect(r.action.output).toBeNull();
    expect(r.timeline.map((t) => t.kind)).toEqual(['attempt', 'ignored']);
  });
});

describe('people', () => {
  const todoAction = (policy: ActionPolicy) => attempt(launch(policy), { type: 'send_answered', status: 400 }, policy, T0).action;

  it('a user picks up a To Do action: In Progress, assigned to them', () => {
    const policy = policyOf({ user: null });
    const a = todoAction(policy);
    const r = step(a, { type: 'picked_up', user: 'gina' }, policy, T0 + MIN);
    expectStateChange(a, r, { state: 'in_progress', reason: 'request_rejected' });
    expect(r.action.assignee).toBe('gina');
    expect(r.timeline.find((t) => t.kind === 'picked_up')).toMatchObject({ actor: 'user:gina', message: 'Picked up by gina' });
  });

  it('picking up a task allocated to someone else says whose it was', () => {
    const policy = policyOf({ user: null });
    const a = { ...todoAction(policy), assignee: 'hal' };
    const r = step(a, { type: 'picked_up', user: 'gina' }, policy, T0 + MIN);
    expect(r.action.assignee).toBe('gina');
    expect(r.timeline.find((t) => t.kind === 'picked_up')!.message).toBe("Picked up by gina; it was hal's");
  });

  it('only a To Do action can be picked up', () => {
    const policy = policyOf();
    const waiting = launch(policy);
    expect(refused(transition(waiting, { type: 'picked_up', user: 'gina' }, { policy, now: T0 })).code).toBe('INVALID_STATE');
    const inProgress = step(todoAction(policy), { type: 'picked_up', user: 'gina' }, policy, T0).action;
    expect(refused(transition(inProgress, { type: 'picked_up', user: 'hal' }, { policy, now: T0 })).code).toBe('INVALID_STATE');
  });

  it('picking up a task you already hold changes nothing and is not refused (a double click, a retried request)', () => {
    const policy = policyOf();
    const inProgress = step(todoAction(policy), { type: 'picked_up', user: 'gina' }, policy, T0).action;
    const again = transition(inProgress, { type: 'picked_up', user: 'gina' }, { policy, now: T0 + MIN });
    expect(again).toMatchObject({ ok: true, changed: false, action: inProgress, timeline: [], effects: [] });
  });

  const resolutions: Resolution[] = ['done_successfully', 'not_done_successfully'];
  it.each(resolutions.flatMap((res) => [['todo', res] as const, ['in_progress', res] as const]))(
    'a user completes a %s action with the resolution they chose (%s)',
    (from, resolution) => {
      const policy = policyOf();
      let a = todoAction(policy);
      if (from === 'in_progress') a = step(a, { type: 'picked_up', user: 'gina' }, policy, T0).action;
      const r = step(a, { type: 'completed', user: 'gina', resolution, note: 'Called the customer' }, policy, T0 + HOUR);
      expectStateChange(a, r, { state: 'closed', resolution });
      expect(r.action).toMatchObject({ closedAt: T0 + HOUR, escalated: false, dueAt: null });
      // A To Do task is alice's (the policy allocates to her): she is told gina completed it.
      expect(r.effects.map((e) => e.type)).toEqual(from === 'todo' ? ['notify', 'state_changed'] : ['state_changed']);
      expect(r.timeline.findLast((t) => t.kind === 'completed')).toMatchObject({ actor: 'user:gina', message: 'Called the customer' });
      expect(stateChanges(r)[0]!.actor).toBe('user:gina');
    },
  );

  it('a task In Progress with one person is refused to another unless overridden; a To Do one allocated to someone is not', () => {
    const policy = policyOf(); // allocated to alice
    const todo = todoAction(policy);
    expect(todo.assignee).toBe('alice');
    expect(step(todo, { type: 'completed', user: 'gina', resolution: 'done_successfully' }, policy, T0).action.state).toBe('closed');
    const gina = step(todo, { type: 'picked_up', user: 'gina' }, policy, T0).action;
    const r = refused(transition(gina, { type: 'completed', user: 'hal', resolution: 'done_successfully' }, { policy, now: T0 }));
    expect(r).toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('gina is working on this task') });
    const forced = step(gina, { type: 'completed', user: 'hal', resolution: 'done_successfully', override: true }, policy, T0);
    expect(forced.action.state).toBe('closed');
    expect(forced.timeline.find((t) => t.kind === 'completed')).toMatchObject({
      actor: 'user:hal',
      message: 'Completed by hal while gina was working on it',
    });
  });

  it('completing is refused while the action is closed and while an attempt is in flight', () => {
    const policy = policyOf();
    const closed = attempt(launch(policy), { type: 'send_answered', status: 200 }, policy, T0).action;
    expect(
      refused(transition(closed, { type: 'completed', user: 'gina', resolution: 'not_done_successfully' }, { policy, now: T0 })).code,
    ).toBe('INVALID_STATE');
    const sending = claim(launch(policy), T0);
    expect(
      refused(transition(sending, { type: 'completed', user: 'gina', resolution: 'done_successfully' }, { policy, now: T0 })).code,
    ).toBe('INVALID_STATE');
  });

  it('a user can resolve a failing action waiting for its next retry', () => {
    const policy = policyOf();
    const a = attempt(launch(policy), connErr, policy, T0).action;
    const r = step(a, { type: 'completed', user: 'gina', resolution: 'done_successfully' }, policy, T0 + SEC);
    expectStateChange(a, r, { state: 'closed', resolution: 'done_successfully' });
    expect(r.action).toMatchObject({ phase: null, dueAt: null, nextRetryAt: null });
  });

  it('a message goes on the timeline and changes nothing else', () => {
    const policy = policyOf();
    const a = launch(policy);
    const r = step(a, { type: 'message', text: 'hello', actor: 'user:gina' }, policy, T0);
    expectNoStateChange(a, r);
    expect(r.timeline).toEqual([{ at: T0, actor: 'user:gina', kind: 'message', message: 'hello' }]);
  });
});

describe('manual retry', () => {
  it('a manual retry from retry_scheduled sends at once and counts as a retry', () => {
    const policy = policyOf({ retry: { maxRetries: 5, interval: '10m', backoff: 'fixed' } });
    const { action: a } = failUntil(launch(policy), 2, policy);
    expect(retryCount(a)).toBe(1);
    const now = T0 + 12 * MIN;
    const r = step(a, { type: 'retry_requested', user: 'ivy' }, policy, now);
    expectNoStateChange(a, r);
    expect(r.action).toMatchObject({ state: 'waiting', phase: 'queued', dueAt: now, version: a.version + 1 });
    expect(computeDueAt(r.action, policy, now)).toBe(now);
    expect(r.timeline[0]).toMatchObject({ kind: 'retry_requested', actor: 'user:ivy' });
    expect(r.timeline[0]!.message).toContain('retry 2');
    // The resend is the attempt that counts.
    const after = attempt(r.action, connErr, policy, now);
    expect(after.action.attempts).toBe(3);
    expect(retryCount(after.action)).toBe(2);
    expect(after.timeline.find((t) => t.kind === 'retry_scheduled')!.data).toMatchObject({ retryCount: 2, maxRetries: 5 });
  });

  it('a retry asked for twice before the engine sends it (a double click) changes nothing the second time', () => {
    const policy = policyOf({ retry: { maxRetries: 5, interval: '10m', backoff: 'fixed' } });
    const { action: a } = failUntil(launch(policy), 2, policy);
    const now = T0 + 12 * MIN;
    const first = step(a, { type: 'retry_requested', user: 'ivy' }, policy, now).action;
    const again = transition(first, { type: 'retry_requested', user: 'ivy' }, { policy, now: now + 50 });
    expect(again).toMatchObject({ ok: true, changed: false, action: first, timeline: [] });
    // With an Idempotency-Key it is noted (nothing else changes), so a repeat of it is known as one.
    const keyed = transition(
      first,
      { type: 'retry_requested', user: 'ivy', request: { idempotencyKey: 'k', hash: 'h' } },
      { policy, now: now + 50 },
    );
    expect(keyed).toMatchObject({ ok: true, changed: true, action: { phase: 'queued', dueAt: first.dueAt } });
    expect((keyed as { timeline: unknown[] }).timeline).toEqual([
      expect.objectContaining({ kind: 'retry_requested', actor: 'user:ivy', data: { requestKey: 'k', requestHash: 'h' } }),
    ]);
    // One that is queued for later (a start time) is still brought forward.
    const later = { ...first, dueAt: now + HOUR, nextRetryAt: now + HOUR };
    expect(transition(later, { type: 'retry_requested', user: 'ivy' }, { policy, now: now + 50 })).toMatchObject({
      ok: true,
      changed: true,
    });
  });

  it('a retry with a corrected input replaces it, notes the earlier values, and is refused if the input changed since', () => {
    const policy = policyOf({ retry: { maxRetries: 5, interval: '10m', backoff: 'fixed' } });
    const { action: a } = failUntil(launch(policy), 2, policy);
    const from = a.input;
    const to = { ...from, amount: 11, Title: 'fixed' };
    const now = T0 + 12 * MIN;
    const r = step(a, { type: 'retry_requested', user: 'ivy', input: { from, to } }, policy, now);
    expect(r.action.input).toEqual(to);
    expect(r.action).toMatchObject({ state: 'waiting', phase: 'queued', dueAt: now });
    expect(r.effects).toContainEqual({ type: 'input_changed', input: to });
    expect(r.timeline.map((e) => e.kind)).toEqual(['input_changed', 'retry_requested']);
    expect(r.timeline[0]).toMatchObject({
      actor: 'user:ivy',
      message: 'Input corrected by ivy: Title, amount',
      data: { fields: ['Title', 'amount'], before: { amount: 10 } },
    });
    // Computed from an input another correction has since replaced: refused, nothing written.
    const stale = transition(
      r.action,
      { type: 'retry_requested', user: 'max', input: { from, to: { ...from, Title: 'mine' } } },
      { policy, now },
    );
    expect(stale).toMatchObject({ ok: false, code: 'CONFLICT' });
    // The same input again is a plain retry: no correction noted, no input written.
    const same = step(a, { type: 'retry_requested', user: 'ivy', input: { from, to: { ...from } } }, policy, now);
    expect(same.timeline.map((e) => e.kind)).toEqual(['retry_requested']);
    expect(same.effects.some((e) => e.type === 'input_changed')).toBe(false);
    // Queued and due already (a second click): the correction is still made, and no retry is counted.
    const due = step(
      r.action,
      { type: 'retry_requested', user: 'ivy', input: { from: to, to: { ...to, Title: 'again' } } },
      policy,
      now + 5,
    );
    expect(due.timeline.map((e) => e.kind)).toEqual(['input_changed']);
    expect(due.action).toMatchObject({ input: { Title: 'again' }, dueAt: now });
    // Earlier values too long for the timeline are named, not kept.
    const big = { ...from, Title: 'x'.repeat(MAX_EARLIER_INPUT_CHARS) };
    const long = step({ ...a, input: big }, { type: 'retry_requested', user: 'ivy', input: { from: big, to: from } }, policy, now);
    expect(long.timeline[0]!.data).toMatchObject({ fields: ['Title'], beforeOmitted: expect.stringContaining('longer than') });
    expect(long.timeline[0]!.data).not.toHaveProperty('before');
  });

  it('To Do, Invalid Input can be retried (its input corrected by the caller); a manual task cannot', () => {
    const policy = policyOf();
    const invalid = { ...launch(policy), state: 'todo' as const, phase: null, reason: 'invalid_input' as const, dueAt: null };
    expect(transition(invalid, { type: 'retry_requested', user: 'ivy' }, { policy, now: T0 })).toMatchObject({ ok: true, changed: true });
    expect(transition({ ...invalid, reason: 'manual' }, { type: 'retry_requested', user: 'ivy' }, { policy, now: T0 })).toMatchObject({
      ok: false,
    });
  });

  it('manual retries count toward the limit', () => {
    const policy = policyOf({ retry: { maxRetries: 2, interval: '10m', backoff: 'fixed' } });
    let a = attempt(launch(policy), connErr, policy, T0).action; // attempt 1
    a = step(a, { type: 'retry_requested', user: 'ivy' }, policy, T0 + MIN).action;
    a = attempt(a, connErr, policy, T0 + MIN).action; // attempt 2 = retry 1 (manual)
    expect(a.phase).toBe('retry_scheduled');
    a = attempt(a, connErr, policy, a.nextRetryAt!).action; // attempt 3 = retry 2 (automatic)
    expect(a).toMatchObject({ state: 'closed', resolution: 'not_done_successfully', attempts: 3 });
    expect(retryCount(a)).toBe(2);
  });

  it('a manual retry of an action closed Not Done Successfully reopens it Waiting, clears the escalation and sets a fresh completion deadline', () => {
    const policy = policyOf({ retry: { maxRetries: 0 }, timeoutMs: 2 * HOUR });
    const closed = attempt(launch(policy), connErr, policy, T0).action;
    expect(closed).toMatchObject({ state: 'closed', escalated: true });
    const now = T0 + 5 * HOUR;
    const r = step(closed, { type: 'retry_requested', user: 'ivy' }, policy, now);
    expectStateChange(closed, r, { state: 'waiting' });
    expect(r.action).toMatchObject({
      phase: 'queued',
      escalated: false,
      dueAt: now,
      timeoutAt: now + 2 * HOUR,
      closedAt: null,
      callbackOutcome: null,
    });
    expect(isTimedOut(r.action, policy, now)).toBe(false);
    expect(computeDueAt(r.action, policy, now)).toBe(now);
    const ok2 = attempt(r.action, { type: 'send_answered', status: 200 }, policy, now);
    expect(ok2.action).toMatchObject({ state: 'closed', resolution: 'done_successfully', attempts: 2 });
    expect(retryCount(ok2.action)).toBe(1);
  });

  it('a manual retry of a To Do action sends it again', () => {
    const policy = policyOf({ mode: 'callback' });
    const todo = attempt(launch(policy), { type: 'send_answered', status: 202 }, policy, T0).action;
    const failed = step(todo, { type: 'callback', outcome: 'failure', reason: 'r' }, policy, T0 + MIN).action;
    const r = step(failed, { type: 'retry_requested', user: 'ivy' }, policy, T0 + 2 * MIN);
    expectStateChange(failed, r, { state: 'waiting' });
    expect(r.action).toMatchObject({ phase: 'queued', callbackOutcome: null, dueAt: T0 + 2 * MIN });
  });

  it('a manual retry is refused on an action closed Done Successfully and while awaiting a callback', () => {
    const policy = policyOf({ mode: 'callback' });
    const awaiting = attempt(launch(policy), { type: 'send_answered', status: 202 }, policy, T0).action;
    expect(refused(transition(awaiting, { type: 'retry_requested', user: 'ivy' }, { policy, now: T0 })).code).toBe('INVALID_STATE');
    const done = step(awaiting, { type: 'callback', outcome: 'success' }, policy, T0).action;
    expect(refused(transition(done, { type: 'retry_requested', user: 'ivy' }, { policy, now: T0 })).code).toBe('INVALID_STATE');
    expect(refused(transition(claim(launch(policy), T0), { type: 'retry_requested', user: 'ivy' }, { policy, now: T0 })).code).toBe(
      'INVALID_STATE',
    );
  });

  it('a manual retry of a paused action sends at once', () => {
    const policy = policyOf({ timeoutMs: null });
    let a = attempt(launch(policy), connErr, policy, T0).action;
    a = step(a, { type: 'paused', user: 'ivy' }, policy, T0 + 1).action;
    expect(a.dueAt).toBeNull();
    const r = step(a, { type: 'retry_requested', user: 'ivy' }, policy, T0 + 2);
    expect(r.action).toMatchObject({ phase: 'queued', dueAt: T0 + 2 });
  });
});

describe('a claim given back (claimed ahead, not sent, changed by a person first)', () => {
  it('returns the phase and due time it had, keeps the version and writes no timeline entry', () => {
    const policy = policyOf();
    const a = { ...launch(policy), dueAt: T0 + 40 };
    const r = step(claim(a, T0), { type: 'claim_released', phase: 'queued', dueAt: T0 + 40 }, policy, T0 + 10);
    expect(r.action).toMatchObject({ state: 'waiting', phase: 'queued', dueAt: T0 + 40, version: a.version });
    expect(r.timeline).toEqual([]);
    // A pause then applies as to a queued action: not due until its completion deadline.
    const paused = step(r.action, { type: 'paused', user: 'jo' }, policy, T0 + 10).action;
    expect(paused).toMatchObject({ phase: 'queued', paused: true, dueAt: T0 + 24 * HOUR });
  });

  it('a retry is due at its nextRetryAt again', () => {
    const policy = policyOf();
    const failed = attempt(launch(policy), { type: 'send_failed', kind: 'connection_error', message: 'refused' }, policy, T0, 0.5).action;
    expect(failed.phase).toBe('retry_scheduled');
    const r = step(
      claim(failed, T0 + 9_990),
      { type: 'claim_released', phase: 'retry_scheduled', dueAt: failed.dueAt! },
      policy,
      T0 + 9_995,
    );
    expect(r.action).toMatchObject({ phase: 'retry_scheduled', dueAt: failed.nextRetryAt, nextRetryAt: failed.nextRetryAt });
  });

  it('is refused for an action that is not claimed for sending', () => {
    const policy = policyOf();
    const r = transition(launch(policy), { type: 'claim_released', phase: 'queued', dueAt: T0 }, { policy, now: T0 });
    expect(r.ok).toBe(false);
  });
});

describe('pause and resume', () => {
  it('a paused action is not retried automatically: it is due only at its completion deadline', () => {
    const policy = policyOf({ timeoutMs: 3 * HOUR });
    const a = attempt(launch(policy), connErr, policy, T0).action;
    expect(a.dueAt).toBe(a.nextRetryAt);
    const r = step(a, { type: 'paused', user: 'jo' }, policy, T0 + SEC);
    expectNoStateChange(a, r);
    expect(r.action).toMatchObject({ paused: true, dueAt: T0 + 3 * HOUR, version: a.version + 1 });
    expect(r.timeline[0]).toMatchObject({ kind: 'paused', actor: 'user:jo' });
    expect(computeDueAt(r.action, policy, T0 + HOUR)).toBe(T0 + 3 * HOUR);
  });

  it('a paused action without a completion deadline is not due at all', () => {
    const policy = policyOf({ timeoutMs: null });
    const a = attempt(launch(policy), connErr, policy, T0).action;
    const paused = step(a, { type: 'paused', user: 'jo' }, policy, T0 + SEC).action;
    expect(paused.dueAt).toBeNull();
    const queued = step(launch(policy), { type: 'paused', user: 'jo' }, policy, T0).action;
    expect(queued.dueAt).toBeNull();
  });

  it('a failure answered while paused schedules no automatic retry', () => {
    const policy = policyOf({ timeoutMs: null });
    const sending = claim(launch(policy), T0);
    const paused = step(sending, { type: 'paused', user: 'jo' }, policy, T0).action;
    const r = step(paused, connErr, policy, T0 + SEC);
    expect(r.action).toMatchObject({ phase: 'retry_scheduled', paused: true, dueAt: null });
    expect(r.action.nextRetryAt).not.toBeNull();
  });

  it('resuming makes the action due again: at once when its retry time has passed', () => {
    const policy = policyOf({ timeoutMs: 3 * HOUR, retry: { maxRetries: 3, interval: '1m', backoff: 'fixed' } });
    const a = attempt(launch(policy), connErr, policy, T0).action;
    const paused = step(a, { type: 'paused', user: 'jo' }, policy, T0 + SEC).action;
    const late = step(paused, { type: 'resumed', user: 'jo' }, policy, T0 + 10 * MIN);
    expectNoStateChange(paused, late);
    expect(late.action).toMatchObject({ paused: false, nextRetryAt: T0 + 10 * MIN, dueAt: T0 + 10 * MIN });
    expect(late.timeline[0]).toMatchObject({ kind: 'resumed', actor: 'user:jo' });
    const early = step(paused, { type: 'resumed', user: 'jo' }, policy, T0 + 30 * SEC);
    expect(early.action).toMatchObject({ paused: false, nextRetryAt: T0 + MIN, dueAt: T0 + MIN });
  });

  it('resuming a queued action makes it due at once', () => {
    const policy = policyOf({ timeoutMs: null });
    const paused = step(launch(policy), { type: 'paused', user: 'jo' }, policy, T0).action;
    const r = step(paused, { type: 'resumed', user: 'jo' }, policy, T0 + HOUR);
    expect(r.action.dueAt).toBe(T0 + HOUR);
  });

  it('a launch waiting for its start time keeps it across a pause: resumed before it, due then, not at once', () => {
    const policy = policyOf({ timeoutMs: null });
    const scheduled = launch(policy, T0, T0 + HOUR);
    const paused = step(scheduled, { type: 'paused', user: 'jo' }, policy, T0 + SEC).action;
    expect(paused.dueAt).toBeNull();
    const early = step(paused, { type: 'resumed', user: 'jo' }, policy, T0 + MIN).action;
    expect(early).toMatchObject({ phase: 'queued', paused: false, dueAt: T0 + HOUR, nextRetryAt: null });
    const late = step(paused, { type: 'resumed', user: 'jo' }, policy, T0 + 2 * HOUR).action;
    expect(late).toMatchObject({ dueAt: T0 + 2 * HOUR, nextRetryAt: null });
    // With a completion deadline: due at it while paused, at its start time once resumed.
    const timed = policyOf({ timeoutMs: 3 * HOUR });
    const withDeadline = launch(timed, T0, T0 + HOUR);
    const p2 = step(withDeadline, { type: 'paused', user: 'jo' }, timed, T0).action;
    expect(p2.dueAt).toBe(T0 + 4 * HOUR);
    expect(step(p2, { type: 'resumed', user: 'jo' }, timed, T0 + MIN).action.dueAt).toBe(T0 + HOUR);
  });

  it('pausing while an attempt is in flight keeps the lease as the due time', () => {
    const policy = policyOf();
    const sending = claim(launch(policy), T0);
    const r = step(sending, { type: 'paused', user: 'jo' }, policy, T0 + SEC);
    expect(r.action).toMatchObject({ paused: true, phase: 'sending', dueAt: T0 + LEASE });
    const resumed = step(r.action, { type: 'resumed', user: 'jo' }, policy, T0 + 2 * SEC);
    expect(resumed.action).toMatchObject({ paused: false, phase: 'sending', dueAt: T0 + LEASE });
  });

  it('pausing twice or resuming an action that is not paused changes nothing; only waiting actions pause', () => {
    const policy = policyOf();
    const a = launch(policy);
    expectUnchanged(a, step(a, { type: 'resumed', user: 'jo' }, policy, T0));
    const paused = step(a, { type: 'paused', user: 'jo' }, policy, T0).action;
    expectUnchanged(paused, step(paused, { type: 'paused', user: 'jo' }, policy, T0 + 1));
    const closed = attempt(a, { type: 'send_answered', status: 200 }, policy, T0).action;
    expect(refused(transition(closed, { type: 'paused', user: 'jo' }, { policy, now: T0 })).code).toBe('INVALID_STATE');
    expect(refused(transition(closed, { type: 'resumed', user: 'jo' }, { policy, now: T0 })).code).toBe('INVALID_STATE');
  });
});

describe('live retry-policy changes', () => {
  const fixed = (maxRetries: number) => policyOf({ retry: { maxRetries, interval: '1m', backoff: 'fixed' } });

  it('raised (5 → 7) on an action already closed 5 of 5: it stays closed, shows 5 of 7, nothing is sent', () => {
    const five = fixed(5);
    const { action: a } = failUntil(launch(five), 6 - 1, five);
    const closed = attempt(a, fail503, five, a.nextRetryAt!).action;
    expect(closed).toMatchObject({ state: 'closed', resolution: 'not_done_successfully', attempts: 6, escalated: true });
    const seven = fixed(7);
    const r = step(closed, { type: 'policy_changed', actor: 'user:admin' }, seven, a.nextRetryAt! + HOUR);
    expectUnchanged(closed, r);
    // What the error bar would show: 5 of 7.
    expect(retryCount(r.action)).toBe(5);
    expect(seven.retry.maxRetries).toBe(7);
    expect(computeDueAt(r.action, seven, a.nextRetryAt! + HOUR)).toBeNull();
    expect(refused(transition(r.action, { type: 'resumed', user: 'x' }, { policy: seven, now: T0 })).code).toBe('INVALID_STATE');
  });

  it('raised (5 → 7) on an action at 4 of 5 still open: it keeps retrying until 7', () => {
    const five = fixed(5);
    const { action: a } = failUntil(launch(five), 5, five);
    expect(retryCount(a)).toBe(4);
    expect(a.phase).toBe('retry_scheduled');
    const seven = fixed(7);
    const changed = step(a, { type: 'policy_changed', actor: 'system' }, seven, a.nextRetryAt! - 1);
    expectUnchanged(a, changed);
    let cur = changed.action;
    const scheduled: Array<Record<string, unknown> | undefined> = [];
    for (;;) {
      const r = attempt(cur, fail503, seven, cur.nextRetryAt!);
      cur = r.action;
      if (cur.state === 'closed') {
        expect(r.timeline.find((t) => t.kind === 'retry_scheduled')!.data).toEqual({ retryCount: 7, maxRetries: 7 });
        break;
      }
      scheduled.push(r.timeline.find((t) => t.kind === 'retry_scheduled')!.data);
    }
    expect(scheduled.map((d) => d!.retryCount)).toEqual([5, 6]);
    expect(cur).toMatchObject({ resolution: 'not_done_successfully', escalated: true, attempts: 8 });
    expect(retryCount(cur)).toBe(7);
  });

  it('lowered (10 → 4) on an action at 4 of 10: it closes at once Not Done Successfully, escalated, and the timeline records the limit in force', () => {
    const ten = fixed(10);
    const { action: a } = failUntil(launch(ten), 5, ten);
    expect(retryCount(a)).toBe(4);
    expect(a.phase).toBe('retry_scheduled');
    const four = fixed(4);
    const now = a.nextRetryAt! - 10 * SEC;
    const r = step(a, { type: 'policy_changed', actor: 'user:admin' }, four, now);
    expectStateChange(a, r, { state: 'closed', resolution: 'not_done_successfully' });
    expect(r.effects.map((e) => e.type)).toEqual(['state_changed', 'escalated']);
    expect(r.action).toMatchObject({ escalated: true, closedAt: now, dueAt: null, nextRetryAt: null, phase: null, attempts: 5 });
    const entry = r.timeline.find((t) => t.kind === 'policy_changed')!;
    expect(entry.actor).toBe('user:admin');
    expect(entry.data).toEqual({ retryCount: 4, maxRetries: 4 });
    expect(computeDueAt(r.action, four, now)).toBeNull();
  });

  it('lowered below the retries already made closes the action too', () => {
    const ten = fixed(10);
    const { action: a } = failUntil(launch(ten), 7, ten);
    const r = step(a, { type: 'policy_changed', actor: 'system' }, fixed(4), a.nextRetryAt! - 1);
    expect(r.action).toMatchObject({ state: 'closed', resolution: 'not_done_successfully', escalated: true });
    expect(r.timeline.find((t) => t.kind === 'policy_changed')!.data).toEqual({ retryCount: 6, maxRetries: 4 });
  });

  it('lowered (10 → 4) on a retry a rate limit or open circuit holds back at 4 of 10: it closes at once too', () => {
    const ten = fixed(10);
    const { action: a } = failUntil(launch(ten), 5, ten);
    const due = a.nextRetryAt!;
    const held = step(claim(a, due), { type: 'throttled', until: due + HOUR, why: 'circuit open' }, ten, due).action;
    expect(held).toMatchObject({ phase: 'throttled', attempts: 5 });
    const four = fixed(4);
    const r = step(held, { type: 'policy_changed', actor: 'user:admin', previousMaxRetries: 10 }, four, due + SEC);
    expectStateChange(held, r, { state: 'closed', resolution: 'not_done_successfully' });
    expect(r.action).toMatchObject({ escalated: true, dueAt: null, phase: null });
    expect(r.timeline.find((t) => t.kind === 'policy_changed')!.data).toEqual({ retryCount: 4, maxRetries: 4 });
    // Still within the new limit: it waits for its window as before.
    expectUnchanged(held, step(held, { type: 'policy_changed', actor: 'system', previousMaxRetries: 10 }, fixed(5), due + SEC));
  });

  it('a held first attempt, or a retry an operator asked for past the old limit, is not closed by a lowered limit', () => {
    const ten = fixed(10);
    const first = step(claim(launch(ten), T0), { type: 'throttled', until: T0 + HOUR, why: 'rate limit 1/h' }, ten, T0).action;
    expectUnchanged(first, step(first, { type: 'policy_changed', actor: 'system', previousMaxRetries: 10 }, fixed(0), T0 + SEC));
    // Exhausted at 3 of 3, retried by an operator (retry 4), held by the rate limit; lowered to 2.
    const three = fixed(3);
    const { action: last } = failUntil(launch(three), 3, three);
    const spent = attempt(last, fail503, three, last.nextRetryAt!).action;
    expect(spent).toMatchObject({ state: 'closed', attempts: 4 });
    const now = T0 + 10 * HOUR;
    const retried = step(spent, { type: 'retry_requested', user: 'ana' }, three, now).action;
    const heldManual = step(claim(retried, now), { type: 'throttled', until: now + HOUR, why: 'rate limit 1/h' }, three, now).action;
    expect(heldManual).toMatchObject({ phase: 'throttled', attempts: 4 });
    expectUnchanged(heldManual, step(heldManual, { type: 'policy_changed', actor: 'system', previousMaxRetries: 3 }, fixed(2), now + SEC));
    // Without the old limit (a caller that does not know it), a held retry is left to its next answer.
    const { action: a } = failUntil(launch(ten), 5, ten);
    const held = step(claim(a, a.nextRetryAt!), { type: 'throttled', until: a.nextRetryAt! + HOUR, why: 'x' }, ten, a.nextRetryAt!).action;
    expectUnchanged(held, step(held, { type: 'policy_changed', actor: 'system' }, fixed(4), a.nextRetryAt! + SEC));
  });

  it('lowered but still above the retries made: nothing changes until the next failure', () => {
    const ten = fixed(10);
    const { action: a } = failUntil(launch(ten), 3, ten);
    const four = fixed(4);
    expectUnchanged(a, step(a, { type: 'policy_changed', actor: 'system' }, four, a.nextRetryAt! - 1));
    // And a lowered limit also applies to an action whose attempt is in flight, at its answer.
    const atFour = failUntil(launch(ten), 5, ten).action;
    const sending = claim(atFour, atFour.nextRetryAt!);
    expectUnchanged(sending, step(sending, { type: 'policy_changed', actor: 'system' }, four, atFour.nextRetryAt!));
    const r = step(sending, fail503, four, atFour.nextRetryAt!);
    expect(r.action).toMatchObject({ state: 'closed', resolution: 'not_done_successfully', escalated: true });
  });
});

describe('invariants', () => {
  it('every state change writes exactly one state_changed entry and effect; version goes up once per changed transition and not at all otherwise', () => {
    const policy = policyOf({
      mode: 'callback',
      retry: { maxRetries: 1, interval: '1s', backoff: 'fixed' },
      timeoutMs: HOUR,
      heartbeatTimeoutMs: 10 * MIN,
    });
    const events: Array<[ActionEvent, number]> = [
      [connErr, T0],
      [{ type: 'paused', user: 'u' }, T0 + 1],
      [{ type: 'paused', user: 'u' }, T0 + 2],
      [{ type: 'resumed', user: 'u' }, T0 + 3],
      [{ type: 'retry_requested', user: 'u' }, T0 + 4],
      [{ type: 'send_answered', status: 202 }, T0 + 5],
      [{ type: 'heartbeat' }, T0 + 6],
      [{ type: 'acknowledged', externalReference: 'E' }, T0 + 7],
      [{ type: 'acknowledged', externalReference: 'E' }, T0 + 8],
      [{ type: 'callback', outcome: 'failure', reason: 'no' }, T0 + 9],
      [{ type: 'callback', outcome: 'failure', reason: 'no' }, T0 + 10],
      [{ type: 'picked_up', user: 'u' }, T0 + 11],
      [{ type: 'message', text: 'hi', actor: 'user:u' }, T0 + 12],
      [{ type: 'completed', user: 'u', resolution: 'not_done_successfully' }, T0 + 13],
      [{ type: 'retry_requested', user: 'u' }, T0 + 14],
      [connErr, T0 + 15],
      [{ type: 'policy_changed', actor: 'system' }, T0 + 16],
    ];
    let a = launch(policy);
    for (const [event, now] of events) {
      const input = (event.type === 'send_answered' || event.type === 'send_failed') && a.state === 'waiting' ? claim(a, now) : a;
      const r = step(input, event, policy, now);
      const stateMoved = r.action.state !== input.state || r.action.reason !== input.reason || r.action.resolution !== input.resolution;
      expect(stateChanges(r), event.type).toHaveLength(stateMoved ? 1 : 0);
      expect(stateEffects(r), event.type).toHaveLength(stateMoved ? 1 : 0);
      expect(r.action.version, event.type).toBe(input.version + (r.changed ? 1 : 0));
      expect(r.changed, event.type).toBe(r.timeline.length > 0 || r.effects.length > 0);
      if (r.changed) expect(r.action.updatedAt).toBe(now);
      else expect(r.action).toEqual(input);
      for (const t of r.timeline) expect(t.at).toBe(now);
      a = r.action;
    }
    expect(a).toMatchObject({ state: 'closed', resolution: 'not_done_successfully' });
  });

  it('transition does not mutate the action it is given', () => {
    const policy = policyOf();
    const a = claim(launch(policy), T0);
    const copy = structuredClone(a);
    step(a, fail503, policy, T0);
    step(a, { type: 'send_answered', status: 200, evaluation: { success: true, output: { x: 1 } } }, policy, T0);
    expect(a).toEqual(copy);
  });

  it('a refusal changes nothing and says why', () => {
    const policy = policyOf();
    const closed = attempt(launch(policy), { type: 'send_answered', status: 200 }, policy, T0).action;
    const r = refused(transition(closed, { type: 'completed', user: 'u', resolution: 'done_successfully' }, { policy, now: T0 }));
    expect(r.message).toMatch(/closed/);
  });
});

describe('overdue: the person told once per due time that passed', () => {
  const task = (o: Partial<ToDoParams> = {}): ActionRecord =>
    toDoAction({
      id: 'a1',
      actionTypeId: null,
      caseId: 'c1',
      input: {},
      reason: 'manual',
      queue: 'desk',
      assignee: 'olga',
      message: 'Call back',
      now: T0,
      actor: 'user:ivan',
      workDueAt: T0 + HOUR,
      ...o,
    }).action;
  const overdue = (a: ActionRecord, now: number): TransitionResult => transition(a, { type: 'overdue' }, { policy: MANUAL_POLICY, now });

  it('tells the assignee, notes it and marks it told; refused before the due time and once told', () => {
    const a = task();
    expect(refused(overdue(a, T0 + HOUR - 1)).code).toBe('INVALID_STATE');
    const r = ok(overdue(a, T0 + HOUR));
    expect(r.action).toMatchObject({ overdueNoticed: true, state: 'todo', assignee: 'olga', version: a.version + 1 });
    expect(r.timeline.map((t) => [t.actor, t.kind, t.message])).toEqual([
      ['system', 'overdue', 'Overdue, olga told: due at 2030-01-01T01:00:00.000Z'],
    ]);
    expect(r.effects).toEqual([
      {
        type: 'notify',
        user: 'olga',
        kind: 'task.overdue',
        message: 'Task a1 on queue desk is overdue: it was due at 2030-01-01T01:00:00.000Z',
      },
    ]);
    expect(refused(overdue(r.action, T0 + 2 * HOUR)).code).toBe('INVALID_STATE');
  });

  it('a new due time may be told again; the same one again keeps it told', () => {
    const told = ok(overdue(task(), T0 + HOUR)).action;
    const same = ok(transition(told, { type: 'due_changed', user: 'olga', dueAt: T0 + HOUR }, { policy: MANUAL_POLICY, now: T0 + HOUR }));
    expect([same.changed, same.action.overdueNoticed]).toEqual([false, true]);
    const moved = ok(
      transition(told, { type: 'due_changed', user: 'olga', dueAt: T0 + 3 * HOUR }, { policy: MANUAL_POLICY, now: T0 + HOUR }),
    );
    expect(moved.action.overdueNoticed).toBe(false);
    expect(refused(overdue(moved.action, T0 + 2 * HOUR)).code).toBe('INVALID_STATE');
    expect(ok(overdue(moved.action, T0 + 3 * HOUR)).action.overdueNoticed).toBe(true);
  });

  it('unassigned: noted, no one told; closed or without a due time: refused', () => {
    const r = ok(overdue(task({ assignee: null }), T0 + HOUR));
    expect([r.timeline[0]!.message, r.effects]).toEqual(['Overdue: due at 2030-01-01T01:00:00.000Z', []]);
    expect(refused(overdue(task({ workDueAt: null }), T0 + HOUR)).code).toBe('INVALID_STATE');
    const closed = ok(
      transition(task(), { type: 'completed', user: 'olga', resolution: 'done_successfully' }, { policy: MANUAL_POLICY, now: T0 }),
    );
    expect(refused(overdue(closed.action, T0 + HOUR)).code).toBe('INVALID_STATE');
  });
});
