// What the outcome of a request to the provider means for its task (rules.ts settleOutbound): a failure
// for good brings the task back to a person and says why; a success after a failure gives it back to
// the provider when nothing moved it on meanwhile; a failure with retries left changes nothing.

import { describe, expect, it } from 'vitest';
import { decide, settleOutbound, type IntegratedTask, type IntegrationLogEntry, type OutboundAction } from './rules.ts';
import type { QueueIntegration } from './integration.ts';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const vendor: QueueIntegration = { connector: 'vendor', onAssign: 'submit', onUpdate: 'update', onClose: null, onResolutionRejected: null };

const submit: IntegrationLogEntry = {
  requestType: 'Submit Request',
  direction: 'Out',
  at: T0,
  payload: {},
  result: 'Launched submit',
  actionId: 'act_1',
  queue: 'vendor-desk',
};
const task = (over: Partial<IntegratedTask> = {}): IntegratedTask => ({
  id: 'task_1',
  title: 'Laptop broken',
  state: 'waiting',
  queue: 'vendor-desk',
  assignee: null,
  externalReference: null,
  caseData: null,
  handBack: null,
  log: [submit],
  ...over,
});
const action = (over: Partial<OutboundAction> = {}): OutboundAction => ({
  id: 'act_1',
  state: 'todo',
  reason: 'request_rejected',
  resolution: null,
  phase: null,
  lastError: 'HTTP 400: {"error":"bad"}',
  queue: null,
  typeName: 'submit',
  ...over,
});

describe('a request to the provider that fails for good', () => {
  it('a rejected Submit Request: the log says why, the task is back To Do on its queue (allocated), the action goes on that queue', () => {
    const s = settleOutbound(task(), submit, action())!;
    expect(s.settle).toEqual({ result: 'Submission failed: HTTP 400: {"error":"bad"}', outcome: 'failed', from: null });
    expect(s.change).toEqual({ state: 'todo', reason: 'request_rejected', resolution: null, phase: null, assignee: null, allocate: true });
    expect(s.timeline?.message).toMatch(
      /^Submit Request to the provider failed \(submit\): HTTP 400.*back To Do on queue vendor-desk.*retry its action act_1/,
    );
    expect(s.putOnQueue).toBe('vendor-desk');
  });

  it('retries used up (closed Not Done) brings the task back too; an action on a queue of its own stays there', () => {
    const s = settleOutbound(task(), submit, action({ state: 'closed', reason: null, resolution: 'not_done_successfully', queue: 'ops' }))!;
    expect(s.change).toMatchObject({ state: 'todo', reason: 'request_rejected' });
    expect(s.putOnQueue).toBeNull();
  });

  it('retries left (Waiting) or awaiting the callback: nothing changes', () => {
    for (const phase of ['retry_scheduled', 'awaiting_callback', 'sending'] as const)
      expect(settleOutbound(task(), submit, action({ state: 'waiting', reason: null, phase }))).toBeNull();
  });

  it('recorded already: nothing again; a retry that fails for another reason updates the result only', () => {
    const failed = { ...submit, result: 'Submission failed: HTTP 400: {"error":"bad"}', outcome: 'failed' as const };
    const back = task({ state: 'todo', log: [failed] });
    expect(settleOutbound(back, failed, action({ queue: 'vendor-desk' }))).toBeNull();
    const s = settleOutbound(back, failed, action({ queue: 'vendor-desk', lastError: 'HTTP 422: no' }))!;
    expect(s).toEqual({
      settle: { result: 'Submission failed: HTTP 422: no', outcome: 'failed', from: 'failed' },
      change: null,
      timeline: null,
      putOnQueue: null,
      tell: null,
    });
  });

  it('a failed Update leaves the task where it is (it was not waiting on it); the log and timeline say so', () => {
    const update: IntegrationLogEntry = { ...submit, requestType: 'Update', actionId: 'act_2', at: T0 + 1 };
    const s = settleOutbound(task({ log: [{ ...submit, outcome: 'sent' }, update] }), update, action({ id: 'act_2' }))!;
    expect(s.settle.result).toBe('Update failed: HTTP 400: {"error":"bad"}');
    expect(s.change).toBeNull();
    expect(s.timeline?.message).toMatch(/^Update to the provider failed/);
  });

  it('a task moved to another queue before the failure is left as it is', () => {
    expect(settleOutbound(task({ queue: 'desk', state: 'todo' }), submit, action())!.change).toBeNull();
  });
});

describe('a failed request that reaches the provider later (retried, or completed by a person)', () => {
  const failed = { ...submit, result: 'Submission failed: HTTP 400', outcome: 'failed' as const };
  const done = action({ state: 'closed', reason: null, resolution: 'done_successfully', queue: 'vendor-desk' });

  it('the task still waiting on it, To Do or In Progress with a person, is the provider’s again: the provider wins', () => {
    for (const t of [task({ state: 'todo', log: [failed] }), task({ state: 'in_progress', assignee: 'olga', log: [failed] })]) {
      const s = settleOutbound(t, failed, done)!;
      expect(s.settle).toEqual({ result: 'Sent after it had failed (Submission failed: HTTP 400)', outcome: 'sent', from: 'failed' });
      expect(s.change).toMatchObject({ state: 'waiting', phase: 'awaiting_callback', assignee: null });
      expect(s.timeline?.message).toMatch(/reached the provider after all.*with the provider again/);
      // The person working it finds it gone from their list: they are told why.
      expect(s.tell).toEqual(t.assignee === null ? null : { user: 'olga', message: expect.stringMatching(/went back to the provider/) });
    }
  });

  it('a task that moved on (closed, or on another queue) stays as it is; the log and timeline say the provider has it', () => {
    for (const t of [task({ state: 'closed', log: [failed] }), task({ state: 'todo', queue: 'desk', log: [failed] })]) {
      const s = settleOutbound(t, failed, done)!;
      expect(s.settle.outcome).toBe('sent');
      expect(s.change).toBeNull();
      expect(s.timeline?.message).toMatch(/stays as it is/);
      expect(s.tell).toBeNull();
    }
  });

  it('a first success is recorded as sent, its result as it was; nothing else', () => {
    expect(settleOutbound(task(), submit, done)).toEqual({
      settle: { result: 'Launched submit', outcome: 'sent', from: null },
      change: null,
      timeline: null,
      putOnQueue: null,
      tell: null,
    });
  });
});

describe('no automatic resubmission after a failure', () => {
  const ctx = { integration: vendor, now: T0 };
  it('assigned to the queue again while the failed action can be retried: nothing is sent (retry it instead)', () => {
    const failed = { ...submit, outcome: 'failed' as const };
    const d = decide(task({ state: 'todo', log: [failed] }), { type: 'assigned', queue: 'vendor-desk', user: null }, ctx);
    expect(d).toMatchObject({ ok: true, launch: null, skipped: expect.stringMatching(/retry its action act_1/) });
  });

  it('assigned again after a submission refused at launch (nothing was sent): a new one goes', () => {
    const notSent = { ...submit, result: 'Not sent: Note: is required', outcome: 'not_sent' as const };
    const d = decide(task({ state: 'todo', log: [notSent] }), { type: 'assigned', queue: 'vendor-desk', user: 'olga' }, ctx);
    expect(d).toMatchObject({ ok: true, launch: { actionType: 'submit' } });
  });
});
