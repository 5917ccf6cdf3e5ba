// SPEC 10.1, rule by rule: the process runner as the engine will drive it, with the real JSONata
// evaluator and real action type input checks.

import { describe, expect, it } from 'vitest';
import { compileProcess } from './definition.ts';
import { advance, newCaseRun } from './runner.ts';
import { atLaptop, closed, ctx, newStarter, ok, statuses, todo } from './runner-fixtures.ts';

describe('a case moving through its process', () => {
  it('starting a case creates the manual task on its queue and waits for a person', async () => {
    const r = ok(await advance(newStarter, newCaseRun(newStarter, { name: 'Sam' }), { type: 'case_started' }, ctx));
    expect(statuses(r.run)).toEqual({ approve: 'waiting_for_person', laptop: 'pending', shape: 'pending', welcome: 'pending' });
    expect(r.effects).toEqual([{ type: 'create_task', step: 'approve', queue: 'hr', title: 'Approve the starter', dueMs: null }]);
    expect(r.run.steps[0]!.outcome).toBeNull();
  });

  it('a manual step completed by a person lets the case go on to launch the next action with its mapped input', async () => {
    const process = newStarter;
    let run = ok(await advance(process, newCaseRun(process, { name: 'Sam' }), { type: 'case_started' }, ctx)).run;
    run = ok(await advance(process, run, { type: 'action_queued', step: 'approve', actionId: 'task_1' }, ctx)).run;
    expect(run.steps[0]!.actionId).toBe('task_1');
    const r = ok(
      await advance(process, run, { type: 'step_completed', step: 'approve', resolution: 'done_successfully', user: 'alice' }, ctx),
    );
    expect(statuses(r.run)).toMatchObject({ approve: 'done', laptop: 'running' });
    expect(r.effects).toEqual([
      { type: 'launch_action', step: 'laptop', actionType: 'order-laptop', input: { Title: 'Sam', Queue: 'hr' }, waitForResponse: true },
    ]);
  });

  it('the manual task closed through its action (Done) is the same as a step completed', async () => {
    let run = ok(await advance(newStarter, newCaseRun(newStarter, { name: 'Sam' }), { type: 'case_started' }, ctx)).run;
    run = ok(await advance(newStarter, run, { type: 'action_queued', step: 'approve', actionId: 'task_1' }, ctx)).run;
    const picked = ok(
      await advance(
        newStarter,
        run,
        {
          type: 'action_changed',
          step: 'approve',
          actionId: 'task_1',
          state: 'in_progress',
          reason: null,
          resolution: null,
          escalated: false,
        },
        ctx,
      ),
    );
    expect(picked.run.steps[0]!.status).toBe('waiting_for_person');
    const r = ok(await advance(newStarter, picked.run, closed({ step: 'approve', actionId: 'task_1' }), ctx));
    expect(statuses(r.run)).toMatchObject({ approve: 'done', laptop: 'running' });
  });

  it('an action Done Successfully marks ACTION_HANDLED_SUCCESSFUL; map output reaches a later step; a no-wait step closes the case once queued', async () => {
    const run = await atLaptop();
    const laptopDone = ok(
      await advance(newStarter, run, closed({ step: 'laptop', actionId: 'act_laptop', output: { ticket: 'INC-7' } }), ctx),
    );
    expect(laptopDone.run.steps[1]).toMatchObject({ status: 'done', outcome: 'ACTION_HANDLED_SUCCESSFUL', output: { ticket: 'INC-7' } });
    expect(laptopDone.run.data).toMatchObject({ laptopTicket: 'INC-7', sms: { To: '+31600000000', Text: 'Welcome Sam' } });
    expect(laptopDone.effects).toEqual([
      { type: 'merge_case_data', step: 'shape', data: { laptopTicket: 'INC-7', sms: { To: '+31600000000', Text: 'Welcome Sam' } } },
      {
        type: 'launch_action',
        step: 'welcome',
        actionType: 'send-sms',
        input: { To: '+31600000000', Text: 'Welcome Sam' },
        waitForResponse: false,
      },
    ]);
    expect(laptopDone.run.status).toBe('open');

    const queued = ok(await advance(newStarter, laptopDone.run, { type: 'action_queued', step: 'welcome', actionId: 'act_sms' }, ctx));
    expect(queued.run.steps[3]).toMatchObject({ status: 'done', outcome: 'QUEUE_ACTION_SUCCESSFUL', actionId: 'act_sms' });
    expect(queued.run.status).toBe('closed');
    expect(queued.effects).toEqual([{ type: 'close_case' }]);

    // The no-wait action still runs to its end; its changes no longer move the closed case.
    const later = ok(
      await advance(newStarter, queued.run, closed({ step: 'welcome', actionId: 'act_sms', resolution: 'not_done_successfully' }), ctx),
    );
    expect(later.changed).toBe(false);
    expect(later.run.steps[3]!.status).toBe('done');
  });

  it('useBodyOf takes the map step result as the input (Use Existing Body)', async () => {
    const process = compileProcess({
      name: 'body',
      steps: [
        { name: 'shape', kind: 'map', expression: '{ "To": case.mobile, "Text": "Hi" }' },
        { name: 'sms', kind: 'external', actionType: 'send-sms', useBodyOf: 'shape' },
      ],
    });
    const r = ok(await advance(process, newCaseRun(process, { mobile: '+316' }), { type: 'case_started' }, ctx));
    expect(r.effects[1]).toEqual({
      type: 'launch_action',
      step: 'sms',
      actionType: 'send-sms',
      input: { To: '+316', Text: 'Hi' },
      waitForResponse: true,
    });
  });

  it('map steps cannot grow the case data past its 256 KB: the step that would fails, naming the limit', async () => {
    const process = compileProcess({
      name: 'grow',
      steps: Array.from({ length: 3 }, (_, i) => ({
        name: `m${i}`,
        kind: 'map' as const,
        expression: `{ "k${i}": $pad("", 100000, "x") }`,
      })),
    });
    const r = ok(await advance(process, newCaseRun(process, {}), { type: 'case_started' }, ctx));
    expect(statuses(r.run)).toEqual({ m0: 'done', m1: 'done', m2: 'failed' });
    expect(r.run.steps.find((s) => s.name === 'm2')!.error).toMatch(/^merged into the case data, the result is larger than 256 KB/);
    expect(Object.keys(r.run.data)).toEqual(['k0', 'k1']);
    expect(r.effects.filter((e) => e.type === 'merge_case_data')).toHaveLength(2);
  });

  it('a `when` that is false skips the step, and a case whose last step is skipped closes', async () => {
    const run = await atLaptop(newStarter, { name: 'Sam' });
    const r = ok(await advance(newStarter, run, closed({ step: 'laptop', actionId: 'act_laptop', output: { ticket: 'INC-8' } }), ctx));
    expect(statuses(r.run)).toEqual({ approve: 'done', laptop: 'done', shape: 'done', welcome: 'skipped' });
    expect(r.run.status).toBe('closed');
    expect(r.effects.map((e) => e.type)).toEqual(['merge_case_data', 'close_case']);
  });
});

describe('an external step whose action lands in To Do waits for the person who completes it', () => {
  it('rejected by the external system: the step waits for a person and is marked ACTION_HANDLED_FAILED', async () => {
    const r = ok(await advance(newStarter, await atLaptop(), todo('laptop', 'act_laptop'), ctx));
    expect(r.run.steps[1]).toMatchObject({ status: 'waiting_for_person', outcome: 'ACTION_HANDLED_FAILED' });
    expect(r.effects).toEqual([]);
    expect(r.run.status).toBe('open');
  });

  for (const reason of ['updated_by_integration', 'timeout'] as const) {
    it(`a ${reason} To Do waits for the person too`, async () => {
      const r = ok(await advance(newStarter, await atLaptop(), todo('laptop', 'act_laptop', reason), ctx));
      expect(r.run.steps[1]!.status).toBe('waiting_for_person');
    });
  }

  it('then Done Successfully by the person: the case goes on', async () => {
    const waiting = ok(await advance(newStarter, await atLaptop(), todo('laptop', 'act_laptop'), ctx)).run;
    const r = ok(await advance(newStarter, waiting, closed({ step: 'laptop', actionId: 'act_laptop' }), ctx));
    expect(r.run.steps[1]).toMatchObject({ status: 'done', outcome: 'ACTION_HANDLED_FAILED' });
    expect(statuses(r.run)).toMatchObject({ shape: 'done', welcome: 'running' });
  });

  it('then Not Done Successfully with onFailure stop: the step fails and the case stays open there', async () => {
    const waiting = ok(await advance(newStarter, await atLaptop(), todo('laptop', 'act_laptop'), ctx)).run;
    const r = ok(
      await advance(newStarter, waiting, { type: 'step_completed', step: 'laptop', resolution: 'not_done_successfully', user: 'bob' }, ctx),
    );
    expect(statuses(r.run)).toEqual({ approve: 'done', laptop: 'failed', shape: 'pending', welcome: 'pending' });
    expect(r.run.status).toBe('open');
    expect(r.effects).toEqual([]);
  });

  it('then Not Done Successfully with onFailure continue: the step fails and the case goes on', async () => {
    const process = compileProcess({
      name: 'lenient',
      steps: [
        {
          name: 'laptop',
          kind: 'external',
          actionType: 'order-laptop',
          input: '{ "Title": case.name, "Queue": "hr" }',
          onFailure: 'continue',
        },
        { name: 'check', kind: 'manual', queue: 'hr' },
      ],
    });
    let run = ok(await advance(process, newCaseRun(process, { name: 'Sam' }), { type: 'case_started' }, ctx)).run;
    run = ok(await advance(process, run, { type: 'action_queued', step: 'laptop', actionId: 'a1' }, ctx)).run;
    run = ok(await advance(process, run, todo('laptop', 'a1'), ctx)).run;
    const r = ok(await advance(process, run, closed({ step: 'laptop', actionId: 'a1', resolution: 'not_done_successfully' }), ctx));
    expect(statuses(r.run)).toEqual({ laptop: 'failed', check: 'waiting_for_person' });
    expect(r.effects).toEqual([{ type: 'create_task', step: 'check', queue: 'hr', title: 'check', dueMs: null }]);
  });

  it('exhausted retries (Closed / Not Done, escalated) stop the case and mark it escalated', async () => {
    const r = ok(
      await advance(
        newStarter,
        await atLaptop(),
        closed({ step: 'laptop', actionId: 'act_laptop', resolution: 'not_done_successfully', escalated: true }),
        ctx,
      ),
    );
    expect(r.run.steps[1]).toMatchObject({ status: 'failed', outcome: 'ACTION_HANDLED_FAILED' });
    expect(r.run.escalated).toBe(true);
    expect(r.run.status).toBe('open');
    expect(r.effects).toEqual([{ type: 'mark_escalated', step: 'laptop' }]);
  });

  it('exhausted retries with onFailure continue escalate and go on, closing the case after the last step', async () => {
    const process = compileProcess({
      name: 'one',
      steps: [
        { name: 'laptop', kind: 'external', actionType: 'order-laptop', input: '{ "Title": "x", "Queue": "hr" }', onFailure: 'continue' },
      ],
    });
    let run = ok(await advance(process, newCaseRun(process, {}), { type: 'case_started' }, ctx)).run;
    run = ok(await advance(process, run, { type: 'action_queued', step: 'laptop', actionId: 'a1' }, ctx)).run;
    const r = ok(
      await advance(process, run, closed({ step: 'laptop', actionId: 'a1', resolution: 'not_done_successfully', escalated: true }), ctx),
    );
    expect(r.effects).toEqual([{ type: 'mark_escalated', step: 'laptop' }, { type: 'close_case' }]);
    expect(r.run).toMatchObject({ status: 'closed', escalated: true });
  });

  it('an escalated step action retried by an operator runs the step again, and its success moves the case on', async () => {
    const failed = ok(
      await advance(
        newStarter,
        await atLaptop(),
        closed({ step: 'laptop', actionId: 'act_laptop', resolution: 'not_done_successfully', escalated: true }),
        ctx,
      ),
    ).run;
    const again = {
      type: 'action_changed',
      step: 'laptop',
      actionId: 'act_laptop',
      reason: null,
      resolution: null,
      escalated: false,
    } as const;
    const waiting = ok(await advance(newStarter, failed, { ...again, state: 'waiting' }, ctx));
    expect(waiting.changed).toBe(true);
    expect(waiting.run.steps[1]).toMatchObject({ status: 'running', outcome: null, error: null });
    const done = ok(
      await advance(newStarter, waiting.run, closed({ step: 'laptop', actionId: 'act_laptop', output: { ticket: 'INC-9' } }), ctx),
    );
    expect(done.run.steps[1]).toMatchObject({ status: 'done', outcome: 'ACTION_HANDLED_SUCCESSFUL', output: { ticket: 'INC-9' } });
    expect(statuses(done.run)).toEqual({ approve: 'done', laptop: 'done', shape: 'done', welcome: 'running' });
    // Retried into To Do (a person completes it): the step waits for that person, as the first time.
    const toDo = ok(await advance(newStarter, failed, todo('laptop', 'act_laptop'), ctx));
    expect(toDo.run.steps[1]).toMatchObject({ status: 'waiting_for_person', outcome: 'ACTION_HANDLED_FAILED' });
    // Another action's event does not reopen the step.
    expect(await advance(newStarter, failed, { ...again, actionId: 'other', state: 'waiting' }, ctx)).toMatchObject({ ok: false });
  });

  it('a retried step action of a `continue` step records its success only; a closed case does not change', async () => {
    const process = compileProcess({
      name: 'two',
      steps: [
        { name: 'laptop', kind: 'external', actionType: 'order-laptop', input: '{ "Title": "x", "Queue": "hr" }', onFailure: 'continue' },
        { name: 'check', kind: 'manual', title: 'check', queue: 'hr' },
      ],
    });
    let run = ok(await advance(process, newCaseRun(process, {}), { type: 'case_started' }, ctx)).run;
    run = ok(await advance(process, run, { type: 'action_queued', step: 'laptop', actionId: 'a1' }, ctx)).run;
    run = ok(await advance(process, run, closed({ step: 'laptop', actionId: 'a1', resolution: 'not_done_successfully' }), ctx)).run;
    expect(statuses(run)).toEqual({ laptop: 'failed', check: 'waiting_for_person' });
    const reopened = ok(
      await advance(
        process,
        run,
        { type: 'action_changed', step: 'laptop', actionId: 'a1', state: 'waiting', reason: null, resolution: null, escalated: false },
        ctx,
      ),
    );
    expect(reopened.changed).toBe(false);
    const r = ok(await advance(process, run, closed({ step: 'laptop', actionId: 'a1', output: { ok: 1 } }), ctx));
    expect(r.run.steps[0]).toMatchObject({ status: 'done', outcome: 'ACTION_HANDLED_SUCCESSFUL', error: null, output: { ok: 1 } });
    expect(statuses(r.run)).toEqual({ laptop: 'done', check: 'waiting_for_person' });
    expect(r.effects).toEqual([]);

    const closedCase = { ...run, status: 'closed' as const };
    const late = ok(await advance(process, closedCase, closed({ step: 'laptop', actionId: 'a1' }), ctx));
    expect(late.changed).toBe(false);
    expect(late.run.steps[0]!.status).toBe('failed');
  });
});

describe('input that fails the action type fields', () => {
  it('becomes To Do / Invalid Input for a person, never a send with empty values', async () => {
    const process = compileProcess({
      name: 'p',
      steps: [{ name: 'prio', kind: 'external', actionType: 'set-priority', input: '{ "Priority": case.priority }' }],
    });
    const r = ok(await advance(process, newCaseRun(process, { priority: 'high' }), { type: 'case_started' }, ctx));
    expect(r.effects).toEqual([
      {
        type: 'launch_invalid_input',
        step: 'prio',
        actionType: 'set-priority',
        input: { Priority: 'high' },
        errors: [{ field: 'Priority', message: 'must be an integer' }],
      },
    ]);
    expect(r.run.steps[0]).toMatchObject({
      status: 'waiting_for_person',
      outcome: 'ACTION_HANDLED_FAILED',
      error: 'Priority: must be an integer',
    });
    // A missing value (the expression matched nothing) is refused as required, not sent empty.
    const missing = ok(await advance(process, newCaseRun(process, {}), { type: 'case_started' }, ctx));
    expect(missing.effects[0]).toMatchObject({ type: 'launch_invalid_input', errors: [{ field: 'Priority', message: 'is required' }] });
  });

  it('an input expression that fails or yields no object is invalid input too', async () => {
    const process = compileProcess({
      name: 'p',
      steps: [{ name: 'prio', kind: 'external', actionType: 'set-priority', input: '"just text"' }],
    });
    const r = ok(await advance(process, newCaseRun(process, {}), { type: 'case_started' }, ctx));
    expect(r.effects[0]).toMatchObject({
      type: 'launch_invalid_input',
      input: {},
      errors: [{ field: '', message: expect.stringContaining('must yield an object') }],
    });
    const throwing = compileProcess({
      name: 'p',
      steps: [{ name: 'prio', kind: 'external', actionType: 'set-priority', input: '$error("no")' }],
    });
    const t = ok(await advance(throwing, newCaseRun(throwing, {}), { type: 'case_started' }, ctx));
    expect(t.effects[0]).toMatchObject({ type: 'launch_invalid_input', errors: [{ message: 'input: no' }] });
  });
});
