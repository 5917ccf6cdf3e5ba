// Queue allocation, rule by rule: none, round_robin, least_loaded, owner; ties, empty queues and owners outside the queue.

import { describe, expect, it } from 'vitest';
import { allocate, type Allocation } from './allocate.ts';

const q = (allocation: Allocation, members: string[] = ['alice', 'bob', 'carol']) => ({ allocation, members });

describe('allocate', () => {
  it('none leaves the task on the queue', () => {
    expect(allocate(q('none'), {}, 'alice', null)).toEqual({ assignee: null, why: 'the queue assigns no one' });
  });

  it('round_robin goes to the member after the last assignee, wrapping around', () => {
    expect(allocate(q('round_robin'), {}, null, null).assignee).toBe('alice');
    expect(allocate(q('round_robin'), {}, null, 'alice').assignee).toBe('bob');
    expect(allocate(q('round_robin'), {}, null, 'carol').assignee).toBe('alice');
  });

  it('round_robin starts from the first member when the last assignee left the queue', () => {
    expect(allocate(q('round_robin'), {}, null, 'dave').assignee).toBe('alice');
  });

  it('round_robin ignores open-task counts', () => {
    expect(allocate(q('round_robin'), { bob: 50 }, null, 'alice').assignee).toBe('bob');
  });

  it('least_loaded picks the member with the fewest open tasks; a member without a count has none', () => {
    expect(allocate(q('least_loaded'), { alice: 3, bob: 1, carol: 2 }, null, null)).toEqual({
      assignee: 'bob',
      why: 'least loaded (1 open)',
    });
    expect(allocate(q('least_loaded'), { alice: 3, bob: 1 }, null, null).assignee).toBe('carol');
  });

  it('least_loaded breaks ties in turn after the last assignee', () => {
    const counts = { alice: 1, bob: 1, carol: 1 };
    expect(allocate(q('least_loaded'), counts, null, null).assignee).toBe('alice');
    expect(allocate(q('least_loaded'), counts, null, 'alice').assignee).toBe('bob');
    expect(allocate(q('least_loaded'), counts, null, 'carol').assignee).toBe('alice');
    expect(allocate(q('least_loaded'), { alice: 0, bob: 2, carol: 0 }, null, 'alice').assignee).toBe('carol');
  });

  it('owner assigns the case owner when they are a member', () => {
    expect(allocate(q('owner'), {}, 'bob', 'alice')).toEqual({ assignee: 'bob', why: 'the case owner' });
  });

  it('owner keeps the task on the queue when the owner is not a member, or there is no owner', () => {
    expect(allocate(q('owner'), {}, 'zed', null)).toEqual({ assignee: null, why: 'the case owner zed is not a member of the queue' });
    expect(allocate(q('owner'), {}, null, null)).toEqual({ assignee: null, why: 'the case has no owner' });
  });

  it('an empty queue assigns no one, whatever its rule', () => {
    for (const rule of ['none', 'round_robin', 'least_loaded', 'owner'] as const) {
      expect(allocate(q(rule, []), {}, 'alice', 'alice').assignee).toBeNull();
    }
  });

  it('a member listed twice counts once', () => {
    expect(allocate(q('round_robin', ['alice', 'alice', 'bob']), {}, null, 'alice').assignee).toBe('bob');
  });
});
