// The runner's refusals and failures: expressions that fail, events that do not belong, and JSONata truthiness.

import { describe, expect, it } from 'vitest';
import { compileProcess } from './definition.ts';
import { ExpressionError } from './expressions.ts';
import { type RunnerContext, advance, newCaseRun, truthy } from './runner.ts';
import { atLaptop, closed, ctx, newStarter, ok, statuses } from './runner-fixtures.ts';

describe('failing expressions and refused events', () => {
  it('a map step yielding a non-object fails the step; with stop the case waits there', async () => {
    const process = compileProcess({
      name: 'p',
      steps: [
        { name: 'm', kind: 'map', expression: '[1, 2]' },
        { name: 't', kind: 'manual', queue: 'hr' },
      ],
    });
    const r = ok(await advance(process, newCaseRun(process, {}), { type: 'case_started' }, ctx));
    expect(r.run.steps[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('must yield an object') });
    expect(r.effects).toEqual([]);
    expect(r.run.status).toBe('open');
  });

  it('a `when` that throws fails the step; with continue the case goes on', async () => {
    const process = compileProcess({
      name: 'p',
      steps: [
        { name: 'm', kind: 'map', expression: '{ "a": 1 }', when: '$error("broken")', onFailure: 'continue' },
        { name: 't', kind: 'manual', queue: 'hr' },
      ],
    });
    const r = ok(await advance(process, newCaseRun(process, {}), { type: 'case_started' }, ctx));
    expect(statuses(r.run)).toEqual({ m: 'failed', t: 'waiting_for_person' });
    expect(r.run.steps[0]!.error).toBe('when: broken');
  });

  it('an evaluator bug is not swallowed as a step failure', async () => {
    const broken: RunnerContext = { ...ctx, evaluate: () => Promise.reject(new TypeError('bug')) };
    const withWhen = compileProcess({ name: 'p', steps: [{ name: 'm', kind: 'map', expression: '{}' }] });
    await expect(advance(withWhen, newCaseRun(withWhen, {}), { type: 'case_started' }, broken)).rejects.toThrow('bug');
    const expressionFailure: RunnerContext = { ...ctx, evaluate: () => Promise.reject(new ExpressionError('too slow')) };
    const r = ok(await advance(withWhen, newCaseRun(withWhen, {}), { type: 'case_started' }, expressionFailure));
    expect(r.run.steps[0]!.error).toBe('expression: too slow');
  });

  it('refuses a second start, an event for another action, a completion of a step not waiting for a person, and an unknown step', async () => {
    const run = await atLaptop();
    expect(await advance(newStarter, run, { type: 'case_started' }, ctx)).toMatchObject({ ok: false, code: 'INVALID_STATE' });
    expect(await advance(newStarter, run, closed({ step: 'laptop', actionId: 'other' }), ctx)).toMatchObject({
      ok: false,
      code: 'CONFLICT',
    });
    expect(
      await advance(newStarter, run, { type: 'step_completed', step: 'laptop', resolution: 'done_successfully', user: 'x' }, ctx),
    ).toMatchObject({ ok: false, code: 'INVALID_STATE' });
    expect(await advance(newStarter, run, { type: 'action_queued', step: 'nope', actionId: 'a' }, ctx)).toMatchObject({
      ok: false,
      code: 'CONFLICT',
    });
    const other = compileProcess({ name: 'other', steps: [{ name: 'x', kind: 'manual', queue: 'hr' }] });
    expect(await advance(other, run, { type: 'case_started' }, ctx)).toMatchObject({ ok: false, code: 'INVALID_STATE' });
  });

  it('refuses a change of an action for a step that has not started', async () => {
    const run = await atLaptop();
    expect(await advance(newStarter, run, closed({ step: 'welcome', actionId: 'act_x' }), ctx)).toMatchObject({
      ok: false,
      code: 'INVALID_STATE',
    });
  });

  it('a manual task completed Not Done fails its step and, with stop, leaves the case open there', async () => {
    let run = ok(await advance(newStarter, newCaseRun(newStarter, { name: 'Sam' }), { type: 'case_started' }, ctx)).run;
    run = ok(await advance(newStarter, run, { type: 'action_queued', step: 'approve', actionId: 'task_1' }, ctx)).run;
    const r = ok(
      await advance(newStarter, run, { type: 'step_completed', step: 'approve', resolution: 'not_done_successfully', user: 'alice' }, ctx),
    );
    expect(statuses(r.run)).toEqual({ approve: 'failed', laptop: 'pending', shape: 'pending', welcome: 'pending' });
    expect(r.run.steps[0]!.outcome).toBeNull();
    expect(r.effects).toEqual([]);
  });

  it('the same action_queued twice changes nothing the second time, and the input case run is not mutated', async () => {
    const run = await atLaptop();
    const snapshot = structuredClone(run);
    const again = ok(await advance(newStarter, run, { type: 'action_queued', step: 'laptop', actionId: 'act_laptop' }, ctx));
    expect(again.changed).toBe(false);
    ok(await advance(newStarter, run, closed({ step: 'laptop', actionId: 'act_laptop', output: { ticket: 'X' } }), ctx));
    expect(run).toEqual(snapshot);
  });
});

describe('truthy (JSONata $boolean)', () => {
  it('follows JSONata casting', () => {
    expect([true, 'x', 1, [0, 1], { a: 1 }].map(truthy)).toEqual([true, true, true, true, true]);
    expect([false, '', 0, [], [0, ''], {}, null, undefined].map(truthy)).toEqual([false, false, false, false, false, false, false, false]);
  });
});
