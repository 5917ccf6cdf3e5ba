// What allocating one task decides from the facts a store reads: disabled members and the round-robin turn.

import { describe, expect, it } from 'vitest';
import { decideAllocation, type AllocationFacts } from './allocation.ts';

const facts = (members: string[], active: string[], lastAssignee: string | null): AllocationFacts => ({
  queue: { name: 'hr', doc: { members, allocation: 'round_robin' }, revision: 1, createdAt: 0, updatedAt: 0 },
  activeMembers: new Set(active),
  openTasks: {},
  caseOwner: null,
  lastAssignee,
});

describe('decideAllocation', () => {
  it('round robin passes over a disabled member and goes on from their place in the turn', () => {
    const all = ['alice', 'bob', 'carol'];
    expect(decideAllocation('hr', facts(all, ['alice', 'carol'], 'bob')).assignee).toBe('carol');
    expect(decideAllocation('hr', facts(all, ['bob', 'carol'], 'alice')).assignee).toBe('bob');
    expect(decideAllocation('hr', facts(all, ['alice', 'bob'], 'carol')).assignee).toBe('alice');
    expect(decideAllocation('hr', facts(['alice', 'bob', 'carol', 'dave'], ['alice', 'dave'], 'bob')).assignee).toBe('dave');
  });

  it('one who left the queue starts the turn from the first member; no active member leaves the task unassigned', () => {
    expect(decideAllocation('hr', facts(['alice', 'bob'], ['alice', 'bob'], 'zed')).assignee).toBe('alice');
    expect(decideAllocation('hr', facts(['alice', 'bob'], [], 'alice'))).toMatchObject({ assignee: null });
  });

  it('sameAs: the person the other action has, if an active member (the turn does not move); else the queue decides', () => {
    const all = ['alice', 'bob', 'carol'];
    const sameAs = (assignee: string | null) => ({ actionId: 'task-1', assignee });
    expect(decideAllocation('hr', { ...facts(all, all, 'alice'), sameAs: sameAs('alice') })).toMatchObject({
      assignee: 'alice',
      turn: false,
    });
    expect(decideAllocation('hr', { ...facts(all, ['bob', 'carol'], 'alice'), sameAs: sameAs('alice') })).toMatchObject({
      assignee: 'bob',
      turn: true,
    });
    expect(decideAllocation('hr', { ...facts(all, all, 'alice'), sameAs: sameAs('zed') })).toMatchObject({ assignee: 'bob', turn: true });
    expect(decideAllocation('hr', { ...facts(all, all, 'alice'), sameAs: sameAs(null) })).toMatchObject({ assignee: 'bob', turn: true });
  });

  it('not: a task given back goes to someone else, the turn going on past them; or to no one when they are all there is', () => {
    const all = ['alice', 'bob', 'carol'];
    // Round robin whose turn is alice's: she gave it back, bob gets it.
    expect(decideAllocation('hr', { ...facts(all, all, 'carol'), not: 'alice' })).toMatchObject({ assignee: 'bob', turn: true });
    // The last one to get a task gave it back: the next after them, as before.
    expect(decideAllocation('hr', { ...facts(all, all, 'alice'), not: 'alice' })).toMatchObject({ assignee: 'bob' });
    expect(decideAllocation('hr', { ...facts(all, all, 'bob'), not: 'carol' })).toMatchObject({ assignee: 'alice' });
    // Least loaded: the one who gave it back has the fewest, and still does not get it.
    const least = {
      ...facts(all, all, null),
      queue: { ...facts(all, all, null).queue!, doc: { members: all, allocation: 'least_loaded' } },
    };
    expect(decideAllocation('hr', { ...least, openTasks: { alice: 0, bob: 3, carol: 2 }, not: 'alice' })).toMatchObject({
      assignee: 'carol',
    });
    // Owner: the case owner gave it back.
    const owner = { ...facts(all, all, null), queue: { ...facts(all, all, null).queue!, doc: { members: all, allocation: 'owner' } } };
    expect(decideAllocation('hr', { ...owner, caseOwner: 'bob', not: 'bob' })).toMatchObject({
      assignee: null,
      message: 'Left on queue hr unassigned: the case owner bob gave it back',
    });
    expect(decideAllocation('hr', { ...owner, caseOwner: 'bob', not: 'alice' })).toMatchObject({ assignee: 'bob' });
    // The only member (or the only active one).
    expect(decideAllocation('hr', { ...facts(['alice'], ['alice'], null), not: 'alice' })).toMatchObject({
      assignee: null,
      message: 'Left on queue hr unassigned: alice gave it back and is its only member',
    });
    expect(decideAllocation('hr', { ...facts(all, ['alice'], null), not: 'alice' }).assignee).toBeNull();
    // Someone no longer on the queue: nothing to leave out.
    expect(decideAllocation('hr', { ...facts(all, all, 'alice'), not: 'zed' })).toMatchObject({ assignee: 'bob' });
  });
});
