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
});
