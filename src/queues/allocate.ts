// Queue allocation (SPEC 10.1): who in a queue gets a task that lands on it. Pure: the store supplies
// the members' open-task counts and the queue's last assignee; the answer says who and why, for the
// action's timeline.

import { assertNever } from '../lifecycle/states.ts';

export const ALLOCATIONS = { none: 'none', round_robin: 'round_robin', least_loaded: 'least_loaded', owner: 'owner' } as const;
export type Allocation = (typeof ALLOCATIONS)[keyof typeof ALLOCATIONS];

export interface QueueForAllocation {
  allocation: Allocation;
  /** User names in the order the queue lists them; the order breaks ties. */
  members: readonly string[];
}

export interface AllocationResult {
  /** The member to assign, or null: the task waits on the queue for anyone to pick up. */
  assignee: string | null;
  why: string;
}

/**
 * @param openTasks open (To Do / In Progress) tasks per member; a member without an entry has none.
 * @param caseOwner the owner of the task's case, for `owner`.
 * @param lastAssignee the member the queue's previous task went to, for `round_robin` (and ties).
 */
export function allocate(
  queue: QueueForAllocation,
  openTasks: Readonly<Record<string, number>>,
  caseOwner: string | null,
  lastAssignee: string | null,
): AllocationResult {
  const members = [...new Set(queue.members)];
  switch (queue.allocation) {
    case 'none':
      return { assignee: null, why: 'the queue assigns no one' };
    case 'owner':
      if (caseOwner === null) return { assignee: null, why: 'the case has no owner' };
      // Someone outside the queue would get work they cannot see in it; the queue keeps it instead.
      if (!members.includes(caseOwner)) return { assignee: null, why: `the case owner ${caseOwner} is not a member of the queue` };
      return { assignee: caseOwner, why: 'the case owner' };
    case 'round_robin': {
      if (members.length === 0) return { assignee: null, why: 'the queue has no members' };
      return { assignee: afterLast(members, lastAssignee)[0]!, why: 'round robin' };
    }
    case 'least_loaded': {
      if (members.length === 0) return { assignee: null, why: 'the queue has no members' };
      // Ties go round robin from the last assignee, so equal members share new work in turn.
      let best: string | null = null;
      let bestLoad = Infinity;
      for (const m of afterLast(members, lastAssignee)) {
        const load = openTasks[m] ?? 0;
        if (load < bestLoad) {
          best = m;
          bestLoad = load;
        }
      }
      return { assignee: best, why: `least loaded (${bestLoad} open)` };
    }
    default:
      return assertNever(queue.allocation);
  }
}

/** Members in turn order: the one after the last assignee first; from the start when there is none. */
function afterLast(members: readonly string[], last: string | null): string[] {
  const i = last === null ? -1 : members.indexOf(last);
  return [...members.slice(i + 1), ...members.slice(0, i + 1)];
}
