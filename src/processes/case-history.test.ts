// The case history derived from the runner's changes: each step's move, an operator's retry and skip
// with their name, a false `when`, the escalation and the close; a repeat that changes nothing gives none.

import { describe, expect, it } from 'vitest';
import { compileProcess } from './definition.ts';
import { type CaseEvent, type CaseRun, advance, newCaseRun } from './runner.ts';
import { closed, ctx, ok } from './runner-fixtures.ts';
import { HISTORY_FIELDS_MAX, HISTORY_TEXT_MAX, historyOfEvent, historyOfPatch } from './case-history.ts';

const doubler = compileProcess({
  name: 'doubler',
  steps: [
    { name: 'shape', kind: 'map', expression: '{ "total": $number(case.amount) * 2 }' },
    { name: 'sms', kind: 'external', actionType: 'send-sms', input: '{ "To": "1", "Text": "x" }', when: 'case.sms = true' },
    { name: 'call', kind: 'external', actionType: 'set-priority', input: '{ "Priority": 1 }' },
  ],
});

/** Applies an event and derives its entries, as the case worker does. */
async function step(run: CaseRun, event: CaseEvent, at = 1000) {
  const r = ok(await advance(doubler, run, event, ctx));
  return {
    run: r.run,
    entries: historyOfEvent(run, r.run, event, at).map(({ kind, step, actor, detail }) => ({ kind, step, actor, detail })),
  };
}

describe('the history of a case run', () => {
  it('records a failure, an operator retry and skip by name, a false when, and the close', async () => {
    let s = await step(newCaseRun(doubler, { amount: 'abc' }), { type: 'case_started' });
    expect(s.entries).toEqual([
      { kind: 'step_failed', step: 'shape', actor: 'system', detail: { from: 'pending', error: expect.stringMatching(/^expression:/) } },
    ]);
    s = await step(s.run, { type: 'step_retried', step: 'shape', user: 'olga', at: 2000, key: 'k1' });
    expect(s.entries).toEqual([
      { kind: 'step_retried', step: 'shape', actor: 'user:olga', detail: { count: 1 } },
      { kind: 'step_failed', step: 'shape', actor: 'system', detail: { from: 'pending', error: expect.stringMatching(/^expression:/) } },
    ]);
    // The same key again: the runner changes nothing, and nothing is recorded.
    const repeat = await step(s.run, { type: 'step_retried', step: 'shape', user: 'olga', at: 2001, key: 'k1' });
    expect(repeat.entries).toEqual([]);
    s = await step(s.run, { type: 'step_skipped', step: 'shape', user: 'olga', at: 3000, note: 'amount is not a number', key: 'k2' });
    expect(s.entries).toEqual([
      { kind: 'step_skipped', step: 'shape', actor: 'user:olga', detail: { from: 'failed', note: 'amount is not a number' } },
      { kind: 'step_skipped', step: 'sms', actor: 'system', detail: { from: 'pending', when: false } },
      { kind: 'step_started', step: 'call', actor: 'system', detail: { from: 'pending' } },
    ]);
    const skipAgain = await step(s.run, {
      type: 'step_skipped',
      step: 'shape',
      user: 'olga',
      at: 3001,
      note: 'amount is not a number',
      key: 'k2',
    });
    expect(skipAgain.entries).toEqual([]);
    s = await step(s.run, { type: 'action_queued', step: 'call', actionId: 'a1' });
    expect(s.entries).toEqual([]);
    s = await step(s.run, closed({ step: 'call', actionId: 'a1', escalated: true }));
    expect(s.entries).toEqual([
      { kind: 'step_done', step: 'call', actor: 'system', detail: { from: 'running', outcome: 'ACTION_HANDLED_SUCCESSFUL' } },
      { kind: 'case_escalated', step: 'call', actor: 'system', detail: {} },
      { kind: 'case_closed', step: null, actor: 'system', detail: { by: 'process' } },
    ]);
  });

  it('names the fields a map step set, not their values, and cuts a long error', async () => {
    const s = await step(newCaseRun(doubler, { amount: 2, sms: true }), { type: 'case_started' });
    expect(s.entries[0]).toEqual({ kind: 'step_done', step: 'shape', actor: 'system', detail: { from: 'pending', fields: ['total'] } });
    expect(JSON.stringify(s.entries)).not.toContain('4');
    const long = await step(s.run, { type: 'action_queued', step: 'sms', actionId: 'a1' });
    const failed = await step(long.run, {
      type: 'action_changed',
      step: 'sms',
      actionId: 'a1',
      state: 'closed',
      reason: null,
      resolution: 'not_done_successfully',
      escalated: false,
    });
    expect(failed.entries[0]).toMatchObject({ kind: 'step_failed', step: 'sms' });
    const huge = {
      ...s.run,
      steps: s.run.steps.map((x) => (x.name === 'sms' ? { ...x, status: 'failed' as const, error: 'e'.repeat(100_000) } : x)),
    };
    const entries = historyOfEvent(s.run, huge, { type: 'case_started' }, 1);
    expect((entries[0]!.detail.error as string).length).toBe(HISTORY_TEXT_MAX);
  });
});

describe('the history of a PATCH', () => {
  const before = { data: { a: 1, secret: 'x' }, owner: 'olga', queue: null, title: 'T' };
  it('names changed data fields without values, and owner, queue and title changes', () => {
    const e = historyOfPatch(before, { data: { a: 1, secret: 'y', b: 2 }, owner: 'sam', queue: 'desk', title: 'T' }, 'user:crm', 5);
    expect(e.map(({ kind, detail }) => ({ kind, detail }))).toEqual([
      { kind: 'data_changed', detail: { fields: ['secret', 'b'] } },
      { kind: 'owner_changed', detail: { from: 'olga', to: 'sam' } },
      { kind: 'queue_changed', detail: { from: null, to: 'desk' } },
    ]);
    expect(JSON.stringify(e)).not.toContain('"y"');
    expect(historyOfPatch(before, { data: { a: 1 }, owner: 'olga' }, 'user:crm', 5)).toEqual([]);
  });

  it('lists at most 50 field names', () => {
    const data = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`f${i}`, i]));
    const [e] = historyOfPatch(before, { data }, 'user:crm', 5);
    expect((e!.detail.fields as string[]).length).toBe(HISTORY_FIELDS_MAX);
    expect(e!.detail.more).toBe(1000 - HISTORY_FIELDS_MAX);
  });
});
