// An operator's retry of a failed step (step_retried): run again as the first time over the case's data
// as it now is, only where the case stopped with no action to retry; a repeated key changes nothing.

import { describe, expect, it } from 'vitest';
import { compileProcess } from './definition.ts';
import { type CaseRun, advance, newCaseRun } from './runner.ts';
import { closed, ctx, ok, statuses } from './runner-fixtures.ts';

const doubler = compileProcess({
  name: 'doubler',
  steps: [
    { name: 'shape', kind: 'map', expression: '{ "total": $number(case.amount) * 2 }' },
    { name: 'after', kind: 'manual', queue: 'hr' },
  ],
});

const failedAt = async (data: Record<string, unknown> = { amount: 'abc' }): Promise<CaseRun> =>
  ok(await advance(doubler, newCaseRun(doubler, data), { type: 'case_started' }, ctx)).run;

const retried = (step = 'shape', key?: string) =>
  ({ type: 'step_retried', step, user: 'olga', at: 1000, ...(key !== undefined ? { key } : {}) }) as const;

describe("an operator's retry of a failed step", () => {
  it('runs the step again over the data as it now is, and the case goes on', async () => {
    const run = await failedAt();
    expect(statuses(run)).toEqual({ shape: 'failed', after: 'pending' });
    const r = ok(await advance(doubler, { ...run, data: { amount: '21' } }, retried(), ctx));
    expect(statuses(r.run)).toEqual({ shape: 'done', after: 'waiting_for_person' });
    expect(r.run.data.total).toBe(42);
    expect(r.run.steps[0]).toMatchObject({ error: null, retried: { count: 1, at: 1000, by: 'olga', keys: [] } });
    expect(r.effects.map((e) => e.type)).toEqual(['merge_case_data', 'create_task']);
  });

  it('a repeat of a kept key changes nothing, even once the step is done; another key is refused', async () => {
    const run = { ...(await failedAt()), data: { amount: 1 } };
    const first = ok(await advance(doubler, run, retried('shape', 'k1'), ctx));
    const repeat = ok(await advance(doubler, first.run, retried('shape', 'k1'), ctx));
    expect(repeat.changed).toBe(false);
    expect(repeat.effects).toEqual([]);
    const other = await advance(doubler, first.run, retried('shape', 'k2'), ctx);
    expect(other).toMatchObject({ ok: false, code: 'INVALID_STATE', message: expect.stringMatching(/is done, not failed/) });
  });

  it('keeps only the newest keys', async () => {
    let run = await failedAt();
    for (let i = 0; i < 12; i++) run = ok(await advance(doubler, run, retried('shape', `k${i}`), ctx)).run;
    expect(run.steps[0]!.retried).toMatchObject({ count: 12, keys: ['k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9', 'k10', 'k11'] });
  });

  it('a manual step whose task was closed Not Done gets a new task; the closed one stays as it was', async () => {
    const approval = compileProcess({
      name: 'approval',
      steps: [
        { name: 'approve', kind: 'manual', queue: 'hr' },
        { name: 'after', kind: 'manual', queue: 'hr' },
      ],
    });
    let run = ok(await advance(approval, newCaseRun(approval, {}), { type: 'case_started' }, ctx)).run;
    run = ok(await advance(approval, run, { type: 'action_queued', step: 'approve', actionId: 't1' }, ctx)).run;
    run = ok(await advance(approval, run, closed({ step: 'approve', actionId: 't1', resolution: 'not_done_successfully' }), ctx)).run;
    expect(statuses(run)).toEqual({ approve: 'failed', after: 'pending' });
    const r = ok(await advance(approval, run, retried('approve'), ctx));
    expect(r.run.steps[0]).toMatchObject({ status: 'waiting_for_person', actionId: null, error: null, retried: { count: 1 } });
    expect(r.effects).toEqual([{ type: 'create_task', step: 'approve', queue: 'hr', title: 'approve', dueMs: null }]);
    // The new task is the step's (queued in the same write); the old one's changes no longer move it.
    const queued = ok(await advance(approval, r.run, { type: 'action_queued', step: 'approve', actionId: 't2' }, ctx)).run;
    expect(queued.steps[0]).toMatchObject({ status: 'waiting_for_person', actionId: 't2' });
    expect(await advance(approval, queued, closed({ step: 'approve', actionId: 't1' }), ctx)).toMatchObject({
      ok: false,
      code: 'CONFLICT',
    });
    const done = ok(await advance(approval, queued, closed({ step: 'approve', actionId: 't2' }), ctx));
    expect(statuses(done.run)).toEqual({ approve: 'done', after: 'waiting_for_person' });
  });

  it('refuses an unknown step, a step not failed, a failed step with an action, a `continue` step and a closed case', async () => {
    const run = await failedAt();
    expect(await advance(doubler, run, retried('nope'), ctx)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await advance(doubler, run, retried('after'), ctx)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/pending, not failed/),
    });
    expect(await advance(doubler, { ...run, status: 'closed' }, retried(), ctx)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/closed/),
    });

    const external = compileProcess({
      name: 'x',
      steps: [{ name: 'laptop', kind: 'external', actionType: 'order-laptop', input: '{ "Title": "T", "Queue": "hr" }' }],
    });
    let x = ok(await advance(external, newCaseRun(external, {}), { type: 'case_started' }, ctx)).run;
    x = ok(await advance(external, x, { type: 'action_queued', step: 'laptop', actionId: 'a1' }, ctx)).run;
    x = ok(await advance(external, x, closed({ step: 'laptop', actionId: 'a1', resolution: 'not_done_successfully' }), ctx)).run;
    expect(x.steps[0]!.status).toBe('failed');
    expect(await advance(external, x, retried('laptop'), ctx)).toMatchObject({
      ok: false,
      message: expect.stringContaining('POST /v1/actions/a1/retry'),
    });

    const going = compileProcess({
      name: 'c',
      steps: [
        { name: 'shape', kind: 'map', expression: '$number("abc")', onFailure: 'continue' },
        { name: 'after', kind: 'manual', queue: 'hr' },
      ],
    });
    const g = ok(await advance(going, newCaseRun(going, {}), { type: 'case_started' }, ctx)).run;
    expect(statuses(g)).toEqual({ shape: 'failed', after: 'waiting_for_person' });
    expect(await advance(going, g, retried(), ctx)).toMatchObject({ ok: false, message: expect.stringMatching(/continue/) });
  });
});
