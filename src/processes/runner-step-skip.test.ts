// An operator's skip of a failed step (step_skipped): the case goes on as past a false `when`; only a
// failed step the case stopped at; a repeated key changes nothing.

import { describe, expect, it } from 'vitest';
import { compileProcess } from './definition.ts';
import { type CaseRun, advance, newCaseRun } from './runner.ts';
import { ctx, ok, statuses } from './runner-fixtures.ts';

const doubler = compileProcess({
  name: 'doubler',
  steps: [
    { name: 'shape', kind: 'map', expression: '{ "total": $number(case.amount) * 2 }' },
    { name: 'after', kind: 'manual', queue: 'hr' },
  ],
});

const failedAt = async (): Promise<CaseRun> =>
  ok(await advance(doubler, newCaseRun(doubler, { amount: 'abc' }), { type: 'case_started' }, ctx)).run;

const skipped = (step = 'shape', key?: string) =>
  ({ type: 'step_skipped', step, user: 'olga', at: 1000, note: 'not needed', ...(key !== undefined ? { key } : {}) }) as const;

describe("an operator's skip of a failed step", () => {
  it('skips the step, records who and why, and the case goes on', async () => {
    const r = ok(await advance(doubler, await failedAt(), skipped('shape', 'k1'), ctx));
    expect(statuses(r.run)).toEqual({ shape: 'skipped', after: 'waiting_for_person' });
    expect(r.run.steps[0]).toMatchObject({ skipped: { at: 1000, by: 'olga', note: 'not needed', key: 'k1' } });
    expect(r.effects.map((e) => e.type)).toEqual(['create_task']);
    const repeat = ok(await advance(doubler, r.run, skipped('shape', 'k1'), ctx));
    expect(repeat).toMatchObject({ changed: false, effects: [] });
    expect(await advance(doubler, r.run, skipped('shape', 'k2'), ctx)).toMatchObject({
      ok: false,
      code: 'INVALID_STATE',
      message: expect.stringMatching(/already skipped/),
    });
  });

  it('refuses a step waiting for a person, a pending step and an unknown one', async () => {
    const r = ok(await advance(doubler, await failedAt(), skipped(), ctx));
    expect(await advance(doubler, r.run, skipped('after'), ctx)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/waiting for a person: complete its task/),
    });
    const fresh = newCaseRun(doubler, {});
    expect(await advance(doubler, fresh, skipped('after'), ctx)).toMatchObject({ ok: false, message: expect.stringMatching(/pending/) });
    expect(await advance(doubler, fresh, skipped('nope'), ctx)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });
});
