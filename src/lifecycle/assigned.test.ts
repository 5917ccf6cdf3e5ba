// The `assigned` event (an operator moving a task) and the allocations the store plans from writes.

import { describe, expect, it } from 'vitest';
import type { ActionPolicy, ActionRecord } from './action.ts';
import { transition, type Effect } from './transition.ts';
import { compileRetryPolicy } from './retry-policy.ts';
import { planEffects } from '../store/effects.ts';

const T0 = Date.UTC(2030, 0, 1);
const policy: ActionPolicy = {
  retry: compileRetryPolicy({ maxRetries: 0 }),
  completion: { mode: 'response', timeoutMs: null, heartbeatTimeoutMs: null },
  allocation: { queue: 'hr', user: null },
};
const task = (over: Partial<ActionRecord> = {}): ActionRecord =>
  ({
    id: 'a1',
    caseId: null,
    state: 'todo',
    reason: 'request_rejected',
    resolution: null,
    phase: null,
    queue: 'hr',
    assignee: null,
    version: 3,
    updatedAt: T0,
    ...over,
  }) as ActionRecord;
const ok = (r: ReturnType<typeof transition>) => {
  if (!r.ok) throw new Error(r.message);
  return r;
};

describe('assigned', () => {
  it('to a person: sets the assignee (and queue), keeps the state, notes who did it; no allocation', () => {
    const r = ok(transition(task(), { type: 'assigned', user: 'alice', queue: 'it', assignee: 'bob' }, { policy, now: T0 + 1 }));
    expect(r.action).toMatchObject({ state: 'todo', queue: 'it', assignee: 'bob', version: 4 });
    expect(r.timeline).toEqual([{ at: T0 + 1, actor: 'user:alice', kind: 'assigned', message: 'Assigned to bob on queue it by alice' }]);
    expect(r.effects).toEqual([]);
    expect(planEffects([{ action: r.action, expectedVersion: 3, timeline: r.timeline, effects: r.effects }]).allocations).toEqual([]);
  });

  it('to a queue alone: unassigned there and allocated by it; an In Progress task goes back To Do', () => {
    const r = ok(transition(task({ assignee: 'bob' }), { type: 'assigned', user: 'alice', queue: 'it' }, { policy, now: T0 }));
    expect(r.action).toMatchObject({ state: 'todo', queue: 'it', assignee: null });
    expect(r.effects).toEqual([{ type: 'allocate' }]);
    expect(planEffects([{ action: r.action, expectedVersion: 3, timeline: [], effects: r.effects }]).allocations).toEqual([
      { actionId: 'a1', queue: 'it', at: T0 },
    ]);
    const back = ok(
      transition(task({ state: 'in_progress', assignee: 'bob' }), { type: 'assigned', user: 'alice', queue: 'it' }, { policy, now: T0 }),
    );
    expect(back.action).toMatchObject({ state: 'todo', reason: 'request_rejected', assignee: null });
    expect(back.effects.map((e) => e.type)).toEqual(['state_changed']);
    expect(planEffects([{ action: back.action, expectedVersion: 3, timeline: [], effects: back.effects }]).allocations).toHaveLength(1);
  });

  it('the same assignment twice changes nothing; waiting and closed actions are refused', () => {
    const same = ok(transition(task({ assignee: 'bob' }), { type: 'assigned', user: 'alice', assignee: 'bob' }, { policy, now: T0 }));
    expect(same.changed).toBe(false);
    for (const state of ['waiting', 'closed'] as const)
      expect(transition(task({ state }), { type: 'assigned', user: 'alice', assignee: 'bob' }, { policy, now: T0 })).toMatchObject({
        ok: false,
        code: 'INVALID_STATE',
      });
  });
});

describe('allocations planned from writes', () => {
  const toTodo: Effect = {
    type: 'state_changed',
    from: { state: 'waiting', reason: null, resolution: null },
    to: { state: 'todo', reason: 'timeout', resolution: null },
  };
  it('only for a task landing To Do on a queue with no one named, sorted by queue', () => {
    const w = (id: string, over: Partial<ActionRecord>, effects: Effect[]) => ({
      action: task({ id, ...over }),
      expectedVersion: 1,
      timeline: [],
      effects,
    });
    const plan = planEffects([
      w('x', { queue: 'zeta' }, [toTodo]),
      w('y', { queue: 'alpha' }, [toTodo]),
      w('named', { assignee: 'dave' }, [toTodo]),
      w('no-queue', { queue: null }, [toTodo]),
      w('not-todo', {}, []),
    ]);
    expect(plan.allocations.map((a) => a.actionId)).toEqual(['y', 'x']);
  });
});
