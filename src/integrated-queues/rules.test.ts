// SPEC section 7, row by row: what an integrated queue sends, logs and changes for each event.

import { describe, expect, it } from 'vitest';
import { decide, fitInput, integrationLogView, launchMessage, type Decision, type IntegratedTask, type TaskEvent } from './rules.ts';
import type { QueueIntegration } from './integration.ts';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const vendor: QueueIntegration = {
  connector: 'vendor',
  onAssign: 'vendor-submit',
  onUpdate: 'vendor-update',
  onClose: 'vendor-close',
  onResolutionRejected: 'vendor-reject',
};
const ctx = { integration: vendor, now: T0 };

const newTask = (over: Partial<IntegratedTask> = {}): IntegratedTask => ({
  id: 'task_1',
  title: 'Laptop broken',
  state: 'todo',
  queue: 'hr',
  assignee: null,
  externalReference: null,
  caseData: { employee: 'Sam' },
  handBack: null,
  log: [],
  ...over,
});

type Ok = Extract<Decision, { ok: true }>;
function ok(d: Decision): Ok {
  if (!d.ok) throw new Error(`refused: ${d.message}`);
  return d;
}

/** Applies a decision as the engine will: the change, and the log entry with the launched action's id. */
function apply(task: IntegratedTask, d: Ok, launchedId = 'act_x'): IntegratedTask {
  const { allocate: _allocate, ...change } = d.change ?? {};
  const log = d.log ? [...task.log, { ...d.log, actionId: d.launch ? launchedId : null }] : task.log;
  return { ...task, ...change, log };
}

/** A task submitted to the vendor queue: with the provider. */
function submitted(over: Partial<IntegratedTask> = {}): IntegratedTask {
  return apply(newTask(over), ok(decide(newTask(over), { type: 'assigned', queue: 'vendor-desk', user: 'alice' }, ctx)), 'act_submit');
}

describe('outbound: what an operator does launches the queue’s action types', () => {
  it("a task assigned to the queue the first time launches 'new assignment' (Submit Request, Out) and goes to the provider", () => {
    const d = ok(decide(newTask(), { type: 'assigned', queue: 'vendor-desk', user: 'alice' }, ctx));
    expect(d.launch).toEqual({
      actionType: 'vendor-submit',
      connector: 'vendor',
      input: { TaskId: 'task_1', Title: 'Laptop broken', CaseData: { employee: 'Sam' } },
      callbacksTo: 'task_1',
    });
    expect(d.log).toEqual({
      requestType: 'Submit Request',
      direction: 'Out',
      at: T0,
      payload: { TaskId: 'task_1', Title: 'Laptop broken', CaseData: { employee: 'Sam' } },
      result: 'Launched vendor-submit',
      actionId: null,
      queue: 'vendor-desk',
    });
    expect(d.change).toEqual({
      state: 'waiting',
      reason: null,
      resolution: null,
      phase: 'awaiting_callback',
      assignee: null,
      handBack: null,
      queue: 'vendor-desk',
    });
    expect(d.timeline).toMatchObject({ actor: 'user:alice', message: 'Submit Request sent to the provider (vendor-submit)' });
  });

  it('assigned again when it already has an external reference: Submit Request again, with the reference', () => {
    const back: IntegratedTask = { ...submitted(), state: 'todo', queue: 'hr', externalReference: 'INC-7' };
    const d = ok(decide(back, { type: 'assigned', queue: 'vendor-desk', user: 'bob' }, ctx));
    expect(d.log?.requestType).toBe('Submit Request');
    expect(d.launch?.input).toEqual({
      TaskId: 'task_1',
      Title: 'Laptop broken',
      ExternalReference: 'INC-7',
      CaseData: { employee: 'Sam' },
    });
  });

  it('assigned again without a reference sends nothing (the first submission is not acknowledged yet)', () => {
    const back: IntegratedTask = { ...submitted(), state: 'todo', queue: 'hr' };
    const d = ok(decide(back, { type: 'assigned', queue: 'vendor-desk', user: 'bob' }, ctx));
    expect(d).toMatchObject({ launch: null, log: null, change: null });
    expect(d.skipped).toMatch(/not acknowledged/);
  });

  it('assigned to the queue it is already out on sends nothing; to a queue without integration, nothing either', () => {
    expect(ok(decide(submitted(), { type: 'assigned', queue: 'vendor-desk', user: 'bob' }, ctx))).toMatchObject({
      launch: null,
      skipped: 'The task is already with the provider',
    });
    expect(ok(decide(newTask(), { type: 'assigned', queue: 'hr', user: 'bob' }, { integration: null, now: T0 }))).toMatchObject({
      launch: null,
      log: null,
      change: null,
    });
  });

  it("an update note launches 'update' (Update, Out) with the note", () => {
    const task = { ...submitted(), externalReference: 'INC-7' };
    const d = ok(decide(task, { type: 'note_added', note: 'Also the charger', user: 'alice' }, ctx));
    expect(d.launch).toMatchObject({ actionType: 'vendor-update', input: { Note: 'Also the charger', ExternalReference: 'INC-7' } });
    expect(d.log).toMatchObject({ requestType: 'Update', direction: 'Out', payload: { Note: 'Also the charger' } });
    expect(d.change).toBeNull();
  });

  it("closing the task launches 'closure' (Closed, Out) with the closing note", () => {
    const d = ok(decide(submitted(), { type: 'completed', resolution: 'done_successfully', note: 'Fixed', user: 'alice' }, ctx));
    expect(d.launch).toMatchObject({ actionType: 'vendor-close', input: { Note: 'Fixed' } });
    expect(d.log).toMatchObject({ requestType: 'Closed', direction: 'Out' });
    // The lifecycle closes the task; the rules only talk to the provider.
    expect(d.change).toBeNull();
  });

  it("declining a handed-back solution launches 'resolution rejection' (Resolution Rejection, Out) with the reason and sends the task back", () => {
    const back: IntegratedTask = {
      ...submitted(),
      state: 'todo',
      externalReference: 'INC-7',
      handBack: { resolution: 'solved', solution: 'Rebooted', at: T0 },
    };
    const d = ok(decide(back, { type: 'solution_declined', note: 'Still broken', user: 'alice' }, ctx));
    expect(d.launch).toMatchObject({ actionType: 'vendor-reject', input: { Note: 'Still broken', ExternalReference: 'INC-7' } });
    expect(d.log).toMatchObject({ requestType: 'Resolution Rejection', direction: 'Out' });
    expect(d.change).toMatchObject({ state: 'waiting', phase: 'awaiting_callback', handBack: null, assignee: null });
    // The reason is on the task's timeline too, not only in the request to the provider.
    expect(d.timeline).toMatchObject({
      actor: 'user:alice',
      message: 'Solution declined: Still broken. Resolution Rejection sent to the provider (vendor-reject).',
    });
  });

  it('the timeline says whether a request was sent, and whether the note went with it', () => {
    const decline = { requestType: 'Resolution Rejection' as const, actionType: 'rj', declined: 'Still broken!' };
    expect(launchMessage(decline, { sent: true, noteDropped: false })).toBe(
      'Solution declined: Still broken! Resolution Rejection sent to the provider (rj).',
    );
    expect(launchMessage(decline, { sent: false, why: 'Priority: is required', noteDropped: false })).toBe(
      'Solution declined: Still broken! Resolution Rejection not sent to the provider (rj): Priority: is required.',
    );
    expect(launchMessage({ requestType: 'Update', actionType: 'up' }, { sent: true, noteDropped: true })).toBe(
      'Update sent to the provider (up). The note was not sent: up has no Note field.',
    );
  });

  it('declining a solution under the person who picked the task up is refused; they, or whoever takes it over, decline it', () => {
    const back: IntegratedTask = {
      ...submitted(),
      state: 'in_progress',
      assignee: 'bert',
      handBack: { resolution: 'solved', solution: 'Rebooted', at: T0 },
    };
    expect(decide(back, { type: 'solution_declined', note: 'x', user: 'alice' }, ctx)).toMatchObject({
      ok: false,
      code: 'INVALID_STATE',
      message: expect.stringContaining('bert is working on this task'),
    });
    expect(ok(decide(back, { type: 'solution_declined', note: 'x', user: 'bert' }, ctx)).launch).toMatchObject({
      actionType: 'vendor-reject',
    });
  });

  it('declining again is refused, saying the solution was already declined and when', () => {
    const back: IntegratedTask = { ...submitted(), state: 'todo', handBack: { resolution: 'solved', solution: 'Rebooted', at: T0 } };
    const back2: IntegratedTask = {
      ...back,
      log: [
        ...back.log,
        { requestType: 'Reassigned', direction: 'In', at: T0, payload: {}, result: 'Accepted', actionId: null, queue: 'vendor-desk' },
      ],
    };
    const declined = apply(back2, ok(decide(back2, { type: 'solution_declined', note: 'Still broken', user: 'alice' }, ctx)), 'act_reject');
    expect(decide(declined, { type: 'solution_declined', note: 'Still broken', user: 'alice' }, { ...ctx, now: T0 + 5 })).toEqual({
      ok: false,
      code: 'INVALID_STATE',
      message: `The solution was already declined (at ${new Date(T0).toISOString()}) and nothing is sent again; a solution can be declined once the provider hands the task back again`,
    });
  });

  it('declining is refused when there is no handed-back solution', () => {
    expect(decide(submitted(), { type: 'solution_declined', note: 'x', user: 'a' }, ctx)).toMatchObject({
      ok: false,
      code: 'INVALID_STATE',
    });
    expect(decide(newTask(), { type: 'solution_declined', note: 'x', user: 'a' }, ctx)).toMatchObject({ ok: false, code: 'INVALID_STATE' });
  });

  it('notes and closing a task never submitted, or on a queue without that action, send nothing and say why', () => {
    const never = newTask({ queue: 'vendor-desk' });
    expect(ok(decide(never, { type: 'note_added', note: 'n', user: 'a' }, ctx)).skipped).toBe(
      'The task was never submitted to the provider',
    );
    const minimal = { ...ctx, integration: { ...vendor, onUpdate: null, onClose: null, onResolutionRejected: null } };
    expect(ok(decide(submitted(), { type: 'note_added', note: 'n', user: 'a' }, minimal)).skipped).toBe('The queue has no update action');
    expect(ok(decide(submitted(), { type: 'completed', resolution: 'done_successfully', user: 'a' }, minimal)).skipped).toBe(
      'The queue has no closure action',
    );
  });
});

describe('inbound: what the provider sends', () => {
  it('an acknowledgement with its reference (Acknowledgement, In) sets the external reference', () => {
    const d = ok(decide(submitted(), { type: 'acknowledged', externalReference: 'INC-7' }, ctx));
    expect(d.launch).toBeNull();
    expect(d.log).toEqual({
      requestType: 'Acknowledgement',
      direction: 'In',
      at: T0,
      payload: { externalReference: 'INC-7' },
      result: 'Accepted',
      actionId: null,
      queue: 'vendor-desk',
    });
    expect(d.change).toEqual({ externalReference: 'INC-7' });
    expect(d.timeline).toEqual({ actor: 'integration', message: 'Acknowledged by the provider with reference INC-7' });
  });

  it('the same acknowledgement twice changes nothing; a new reference replaces the old and says so', () => {
    const acked = { ...submitted(), externalReference: 'INC-7' };
    expect(ok(decide(acked, { type: 'acknowledged', externalReference: 'INC-7' }, ctx))).toMatchObject({ log: null, change: null });
    expect(ok(decide(acked, { type: 'acknowledged', externalReference: 'INC-8' }, ctx)).log?.result).toBe(
      'Accepted; the reference was INC-7',
    );
  });

  it('an update message (Update, In) is logged and goes on the timeline', () => {
    const d = ok(decide(submitted(), { type: 'message', message: 'Engineer on site at 14:00' }, ctx));
    expect(d.log).toMatchObject({
      requestType: 'Update',
      direction: 'In',
      payload: { message: 'Engineer on site at 14:00' },
      result: 'Accepted',
    });
    expect(d.timeline).toEqual({ actor: 'integration', message: 'Engineer on site at 14:00' });
    expect(d.change).toBeNull();
  });

  for (const resolution of ['solved', 'closed'] as const)
    it(`a hand-back, ${resolution} (Reassigned, In), returns the task To Do on its queue with the solution shown`, () => {
      const d = ok(decide(submitted(), { type: 'handed_back', resolution, solution: 'Replaced the screen' }, ctx));
      expect(d.log).toMatchObject({ requestType: 'Reassigned', direction: 'In', payload: { resolution, solution: 'Replaced the screen' } });
      expect(d.change).toEqual({
        state: 'todo',
        reason: 'updated_by_integration',
        resolution: null,
        phase: null,
        queue: 'vendor-desk',
        assignee: null,
        handBack: { resolution, solution: 'Replaced the screen', at: T0 },
        allocate: true,
      });
      expect(d.timeline?.message).toBe(`Handed back by the provider (${resolution}): Replaced the screen`);
    });

  it('the same hand-back twice gets the same answer; a different one when the task is not with the provider is a conflict', () => {
    const back = apply(submitted(), ok(decide(submitted(), { type: 'handed_back', resolution: 'solved', solution: 'Done' }, ctx)));
    expect(ok(decide(back, { type: 'handed_back', resolution: 'solved', solution: 'Done' }, ctx))).toMatchObject({
      log: null,
      change: null,
    });
    expect(decide(back, { type: 'handed_back', resolution: 'closed', solution: 'Other' }, ctx)).toMatchObject({
      ok: false,
      code: 'CONFLICT',
    });
  });

  it('inbound events for a task not on an integrated queue are refused', () => {
    for (const e of [
      { type: 'acknowledged', externalReference: 'X' },
      { type: 'message', message: 'hi' },
      { type: 'handed_back', resolution: 'solved', solution: 's' },
    ] as TaskEvent[])
      expect(decide(newTask(), e, { integration: null, now: T0 })).toMatchObject({ ok: false, code: 'INVALID_STATE' });
  });
});

describe('a closed task', () => {
  const closed = {
    ...submitted(),
    state: 'closed' as const,
    externalReference: 'INC-7',
    handBack: { resolution: 'solved' as const, solution: 'Done', at: T0 },
  };

  it('refuses new exchanges with 409 and changes nothing', () => {
    for (const e of [
      { type: 'assigned', queue: 'vendor-desk', user: 'a' },
      { type: 'note_added', note: 'n', user: 'a' },
      { type: 'message', message: 'late' },
      { type: 'acknowledged', externalReference: 'INC-9' },
      { type: 'handed_back', resolution: 'closed', solution: 'Other' },
    ] as TaskEvent[])
      expect(decide(closed, e, ctx)).toEqual({ ok: false, code: 'CONFLICT', message: 'The task is closed' });
  });

  it('answers a repeated acknowledgement or hand-back the same as the first time', () => {
    expect(ok(decide(closed, { type: 'acknowledged', externalReference: 'INC-7' }, ctx)).log).toBeNull();
    expect(ok(decide(closed, { type: 'handed_back', resolution: 'solved', solution: 'Done' }, ctx)).log).toBeNull();
  });
});

describe('the whole conversation, entry by entry', () => {
  it('submit, acknowledge, note, message, hand back, decline, hand back, close', () => {
    const steps: Array<[TaskEvent, string]> = [
      [{ type: 'assigned', queue: 'vendor-desk', user: 'alice' }, 'Submit Request/Out'],
      [{ type: 'acknowledged', externalReference: 'INC-7' }, 'Acknowledgement/In'],
      [{ type: 'note_added', note: 'Urgent', user: 'alice' }, 'Update/Out'],
      [{ type: 'message', message: 'On it' }, 'Update/In'],
      [{ type: 'handed_back', resolution: 'solved', solution: 'Rebooted' }, 'Reassigned/In'],
      [{ type: 'solution_declined', note: 'Still broken', user: 'alice' }, 'Resolution Rejection/Out'],
      [{ type: 'handed_back', resolution: 'solved', solution: 'New laptop' }, 'Reassigned/In'],
      [{ type: 'completed', resolution: 'done_successfully', note: 'Thanks', user: 'alice' }, 'Closed/Out'],
    ];
    let task = newTask();
    let now = T0;
    for (const [event] of steps) {
      now += 60_000;
      task = apply(task, ok(decide(task, event, { integration: vendor, now })), `act_${task.log.length}`);
    }
    expect(task.log.map((e) => `${e.requestType}/${e.direction}`)).toEqual(steps.map(([, s]) => s));
    expect(task).toMatchObject({
      state: 'todo',
      reason: 'updated_by_integration',
      externalReference: 'INC-7',
      handBack: { solution: 'New laptop' },
    });
    const view = integrationLogView(task.log);
    expect(view.items[0]).toEqual({
      requestType: 'Submit Request',
      direction: 'Out',
      at: '2030-01-01T00:01:00.000Z',
      payload: { TaskId: 'task_1', Title: 'Laptop broken', CaseData: { employee: 'Sam' } },
      result: 'Launched vendor-submit',
      actionId: 'act_0',
    });
    expect(view.items.map((i) => i.actionId)).toEqual(['act_0', null, 'act_2', null, null, 'act_5', null, 'act_7']);
    expect(view.items[5]?.payload).toMatchObject({ Note: 'Still broken', ExternalReference: 'INC-7' });
  });
});

it('fitInput keeps only the fields the action type declares', () => {
  expect(fitInput({ TaskId: 't', Title: 'x', Note: 'n', CaseData: {} }, ['TaskId', 'Note'])).toEqual({ TaskId: 't', Note: 'n' });
});
