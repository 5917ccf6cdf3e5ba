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
    // Bob is told; alice, who did it, is not.
    expect(r.effects).toEqual([
      { type: 'notify', user: 'bob', kind: 'task.assigned', message: 'alice assigned task a1 on queue it to you' },
    ]);
    expect(planEffects([{ action: r.action, expectedVersion: 3, timeline: r.timeline, effects: r.effects }]).allocations).toEqual([]);
  });

  it('to a queue alone: unassigned there and allocated by it; an In Progress task goes back To Do', () => {
    const r = ok(transition(task({ assignee: 'bob' }), { type: 'assigned', user: 'alice', queue: 'it' }, { policy, now: T0 }));
    expect(r.action).toMatchObject({ state: 'todo', queue: 'it', assignee: null });
    expect(r.effects).toEqual([
      { type: 'notify', user: 'bob', kind: 'task.taken', message: 'alice moved task a1 on queue hr to queue it, which was yours' },
      { type: 'allocate' },
    ]);
    expect(planEffects([{ action: r.action, expectedVersion: 3, timeline: [], effects: r.effects }]).allocations).toEqual([
      { actionId: 'a1', queue: 'it', at: T0 },
    ]);
    const back = ok(
      transition(task({ state: 'in_progress', assignee: 'bob' }), { type: 'assigned', user: 'alice', queue: 'it' }, { policy, now: T0 }),
    );
    expect(back.action).toMatchObject({ state: 'todo', reason: 'request_rejected', assignee: null });
    expect(back.effects.map((e) => e.type)).toEqual(['notify', 'state_changed']);
    expect(planEffects([{ action: back.action, expectedVersion: 3, timeline: [], effects: back.effects }]).allocations).toHaveLength(1);
  });

  it('given back to its own queue, To Do or In Progress: allocated to someone other than the person it leaves', () => {
    for (const state of ['todo', 'in_progress'] as const) {
      const r = ok(transition(task({ state, assignee: 'bob' }), { type: 'assigned', user: 'bob', queue: 'hr' }, { policy, now: T0 }));
      expect(r.action).toMatchObject({ state: 'todo', queue: 'hr', assignee: null });
      expect(r.effects.filter((e) => e.type === 'allocate')).toEqual([{ type: 'allocate', not: 'bob' }]);
      expect(planEffects([{ action: r.action, expectedVersion: 3, timeline: [], effects: r.effects }]).allocations).toEqual([
        { actionId: 'a1', queue: 'hr', at: T0, not: 'bob' },
      ]);
    }
    // No one had it: nothing to leave out.
    const none = ok(transition(task({ assignee: null }), { type: 'assigned', user: 'alice', queue: 'hr' }, { policy, now: T0 }));
    expect(none.effects).toEqual([{ type: 'allocate' }]);
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

describe('a task given back to its queue because of its person (disabled, or off the queue)', () => {
  it('says why on the timeline and tells them nothing: one change of theirs gives back every task', () => {
    for (const state of ['todo', 'in_progress'] as const) {
      const r = ok(
        transition(
          task({ state, assignee: 'hal' }),
          { type: 'assigned', user: 'admin', queue: 'hr', because: 'hal was disabled' },
          { policy, now: T0 + 1 },
        ),
      );
      expect(r.action).toMatchObject({ state: 'todo', queue: 'hr', assignee: null });
      expect(r.timeline.at(0)?.message).toMatch(/^Moved to queue hr by admin \(.*hal.*\): hal was disabled$/);
      expect(r.effects.filter((e) => e.type === 'notify')).toEqual([]);
    }
  });
});

describe('a task taken from the person it was allocated to', () => {
  const notices = (r: ReturnType<typeof transition>) => ok(r).effects.filter((e) => e.type === 'notify');

  it('picked up by another: the timeline says whose it was and they are told, on a caseless task too', () => {
    const r = ok(transition(task({ assignee: 'hal' }), { type: 'picked_up', user: 'gina' }, { policy, now: T0 }));
    expect(r.timeline[0]!.message).toBe("Picked up by gina; it was hal's");
    expect(notices(r)).toEqual([
      { type: 'notify', user: 'hal', kind: 'task.taken', message: 'gina picked up task a1 on queue hr, which was yours' },
    ]);
    expect(planEffects([{ action: r.action, expectedVersion: 3, timeline: r.timeline, effects: r.effects }]).userNotices).toEqual([
      {
        user: 'hal',
        kind: 'task.taken',
        message: 'gina picked up task a1 on queue hr, which was yours',
        actionId: 'a1',
        caseId: null,
        at: T0,
      },
    ]);
    // Their own pick-up, or an unassigned task's, tells no one.
    expect(notices(transition(task({ assignee: 'hal' }), { type: 'picked_up', user: 'hal' }, { policy, now: T0 }))).toEqual([]);
    expect(notices(transition(task(), { type: 'picked_up', user: 'gina' }, { policy, now: T0 }))).toEqual([]);
  });

  it('a second pick-up names who holds it', () => {
    const held = task({ state: 'in_progress', assignee: 'gina' });
    expect(transition(held, { type: 'picked_up', user: 'hal' }, { policy, now: T0 })).toMatchObject({
      ok: false,
      code: 'INVALID_STATE',
      message: expect.stringContaining('gina picked this task up'),
    });
  });

  it('completed To Do by another: the timeline says whose it was and they are told', () => {
    const r = ok(
      transition(task({ assignee: 'hal' }), { type: 'completed', user: 'gina', resolution: 'done_successfully' }, { policy, now: T0 }),
    );
    expect(r.timeline.map((e) => e.message)).toContain("Completed by gina; it was hal's");
    expect(notices(r)).toEqual([
      {
        type: 'notify',
        user: 'hal',
        kind: 'task.taken',
        message: 'gina completed task a1 on queue hr (Done Successfully), which was yours',
      },
    ]);
    const own = transition(
      task({ assignee: 'hal' }),
      { type: 'completed', user: 'hal', resolution: 'done_successfully' },
      { policy, now: T0 },
    );
    expect(notices(own)).toEqual([]);
    expect(
      ok(own)
        .timeline.map((e) => e.message)
        .join(),
    ).not.toContain('it was');
  });

  it('completed In Progress over its holder (an admin, a case closed): the holder is told', () => {
    const held = task({ state: 'in_progress', assignee: 'hal' });
    const ev = { type: 'completed', user: 'gina', resolution: 'not_done_successfully', override: true } as const;
    expect(notices(transition(held, ev, { policy, now: T0 }))).toEqual([
      {
        type: 'notify',
        user: 'hal',
        kind: 'task.taken',
        message: 'gina completed task a1 on queue hr (Not Done Successfully) while you were working on it',
      },
    ]);
  });

  it('reassigned: the one it leaves and the one it goes to are told, not the one who did it', () => {
    const r = transition(
      task({ state: 'in_progress', assignee: 'hal' }),
      { type: 'assigned', user: 'gina', assignee: 'ivy' },
      { policy, now: T0 },
    );
    expect(notices(r)).toEqual([
      { type: 'notify', user: 'hal', kind: 'task.taken', message: 'gina assigned task a1 on queue hr to ivy, which was yours' },
      { type: 'notify', user: 'ivy', kind: 'task.assigned', message: 'gina assigned task a1 on queue hr to you' },
    ]);
    // Taking it over yourself tells only the one it was taken from; handing your own on tells only the receiver.
    const me = transition(task({ assignee: 'hal' }), { type: 'assigned', user: 'gina', assignee: 'gina' }, { policy, now: T0 });
    expect(notices(me).map((n) => n.type === 'notify' && n.user)).toEqual(['hal']);
    const handOn = transition(task({ assignee: 'hal' }), { type: 'assigned', user: 'hal', assignee: 'ivy' }, { policy, now: T0 });
    expect(notices(handOn).map((n) => n.type === 'notify' && n.user)).toEqual(['ivy']);
  });

  it('reassigned or moved: the timeline says whose it was, picked up or only given', () => {
    const words = (a: Partial<ActionRecord>, ev: { assignee?: string; queue?: string }) =>
      ok(transition(task(a), { type: 'assigned', user: 'gina', ...ev }, { policy, now: T0 })).timeline[0]!.message;
    expect(words({ state: 'in_progress', assignee: 'hal' }, { assignee: 'ivy' })).toBe(
      'Assigned to ivy on queue hr by gina (taken from hal)',
    );
    expect(words({ assignee: 'hal' }, { assignee: 'ivy' })).toBe("Assigned to ivy on queue hr by gina (it was hal's)");
    expect(words({ assignee: 'hal' }, { queue: 'it' })).toBe("Moved to queue it by gina (it was hal's)");
    expect(words({}, { assignee: 'ivy' })).toBe('Assigned to ivy on queue hr by gina');
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
