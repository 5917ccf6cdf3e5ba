import { describe, expect, it } from 'vitest';
import type { ActionRecord } from '../lifecycle/action.ts';
import type { Effect } from '../lifecycle/transition.ts';
import { isEmptyPlan, planEffects } from './effects.ts';
import type { ActionWrite } from './types.ts';

const written = (id: string, caseId: string | null, at: number, effects: Effect[], lastError: string | null = null): ActionWrite => ({
  action: { id, caseId, updatedAt: at, lastError } as ActionRecord,
  expectedVersion: 1,
  timeline: [],
  effects,
});

const changed: Effect = {
  type: 'state_changed',
  from: { state: 'waiting', reason: null, resolution: null },
  to: { state: 'closed', reason: null, resolution: 'not_done_successfully' },
};

describe('planning the effects of applied writes', () => {
  it("keeps each action's patch apart, in write order, naming the action it came from (each is checked on its own)", () => {
    const plan = planEffects([
      written('a1', 'case-1', 10, [{ type: 'merge_case_data', data: { status: 'open', nested: { x: 1 } } }]),
      written('a2', 'case-2', 15, [{ type: 'merge_case_data', data: { other: true } }]),
      written('a3', 'case-1', 20, [{ type: 'merge_case_data', data: { status: 'closed', nested: { y: 2 }, gone: null } }]),
    ]);
    expect(plan.merges).toEqual([
      { caseId: 'case-1', data: { status: 'open', nested: { x: 1 } }, at: 10, actionId: 'a1' },
      { caseId: 'case-2', data: { other: true }, at: 15, actionId: 'a2' },
      { caseId: 'case-1', data: { status: 'closed', nested: { y: 2 }, gone: null }, at: 20, actionId: 'a3' },
    ]);
    expect(plan.notices).toEqual([]);
  });

  it('notifies the owner of the case for each escalation, in write order, with the last error', () => {
    const plan = planEffects([
      written('a1', 'case-1', 10, [changed, { type: 'escalated' }], 'HTTP 503'),
      written('a2', 'case-1', 11, [{ type: 'escalated' }]),
    ]);
    expect(plan.notices).toEqual([
      { actionId: 'a1', caseId: 'case-1', message: 'An action closed Not Done Successfully: HTTP 503', at: 10 },
      { actionId: 'a2', caseId: 'case-1', message: 'An action closed Not Done Successfully', at: 11 },
    ]);
  });

  it('asks nothing of the store for actions without a case', () => {
    const plan = planEffects([written('a1', null, 10, [{ type: 'escalated' }, { type: 'merge_case_data', data: { x: 1 } }, changed])]);
    expect(isEmptyPlan(plan)).toBe(true);
  });

  it("a state change of a case's action is only a case event, for the case outbox", () => {
    const plan = planEffects([written('a2', 'case-1', 10, [changed])]);
    expect(plan.merges).toEqual([]);
    expect(plan.notices).toEqual([]);
    expect(plan.caseEvents).toEqual([
      {
        caseId: 'case-1',
        at: 10,
        event: {
          type: 'action_changed',
          step: '',
          actionId: 'a2',
          state: 'closed',
          reason: null,
          resolution: 'not_done_successfully',
          escalated: false,
        },
      },
    ]);
  });

  it('refuses an effect it does not know rather than dropping it', () => {
    expect(() => planEffects([written('a1', 'case-1', 10, [{ type: 'archived' } as unknown as Effect])])).toThrow(/unexpected value/);
  });
});
