// A case's step outputs together stay within MAX_STEP_OUTPUTS_BYTES: each is within its own limit, but a
// process of many steps added them up without bound. The step whose output would pass it fails, saying
// why, and its case stops or goes on as its onFailure says.

import { describe, expect, it } from 'vitest';
import { compileProcess } from './definition.ts';
import { advance, newCaseRun } from './runner.ts';
import { closed, ctx, ok, statuses } from './runner-fixtures.ts';
import { MAX_STEP_OUTPUTS_BYTES } from '../json-limits.ts';

const blob = (chars: number) => ({ blob: 'x'.repeat(chars) });

describe("a case's step outputs are bounded together", () => {
  it('map steps that each fit the case data (one key, overwritten) fail once their outputs pass 1 MB', async () => {
    const process = compileProcess({
      name: 'grow',
      steps: Array.from({ length: 6 }, (_, i) => ({ name: `m${i}`, kind: 'map' as const, expression: '{ "k": $pad("", 200000, "x") }' })),
    });
    const r = ok(await advance(process, newCaseRun(process, {}), { type: 'case_started' }, ctx));
    expect(statuses(r.run)).toEqual({ m0: 'done', m1: 'done', m2: 'done', m3: 'done', m4: 'done', m5: 'failed' });
    expect(r.run.steps[5]).toMatchObject({
      output: null,
      error: "the result: with it, the outputs of the case's steps would be larger than 1 MB as JSON, so it is not kept",
    });
    expect(JSON.stringify(r.run.steps.map((s) => s.output)).length).toBeLessThan(MAX_STEP_OUTPUTS_BYTES);
    expect(r.effects.filter((e) => e.type === 'merge_case_data')).toHaveLength(5);
    expect(r.run.status).toBe('open');
  });

  const external = (onFailure: 'stop' | 'continue') =>
    compileProcess({
      name: 'calls',
      steps: [
        { name: 'a', kind: 'external', actionType: 'order-laptop', input: '{ "Title": "T", "Queue": "hr" }' },
        { name: 'b', kind: 'external', actionType: 'order-laptop', input: '{ "Title": "T", "Queue": "hr" }', onFailure },
        { name: 'after', kind: 'manual', queue: 'hr' },
      ],
    });
  const throughA = async (onFailure: 'stop' | 'continue') => {
    const p = external(onFailure);
    let run = ok(await advance(p, newCaseRun(p, {}), { type: 'case_started' }, ctx)).run;
    run = ok(await advance(p, run, { type: 'action_queued', step: 'a', actionId: 'a1' }, ctx)).run;
    run = ok(await advance(p, run, closed({ step: 'a', actionId: 'a1', output: blob(900_000) }), ctx)).run;
    return { p, run: ok(await advance(p, run, { type: 'action_queued', step: 'b', actionId: 'b1' }, ctx)).run };
  };

  it('an action Done with an output that does not fit fails its step (stop: the case waits; its retry is refused)', async () => {
    const { p, run } = await throughA('stop');
    const r = ok(await advance(p, run, closed({ step: 'b', actionId: 'b1', output: blob(200_000) }), ctx));
    expect(statuses(r.run)).toEqual({ a: 'done', b: 'failed', after: 'pending' });
    expect(r.run.steps[1]).toMatchObject({
      outcome: 'ACTION_HANDLED_SUCCESSFUL',
      output: null,
      error: expect.stringMatching(/^output: with it/),
    });
    const again = await advance(p, r.run, { type: 'step_retried', step: 'b', user: 'olga', at: 1 }, ctx);
    expect(again).toMatchObject({ ok: false, message: expect.stringContaining('was Done Successfully (output: with it') });
  });

  it('with continue the case goes on; a small output still fits; Not Done keeps its own reason', async () => {
    const { p, run } = await throughA('continue');
    const r = ok(await advance(p, run, closed({ step: 'b', actionId: 'b1', output: blob(200_000) }), ctx));
    expect(statuses(r.run)).toEqual({ a: 'done', b: 'failed', after: 'waiting_for_person' });

    const small = ok(await advance(p, run, closed({ step: 'b', actionId: 'b1', output: blob(100_000) }), ctx));
    expect(statuses(small.run)).toMatchObject({ b: 'done' });

    const notDone = ok(
      await advance(p, run, closed({ step: 'b', actionId: 'b1', resolution: 'not_done_successfully', output: blob(200_000) }), ctx),
    );
    expect(notDone.run.steps[1]!.error).toMatch(/^the action was closed Not Done Successfully; its output was not kept: with it/);
  });

  it('a process of 100 steps whose outputs come near the bound together keeps every one of them', async () => {
    // Outputs of many small members (the slowest to measure), close to 1 MB together; the expressions answer at once.
    const members = (): unknown => ({ k: Array.from({ length: 1000 }, (_, i) => ({ a: i })) });
    const fast = { ...ctx, evaluate: async () => members() };
    const process = compileProcess({
      name: 'many',
      steps: Array.from({ length: 100 }, (_, i) => ({ name: `m${i}`, kind: 'map' as const, expression: '{}' })),
    });
    const r = ok(await advance(process, newCaseRun(process, {}), { type: 'case_started' }, fast));
    expect(statuses(r.run)).toEqual(Object.fromEntries(process.steps.map((s) => [s.name, 'done'])));
    expect(JSON.stringify(r.run.steps.map((s) => s.output)).length).toBeGreaterThan(0.9 * MAX_STEP_OUTPUTS_BYTES);
  });
});
