// Where a case stopped (case-stop.ts): the failed `stop` step of an open case, from its steps as the
// runner leaves them; a retry that fails again is a new stop, a repeat is not.

import { describe, expect, it } from 'vitest';
import { compileProcess } from './definition.ts';
import { advance, newCaseRun } from './runner.ts';
import { ctx, ok } from './runner-fixtures.ts';
import { caseStop, isNewStop, stopNotice } from './case-stop.ts';

const process = compileProcess({
  name: 'doubler',
  steps: [
    { name: 'tidy', kind: 'map', expression: '{ "n": $number(case.amount) }', onFailure: 'continue' },
    { name: 'shape', kind: 'map', expression: '{ "total": $number(case.amount) * 2 }' },
    { name: 'after', kind: 'manual', queue: 'hr' },
  ],
});

describe('caseStop', () => {
  it('names the failed stop step of an open case, past a failed continue step', async () => {
    const run = ok(await advance(process, newCaseRun(process, { amount: 'abc' }), { type: 'case_started' }, ctx)).run;
    const stop = caseStop(run.status, run.steps, process.steps);
    expect(stop).toEqual({ step: 'shape', error: expect.stringMatching(/^expression: /), retries: 0 });
    expect(caseStop('closed', run.steps, process.steps)).toBeUndefined();
  });

  it('is undefined for a case that goes on or waits for a person', async () => {
    const run = ok(await advance(process, newCaseRun(process, { amount: '2' }), { type: 'case_started' }, ctx)).run;
    expect(caseStop(run.status, run.steps, process.steps)).toBeUndefined();
    expect(caseStop('open', null, process.steps)).toBeUndefined();
  });

  it('sees a skip end the stop and a retry that fails again as a new stop', async () => {
    const stopped = ok(await advance(process, newCaseRun(process, { amount: 'abc' }), { type: 'case_started' }, ctx)).run;
    const first = caseStop(stopped.status, stopped.steps, process.steps);
    expect(isNewStop(undefined, first)).toBe(true);
    expect(isNewStop(first, first)).toBe(false);
    const retried = ok(await advance(process, stopped, { type: 'step_retried', step: 'shape', user: 'olga', at: 1 }, ctx)).run;
    const again = caseStop(retried.status, retried.steps, process.steps);
    expect(again).toMatchObject({ step: 'shape', retries: 1 });
    expect(isNewStop(first, again)).toBe(true);
    const skipped = ok(await advance(process, retried, { type: 'step_skipped', step: 'shape', user: 'olga', at: 2, note: null }, ctx)).run;
    expect(caseStop(skipped.status, skipped.steps, process.steps)).toBeUndefined();
    expect(isNewStop(again, undefined)).toBe(false);
  });

  it("the owner's notification quotes a long error cut at a whole character (no half of an emoji)", () => {
    const error = `${'e'.repeat(499)}\u{1F600} and the rest`;
    const n = stopNotice('olga', { step: 'shape', error, retries: 0 }, 5);
    expect(n.message).toBe(`The case stopped at step "shape": ${'e'.repeat(499)}…`);
  });
});
