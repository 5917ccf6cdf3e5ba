// What allocating one task decides, for both stores: each store reads the queue, its active members'
// open tasks, the case owner and the queue's last assignee inside the transaction of the write, and
// this turns them into the assignee and the timeline's words (the rules are src/queues/allocate.ts).

import { allocate, type Allocation } from '../queues/allocate.ts';
import type { QueueRow, UserRow } from './types.ts';

export interface AllocationFacts {
  /** The queue's row; undefined when no queue of that name exists. */
  queue: QueueRow | undefined;
  /** The queue's members that exist and are not disabled. */
  activeMembers: ReadonlySet<string>;
  /** Open (To Do / In Progress) tasks assigned to each member, in any queue. */
  openTasks: Readonly<Record<string, number>>;
  caseOwner: string | null;
  lastAssignee: string | null;
  /** The action whose person this task goes to first (TaskAllocation.sameAs), with its assignee now. */
  sameAs?: { actionId: string; assignee: string | null };
  /** The person who gave the task back to its queue (TaskAllocation.not): someone else gets it, or no one. */
  not?: string;
}

/**
 * Whether a task that lands on this queue is to be submitted to a provider (SPEC 7): the queue is
 * integrated with one. The store then leaves a pending submission in the landing's transaction, with the
 * person its allocation chose (a task given to anyone else before it is sent is theirs).
 */
export const submitsToProvider = (q: QueueRow | undefined): boolean => {
  const i = q?.doc.integration as { onAssign?: unknown } | null | undefined;
  return typeof i?.onAssign === 'string';
};

export const queueMembers = (q: QueueRow): string[] => (Array.isArray(q.doc.members) ? (q.doc.members as string[]) : []);

/** `turn`: the queue's allocation chose (round robin's cursor moves on), rather than `sameAs`. */
export function decideAllocation(queueName: string, f: AllocationFacts): { assignee: string | null; message: string; turn: boolean } {
  if (f.queue === undefined)
    return { assignee: null, message: `Queue ${queueName} does not exist: the task waits on it unassigned`, turn: false };
  // A disabled user gets no new work; they stay listed so enabling them again restores the queue.
  const listed = queueMembers(f.queue);
  const members = listed.filter((m) => f.activeMembers.has(m));
  // One person handles work that belongs together (a task and its failed request to a provider).
  const with_ = f.sameAs?.assignee ?? null;
  if (with_ !== null && members.includes(with_))
    return {
      assignee: with_,
      message: `Allocated to ${with_} from queue ${queueName}: they have ${f.sameAs!.actionId}, which it belongs with`,
      turn: false,
    };
  const allocation = (f.queue.doc.allocation as Allocation | undefined) ?? 'none';
  // Given back, the task is not handed straight back: to someone else, or left for anyone to pick up. The
  // turn goes on past the person who gave it back, as past a disabled member (turnAfter).
  const not = f.not !== undefined && members.includes(f.not) ? f.not : undefined;
  if (not !== undefined && allocation !== 'none') {
    if (allocation === 'owner' && f.caseOwner === not)
      return { assignee: null, message: `Left on queue ${queueName} unassigned: the case owner ${not} gave it back`, turn: false };
    if (members.length === 1)
      return { assignee: null, message: `Left on queue ${queueName} unassigned: ${not} gave it back and is its only member`, turn: false };
  }
  const others = not === undefined ? members : members.filter((m) => m !== not);
  const r = allocate({ allocation, members: others }, f.openTasks, f.caseOwner, turnAfter(listed, others, f.lastAssignee));
  return r.assignee === null
    ? { assignee: null, message: `Left on queue ${queueName} unassigned: ${r.why}`, turn: false }
    : { assignee: r.assignee, message: `Allocated to ${r.assignee} from queue ${queueName}: ${r.why}`, turn: true };
}

/**
 * The member whose turn counts as the last one: a last assignee disabled since keeps their place in
 * the list, so the active member listed before them stands in and the one after them is next (the
 * turn went back to the first member, skipping the rest). One who left the queue has no place and is
 * given back as is: round robin then starts again from the first member.
 */
function turnAfter(listed: readonly string[], active: readonly string[], last: string | null): string | null {
  if (last === null || active.includes(last)) return last;
  const i = listed.indexOf(last);
  if (i < 0) return last;
  for (let k = 1; k < listed.length; k++) {
    const m = listed[(i - k + listed.length) % listed.length]!;
    if (active.includes(m)) return m;
  }
  return null;
}

export function userFromRow(r: Record<string, unknown>): UserRow {
  return {
    name: r.name as string,
    displayName: r.display_name as string,
    email: (r.email as string | null) ?? null,
    disabled: r.disabled === true || r.disabled === 1,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function queueFromRow(r: Record<string, unknown>): QueueRow {
  return {
    name: r.name as string,
    doc: (typeof r.doc === 'string' ? JSON.parse(r.doc) : r.doc) as Record<string, unknown>,
    revision: Number(r.revision),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
