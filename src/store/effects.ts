// What the lifecycle's effects ask of the store, decided once for both: which case data to merge and
// which owners to notify. Each store then runs the plan in the transaction of the writes.

import { assertNever } from '../lifecycle/states.ts';
import type { ActionWrite, NewAction } from './types.ts';
import type { TimelineEntry } from '../lifecycle/action.ts';
import { MAX_INPUT_BYTES, describeBytes } from '../json-limits.ts';
import type { CaseEvent } from '../processes/runner.ts';
import type { WebhookEventRow } from '../webhooks/rows.ts';

/** One action's output to merge into its case's data (shallowly, later keys winning), in write order. */
export interface CaseDataMerge {
  caseId: string;
  data: Record<string, unknown>;
  at: number;
  /** The action whose output it is: told on its timeline when the merge is refused. */
  actionId: string;
}

/**
 * A case's data stays within the input limit however many outputs merge into it (each output alone is
 * within 256 KB, but many actions on one case added up): a merge that would pass it is not made, and
 * the action whose output it was says so on its timeline. Each output is checked on its own, in write
 * order, so whether one fits does not depend on which others the engine's batch held. Measured as JSON
 * text as the store keeps it.
 */
export const MAX_CASE_DATA_BYTES = MAX_INPUT_BYTES;

/**
 * A closed case's data is final (as PATCH keeps it), but for the outputs of its own no-wait steps: the
 * case went on, and may have closed, without waiting for them, and their answers still belong in its
 * data (SPEC 2: the response is mapped into case data). An action in flight when a person closed the
 * case, or any other, is not merged.
 */
export function mergesAfterClose(
  steps: ReadonlyArray<{ actionId: string | null; outcome: string | null }> | null,
  actionId: string,
): boolean {
  return (steps ?? []).some((s) => s.actionId === actionId && s.outcome === QUEUE_ACTION_SUCCESSFUL);
}
const QUEUE_ACTION_SUCCESSFUL = 'QUEUE_ACTION_SUCCESSFUL';

/** Why a merge was not made: the case data would pass the limit, or the case is closed (its data is final, as PATCH keeps it). */
export function mergeRefusedEntry(m: CaseDataMerge, at: number, why: 'too_large' | 'closed' = 'too_large'): TimelineEntry {
  return {
    at,
    actor: 'system',
    kind: 'message',
    message:
      why === 'closed'
        ? `The output was not merged into the data of case ${m.caseId}: the case is closed`
        : `The output was not merged into the data of case ${m.caseId}: the case data would be larger than ${describeBytes(MAX_CASE_DATA_BYTES)}`,
  };
}

/** A notice to the owner of the case (if it has one) that one of its actions escalated. */
export interface OwnerNotice {
  actionId: string;
  caseId: string;
  message: string;
  at: number;
}

/** A notice to one person about a task of theirs (the lifecycle's `notify` effect), with or without a case. */
export interface UserNotice {
  user: string;
  kind: string;
  message: string;
  /** Null for a notice about the case as a whole (case.stopped): it replaces no earlier one. */
  actionId: string | null;
  caseId: string | null;
  at: number;
}

/** A task to hand to a person by its queue's allocation, in the transaction of the write (allocate-task.ts). */
export interface TaskAllocation {
  actionId: string;
  queue: string;
  at: number;
  /** Given to the person this action has (allocated earlier in the same write), if they may have it. */
  sameAs?: string;
  /** Not to this person, who gave it back (the transition's `allocate` effect). */
  not?: string;
}

/**
 * An action of a case that lands in To Do on no queue and with no one named (its action type's
 * allocation names neither): it goes to its case's own queue, if the case has one, and is allocated
 * there (allocate-task.ts, moveToCaseQueues). The action type's own queue or person always comes first,
 * and a request sent for an integrated queue's task is not moved: it goes to its task's queue and
 * person (integrated-queues/rules.ts, settleOutbound).
 */
export interface CaseQueueMove {
  actionId: string;
  caseId: string;
  at: number;
}

/** Allocations in queue name order, the order both stores lock queues in (so batches cannot deadlock). */
export const inQueueOrder = (list: readonly TaskAllocation[]): TaskAllocation[] =>
  [...list].sort((x, y) => (x.queue < y.queue ? -1 : x.queue > y.queue ? 1 : 0));

/** The timeline entry of a task put on its case's queue. */
export const caseQueueEntry = (queue: string, at: number): TimelineEntry => ({
  at,
  actor: 'system',
  kind: 'allocated',
  message: `Put on queue ${queue}, its case's queue: nothing else names a queue for it`,
  data: { queue },
});

/**
 * Launches that start To Do on a queue with no one named (a process's manual step, an action refused
 * at launch onto its type's queue): allocated by the queue in the transaction of their insert, as a
 * write's are. In queue name order, the order both stores lock queues in.
 */
export function insertAllocations(items: readonly NewAction[]): TaskAllocation[] {
  const out: TaskAllocation[] = [];
  for (const { action: a } of items)
    if (a.state === 'todo' && a.queue != null && a.assignee == null) out.push({ actionId: a.id, queue: a.queue, at: a.updatedAt });
  return inQueueOrder(out);
}

/**
 * The notices of launches (NewAction.notices) to insert with them, in launch order; undefined when
 * none has any, as almost every launch: nothing is allocated for those.
 */
export function launchNotices(items: readonly NewAction[]): UserNotice[] | undefined {
  let out: UserNotice[] | undefined;
  for (const { action: a, notices } of items)
    if (notices !== undefined)
      for (const n of notices)
        (out ??= []).push({ user: n.user, kind: n.kind, message: n.message, actionId: a.id, caseId: a.caseId, at: a.updatedAt });
  return out;
}

/** A change of state of a case's action, for the case outbox (stored only for cases that run a process). */
export interface CaseEventNotice {
  caseId: string;
  event: Extract<CaseEvent, { type: 'action_changed' }>;
  at: number;
}

export interface EffectPlan {
  merges: CaseDataMerge[];
  notices: OwnerNotice[];
  /** Cases one of whose escalated actions is escalated no more: each stays escalated only while another one is. */
  escalationsCleared: string[];
  userNotices: UserNotice[];
  allocations: TaskAllocation[];
  /** Actions that land in To Do with no queue and no one: to their case's queue, then allocated by it. */
  caseQueues: CaseQueueMove[];
  caseEvents: CaseEventNotice[];
  /** Webhook events of the applied writes, for the outbox, in write order. */
  events: WebhookEventRow[];
  /** Actions whose input a person corrected, written after their guarded update (write order). */
  inputs: InputChange[];
}

export interface InputChange {
  actionId: string;
  input: Record<string, unknown>;
}

/** The effects of applied writes, in write order; an action without a case has none to apply. */
export function planEffects(applied: readonly ActionWrite[]): EffectPlan {
  const merges: CaseDataMerge[] = [];
  const notices: OwnerNotice[] = [];
  const escalationsCleared = new Set<string>();
  const userNotices: UserNotice[] = [];
  const allocations = new Map<string, TaskAllocation>();
  const caseQueues: CaseQueueMove[] = [];
  const caseEvents: CaseEventNotice[] = [];
  const events: WebhookEventRow[] = [];
  const inputs: InputChange[] = [];
  for (const { action: a, effects, events: outgoing } of applied) {
    if (outgoing) events.push(...outgoing);
    // A task that lands on a queue with no one named (any way into To Do, or moved to a queue) is
    // allocated by the queue; the store checks again that it is still To Do and unassigned then.
    const lands = effects.some((e) => e.type === 'allocate' || (e.type === 'state_changed' && e.to.state === 'todo'));
    if (lands && a.queue != null && a.assignee == null) {
      const sameAs = effects.find((e) => e.type === 'allocate' && e.sameAs !== undefined) as { sameAs: string } | undefined;
      const not = effects.find((e) => e.type === 'allocate' && e.not !== undefined) as { not: string } | undefined;
      allocations.set(a.id, {
        actionId: a.id,
        queue: a.queue,
        at: a.updatedAt,
        ...(sameAs ? { sameAs: sameAs.sameAs } : {}),
        ...(not ? { not: not.not } : {}),
      });
    } else if (lands && a.state === 'todo' && a.queue == null && a.assignee == null && a.caseId !== null)
      caseQueues.push({ actionId: a.id, caseId: a.caseId, at: a.updatedAt });
    for (const eff of effects)
      if (eff.type === 'input_changed') inputs.push({ actionId: a.id, input: eff.input });
      else if (eff.type === 'notify')
        userNotices.push({ user: eff.user, kind: eff.kind, message: eff.message, actionId: a.id, caseId: a.caseId, at: a.updatedAt });
    const caseId = a.caseId;
    if (caseId === null) continue;
    for (const eff of effects)
      switch (eff.type) {
        case 'merge_case_data':
          merges.push({ caseId, data: eff.data, at: a.updatedAt, actionId: a.id });
          break;
        case 'escalated':
          notices.push({
            actionId: a.id,
            caseId,
            // The notice carries the action's id beside its message, which people read: the id was in its words.
            message: `An action closed Not Done Successfully${a.lastError ? `: ${a.lastError}` : ''}`,
            at: a.updatedAt,
          });
          break;
        case 'escalation_cleared':
          escalationsCleared.add(caseId);
          break;
        case 'allocate':
        case 'notify':
        case 'input_changed':
          break; // planned above, for actions with a case or without
        case 'state_changed':
          // The record's new state and its timeline entry say it; the case's process hears of it
          // through the outbox. The step is found by action id when the event is applied.
          caseEvents.push({
            caseId,
            event: {
              type: 'action_changed',
              step: '',
              actionId: a.id,
              state: eff.to.state,
              reason: eff.to.reason,
              resolution: eff.to.resolution,
              escalated: effects.some((e) => e.type === 'escalated'),
              ...(eff.to.state === 'closed' && a.output !== null ? { output: a.output } : {}),
            },
            at: a.updatedAt,
          });
          break;
        default:
          assertNever(eff);
      }
  }
  // Sorted by queue: PostgreSQL locks each queue's row, always in this order, so batches cannot deadlock.
  const byQueue = inQueueOrder([...allocations.values()]);
  return {
    merges,
    notices,
    escalationsCleared: [...escalationsCleared].sort(),
    userNotices,
    allocations: byQueue,
    caseQueues,
    caseEvents,
    events,
    inputs,
  };
}

export const isEmptyPlan = (p: EffectPlan): boolean =>
  p.merges.length === 0 &&
  p.notices.length === 0 &&
  p.escalationsCleared.length === 0 &&
  p.userNotices.length === 0 &&
  p.allocations.length === 0 &&
  p.caseQueues.length === 0 &&
  p.caseEvents.length === 0 &&
  p.events.length === 0 &&
  p.inputs.length === 0;
