// Integrated queues as a pure function (SPEC 7): given a task on a queue integrated with an outside
// provider and what just happened to it (an operator's assignment, note, completion or decline, or
// the provider's acknowledgement, message or hand-back), decide which action type to launch with
// which input, the integration-log entry, and the task's change. The engine performs the decision.

import { assertNever, type Actor, type Phase, type Reason, type Resolution, type State } from '../lifecycle/states.ts';
import type { QueueIntegration } from './integration.ts';

export const REQUEST_TYPES = ['Submit Request', 'Update', 'Closed', 'Resolution Rejection', 'Acknowledgement', 'Reassigned'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];
export type Direction = 'Out' | 'In';

/**
 * Whether the provider holds the task now, by its log: its last Submit Request or Resolution Rejection
 * has not failed, and the provider has not handed it back since. A task whose submission failed, or that
 * was handed back, and that a person then retried with its own system is that system's again.
 */
export function withProviderNow(log: readonly IntegrationLogEntry[]): boolean {
  let held = false;
  for (const e of log)
    if (e.direction === 'Out' && (e.requestType === 'Submit Request' || e.requestType === 'Resolution Rejection'))
      held = e.outcome !== 'failed' && e.outcome !== 'not_sent';
    else if (e.direction === 'In' && e.requestType === 'Reassigned') held = false;
  return held;
}

export interface IntegrationLogEntry {
  requestType: RequestType;
  direction: Direction;
  at: number;
  payload: Record<string, unknown>;
  result: string;
  /** The action launched for an outbound exchange; the engine fills it in once launched. */
  actionId: string | null;
  /** The integrated queue the exchange was with (a task can move between providers). */
  queue: string;
  /**
   * What became of an outbound exchange, from its action: null (or absent) while under way, 'sent'
   * once it went through, 'failed' when its action failed for good (To Do for a person, or closed Not
   * Done), 'not_sent' when its input was refused at launch (nothing left). Absent for inbound ones.
   */
  outcome?: ExchangeOutcome | null;
}

export type ExchangeOutcome = 'sent' | 'failed' | 'not_sent';

/** The provider's answer while the task is back with us: shown on the task until accepted or declined. */
export interface HandBack {
  resolution: 'solved' | 'closed';
  solution: string;
  at: number;
}

/** The task as these rules see it: a manual action on a queue, with its integration history. */
export interface IntegratedTask {
  id: string;
  title: string;
  state: State;
  queue: string | null;
  /** Who the task is with; In Progress, only they decide on a handed-back solution (as only they complete it). */
  assignee: string | null;
  externalReference: string | null;
  caseData: Record<string, unknown> | null;
  handBack: HandBack | null;
  log: readonly IntegrationLogEntry[];
}

export type TaskEvent =
  /** An operator assigned the task to `queue` (the task's `queue` is still the one it came from). */
  /** `user` null: the task was created on the queue (a process's manual step), by Callout itself. */
  | { type: 'assigned'; queue: string; user: string | null }
  | { type: 'note_added'; note: string; user: string }
  | { type: 'completed'; resolution: Resolution; note?: string; user: string }
  /** `request`: its Idempotency-Key and body hash, kept on its timeline entry so a repeat is known (decline-key.ts). */
  | { type: 'solution_declined'; note: string; user: string; request?: { idempotencyKey: string; hash: string } }
  | { type: 'acknowledged'; externalReference: string }
  /** `request`: as a decline's, for a message sent with an Idempotency-Key (callbacks/service.ts). */
  | { type: 'message'; message: string; request?: { idempotencyKey: string; hash: string } }
  | { type: 'handed_back'; resolution: 'solved' | 'closed'; solution: string };

/** The input of a launched integration action: the field names action types declare (SPEC 10.1). */
export interface IntegrationInput {
  TaskId: string;
  Title: string;
  Note?: string;
  ExternalReference?: string;
  CaseData: Record<string, unknown>;
}

export interface Launch {
  actionType: string;
  connector: string;
  input: IntegrationInput;
  /** The launched action's $callbackUrl / $callbackToken address this task, so the provider's answers land on it. */
  callbacksTo: string;
}

/** Fields of the task to set; absent fields stay. `allocate` asks for the queue's allocation rules. */
export interface TaskChange {
  state?: State;
  reason?: Reason | null;
  resolution?: Resolution | null;
  phase?: Phase | null;
  queue?: string;
  assignee?: string | null;
  externalReference?: string;
  handBack?: HandBack | null;
  allocate?: boolean;
}

export type Decision =
  | {
      ok: true;
      launch: Launch | null;
      log: IntegrationLogEntry | null;
      change: TaskChange | null;
      /** `launch`, when a request goes to the provider: the service words the entry once it knows whether it was sent. */
      timeline: { actor: Actor; message: string; launch?: LaunchNote } | null;
      /** Why nothing was sent, when an event that usually sends did not. */
      skipped?: string;
    }
  | { ok: false; code: 'CONFLICT' | 'INVALID_STATE'; message: string };

export interface RulesContext {
  /** The integration of the queue concerned: the new queue for `assigned`, the task's queue otherwise; null when not integrated. */
  integration: QueueIntegration | null;
  now: number;
}

/** While the provider holds the task it waits on them, like an action awaiting its callback; nobody here works it. */
const WITH_PROVIDER: TaskChange = {
  state: 'waiting',
  reason: null,
  resolution: null,
  phase: 'awaiting_callback',
  assignee: null,
  handBack: null,
};

const nothing = (skipped?: string): Decision => ({
  ok: true,
  launch: null,
  log: null,
  change: null,
  timeline: null,
  ...(skipped ? { skipped } : {}),
});
const refuse = (code: 'CONFLICT' | 'INVALID_STATE', message: string): Decision => ({ ok: false, code, message });

/** The task's last Submit Request to `queue`, if any. */
export const lastSubmission = (task: IntegratedTask, queue: string): IntegrationLogEntry | undefined =>
  task.log.findLast((e) => e.requestType === 'Submit Request' && e.direction === 'Out' && e.queue === queue);

export const wasSubmittedTo = (task: IntegratedTask, queue: string): boolean =>
  task.log.some((e) => e.requestType === 'Submit Request' && e.direction === 'Out' && e.queue === queue);

function inputFor(task: IntegratedTask, note?: string): IntegrationInput {
  return {
    TaskId: task.id,
    Title: task.title,
    ...(note !== undefined && note !== '' ? { Note: note } : {}),
    ...(task.externalReference !== null ? { ExternalReference: task.externalReference } : {}),
    CaseData: task.caseData ?? {},
  };
}

function send(
  task: IntegratedTask,
  integration: QueueIntegration,
  queue: string,
  requestType: RequestType,
  actionType: string,
  now: number,
  actor: Actor,
  note?: string,
  change: TaskChange | null = null,
): Decision {
  const input = inputFor(task, note);
  // A decline has no timeline entry of its own (a note or a completion has: the operator's), so its
  // reason is written with the request, where the operator who reads the task later finds it.
  const launch: LaunchNote = { requestType, actionType, ...(requestType === 'Resolution Rejection' && note ? { declined: note } : {}) };
  return {
    ok: true,
    launch: { actionType, connector: integration.connector, input, callbacksTo: task.id },
    log: { requestType, direction: 'Out', at: now, payload: { ...input }, result: `Launched ${actionType}`, actionId: null, queue },
    change,
    timeline: { actor, message: launchMessage(launch, { sent: true, noteDropped: false }), launch },
  };
}

/** A request to the provider, as the task's timeline tells it. */
export interface LaunchNote {
  requestType: RequestType;
  actionType: string;
  /** The operator's reason for declining a handed-back solution. */
  declined?: string;
}

/**
 * The timeline entry of a request to the provider, as it went: sent, or not sent and why (its action
 * went To Do: invalid input), and whether the operator's note reached it (an action type without a
 * `Note` field does not carry one).
 */
export function launchMessage(
  l: LaunchNote,
  outcome: { sent: true; noteDropped: boolean } | { sent: false; why: string; noteDropped: boolean },
): string {
  const request = outcome.sent
    ? `${l.requestType} sent to the provider (${l.actionType})`
    : `${l.requestType} not sent to the provider (${l.actionType}): ${outcome.why}`;
  const dropped = outcome.noteDropped ? ` The note was not sent: ${l.actionType} has no Note field.` : '';
  if (l.declined === undefined) return `${request}${dropped ? `.${dropped}` : ''}`;
  const reason = l.declined.trim();
  return `Solution declined: ${reason}${/[.!?]$/.test(reason) ? '' : '.'} ${request}.${dropped}`;
}

/** The Resolution Rejection that ended the last hand-back, when that is the task's latest turn (no hand-back or submission since). */
function lastDecline(task: IntegratedTask): IntegrationLogEntry | undefined {
  const last = task.log.findLast(
    (e) =>
      (e.direction === 'In' && e.requestType === 'Reassigned') ||
      (e.direction === 'Out' && (e.requestType === 'Submit Request' || e.requestType === 'Resolution Rejection')),
  );
  return last?.requestType === 'Resolution Rejection' ? last : undefined;
}

const sameHandBack = (h: HandBack | null, e: { resolution: string; solution: string }): boolean =>
  h !== null && h.resolution === e.resolution && h.solution === e.solution;

function received(queue: string, requestType: RequestType, now: number, payload: Record<string, unknown>, result: string) {
  return { requestType, direction: 'In' as const, at: now, payload, result, actionId: null, queue };
}

export function decide(task: IntegratedTask, event: TaskEvent, ctx: RulesContext): Decision {
  const { integration, now } = ctx;
  if (task.state === 'closed') {
    // A provider repeating itself after the task closed gets the same answer as the first time.
    if (event.type === 'acknowledged' && task.externalReference === event.externalReference)
      return nothing('Already acknowledged with this reference');
    if (event.type === 'handed_back' && sameHandBack(task.handBack, event)) return nothing('Already handed back');
    return refuse('CONFLICT', 'The task is closed');
  }
  if (integration === null)
    return event.type === 'assigned' ? nothing() : refuse('INVALID_STATE', 'The task is not on a queue integrated with a provider');
  const queue = event.type === 'assigned' ? event.queue : task.queue;
  if (queue === null) return refuse('INVALID_STATE', 'The task is not on a queue');
  const sent = wasSubmittedTo(task, queue);
  switch (event.type) {
    case 'assigned': {
      const actor: Actor = event.user === null ? 'system' : `user:${event.user}`;
      if (task.queue === queue && task.state === 'waiting') return nothing('The task is already with the provider');
      // The last submission to this queue failed and its action is still there to retry: sent again
      // only by retrying it (the operator fixes the cause first), never beside it, so it goes once.
      const last = lastSubmission(task, queue);
      if (last?.outcome === 'failed')
        return nothing(
          `Not sent again: the last Submit Request failed; retry its action ${last.actionId} once the cause is fixed (POST /v1/actions/${last.actionId}/retry)`,
        );
      // Again without a reference: the provider has not acknowledged the first submission, so a second
      // would duplicate it; unless nothing of that one was sent (its input was refused at launch).
      if (sent && task.externalReference === null && last?.outcome !== 'not_sent')
        return nothing('Not sent again: the provider has not acknowledged the first submission (no external reference yet)');
      return send(task, integration, queue, 'Submit Request', integration.onAssign, now, actor, undefined, { ...WITH_PROVIDER, queue });
    }
    case 'note_added':
      if (!sent) return nothing('The task was never submitted to the provider');
      if (!integration.onUpdate) return nothing('The queue has no update action');
      return send(task, integration, queue, 'Update', integration.onUpdate, now, `user:${event.user}`, event.note);
    case 'completed':
      if (!sent) return nothing('The task was never submitted to the provider');
      if (!integration.onClose) return nothing('The queue has no closure action');
      return send(task, integration, queue, 'Closed', integration.onClose, now, `user:${event.user}`, event.note);
    case 'solution_declined': {
      // A second decline (a double click, a request repeated without an Idempotency-Key) says what happened.
      const declined = lastDecline(task);
      if (declined !== undefined)
        return refuse(
          'INVALID_STATE',
          `The solution was already declined (at ${new Date(declined.at).toISOString()}) and nothing is sent again; a solution can be declined once the provider hands the task back again`,
        );
      if (task.handBack === null || task.state === 'waiting') return refuse('INVALID_STATE', 'There is no handed-back solution to decline');
      if (task.state === 'in_progress' && task.assignee !== null && task.assignee !== event.user)
        return refuse(
          'INVALID_STATE',
          `${task.assignee} is working on this task; assign it to yourself first (POST /v1/actions/{id}/assign {"assignee": "me"})`,
        );
      if (!integration.onResolutionRejected) return refuse('INVALID_STATE', 'The queue has no resolution rejection action');
      return send(
        task,
        integration,
        queue,
        'Resolution Rejection',
        integration.onResolutionRejected,
        now,
        `user:${event.user}`,
        event.note,
        {
          ...WITH_PROVIDER,
        },
      );
    }
    case 'acknowledged': {
      const ref = event.externalReference;
      const payload = { externalReference: ref };
      if (task.externalReference === ref) return nothing('Already acknowledged with this reference');
      const result = task.externalReference === null ? 'Accepted' : `Accepted; the reference was ${task.externalReference}`;
      return {
        ok: true,
        launch: null,
        log: received(queue, 'Acknowledgement', now, payload, result),
        change: { externalReference: ref },
        timeline: { actor: 'integration', message: `Acknowledged by the provider with reference ${ref}` },
      };
    }
    case 'message':
      return {
        ok: true,
        launch: null,
        log: received(queue, 'Update', now, { message: event.message }, 'Accepted'),
        change: null,
        timeline: { actor: 'integration', message: event.message },
      };
    case 'handed_back': {
      // The same hand-back twice gets the same answer; a different one once it is back with us is a conflict.
      if (task.state !== 'waiting') {
        if (sameHandBack(task.handBack, event)) return nothing('Already handed back');
        return refuse('CONFLICT', 'The task is not with the provider');
      }
      const handBack: HandBack = { resolution: event.resolution, solution: event.solution, at: now };
      return {
        ok: true,
        launch: null,
        log: received(queue, 'Reassigned', now, { resolution: event.resolution, solution: event.solution }, 'Accepted'),
        change: {
          state: 'todo',
          reason: 'updated_by_integration',
          resolution: null,
          phase: null,
          queue,
          assignee: null,
          handBack,
          allocate: true,
        },
        timeline: { actor: 'integration', message: `Handed back by the provider (${event.resolution}): ${event.solution}` },
      };
    }
    default:
      return assertNever(event);
  }
}

// ---- what became of an outbound exchange (its action's outcome)

/** The outbound action of an exchange, as it is now. */
export interface OutboundAction {
  id: string;
  state: State;
  reason: Reason | null;
  resolution: Resolution | null;
  phase: Phase | null;
  lastError: string | null;
  queue: string | null;
  /** Its action type's name, as people read it. */
  typeName: string;
}

/** What to record of an exchange's outcome, and what it changes: the task, and where its action is found. */
export interface Settlement {
  /** The entry's new result and outcome, guarded by the outcome it had. */
  settle: { result: string; outcome: ExchangeOutcome; from: ExchangeOutcome | null };
  change: TaskChange | null;
  timeline: { actor: Actor; message: string } | null;
  /**
   * The failed action goes on this queue (its task's), where the people who work the task find it:
   * given to whoever the task is given to (one person handles both), or by the queue when nobody has it.
   */
  putOnQueue: string | null;
  /** The person the task was with, told it left them (a late success took it back to the provider). */
  tell: { user: string; message: string } | null;
}

const WORDS: Record<RequestType, string> = {
  'Submit Request': 'Submission',
  Update: 'Update',
  Closed: 'Closure',
  'Resolution Rejection': 'Resolution rejection',
  Acknowledgement: 'Acknowledgement',
  Reassigned: 'Hand-back',
};

/** Requests that leave the task waiting on the provider: their failure leaves nobody holding it. */
const HOLDS = (e: IntegrationLogEntry): boolean =>
  e.direction === 'Out' && (e.requestType === 'Submit Request' || e.requestType === 'Resolution Rejection');

/**
 * Whether `entry` is what the task waits on (or waited on, before it failed): nothing that sent it to
 * the provider again or brought it back from there came after it, and it is still on that queue.
 */
function isCurrent(task: IntegratedTask, entry: IntegrationLogEntry): boolean {
  if (!HOLDS(entry) || task.queue !== entry.queue) return false;
  const i = task.log.findLastIndex((e) => e.actionId === entry.actionId && e.direction === 'Out');
  return !task.log.slice(i + 1).some((e) => HOLDS(e) || (e.direction === 'In' && e.requestType === 'Reassigned'));
}

/**
 * What the outcome of an outbound exchange's action means for its task (SPEC 7, 2); null when there is
 * nothing new to record. While the action is under way (Waiting: retries left, or awaiting its callback)
 * nothing changes.
 *
 * - Failed for good (To Do for a person: rejected, invalid input, timed out; or closed Not Done: retries
 *   used up): the entry's result says why. A Submit Request or Resolution Rejection had put the task in
 *   the provider's hands: it comes back To Do on its queue (allocated as any To Do task), so somebody
 *   sees it; nothing is sent again by itself (an assignment to that queue sends nothing while the failed
 *   action can be retried: see decide). The failed action is put on the task's queue when it has none.
 * - Done Successfully after it had failed (a person retried it once the cause was fixed, or completed it
 *   by hand): the provider has the request after all. A task still waiting on that request (To Do or In
 *   Progress on the same queue, nothing sent or handed back since) goes back to the provider: the
 *   provider wins, as it holds the request and will answer on the task; it is never both with a person
 *   and with the provider. A task that moved on (closed, elsewhere, submitted again) stays as it is, and
 *   its timeline says the provider has the request.
 * - Done Successfully, first time: recorded as sent; the result ('Launched …') stands, as it is true.
 */
export function settleOutbound(task: IntegratedTask, entry: IntegrationLogEntry, a: OutboundAction): Settlement | null {
  const from = entry.outcome ?? null;
  const failed = a.state === 'todo' || (a.state === 'closed' && a.resolution === 'not_done_successfully');
  const succeeded = a.state === 'closed' && a.resolution === 'done_successfully';
  const word = WORDS[entry.requestType];
  const why = a.lastError ?? (a.state === 'todo' ? LABELS_FOR_FAILURE[a.reason ?? 'manual'] : 'closed Not Done Successfully');
  const putOnQueue = a.state === 'todo' && a.queue === null ? entry.queue : null;
  if (failed) {
    const result = `${word} failed: ${why}`;
    // Failed before: only a new reason is recorded (a retry that failed again), nothing else changes.
    if (from === 'failed' || from === 'not_sent')
      return result === entry.result && putOnQueue === null
        ? null
        : { settle: { result, outcome: from, from }, change: null, timeline: null, putOnQueue, tell: null };
    if (from === 'sent') return null;
    const back = task.state === 'waiting' && isCurrent(task, entry);
    const retry =
      a.state === 'todo' && a.reason === 'invalid_input'
        ? `its action ${a.id} cannot be sent as it is: fix the cause, then assign the task to the queue again or handle it here`
        : `fix the cause, then retry its action ${a.id} (it is sent once), or handle the task here`;
    const message = back
      ? `${entry.requestType} to the provider failed (${a.typeName}): ${why}. The task is back To Do on queue ${entry.queue}: ${retry}.`
      : `${entry.requestType} to the provider failed (${a.typeName}): ${why}. Retry its action ${a.id} once the cause is fixed.`;
    return {
      settle: { result, outcome: 'failed', from },
      change: back
        ? {
            state: 'todo',
            // Why it is back: the provider refused it (or could not be reached), or its input was refused.
            reason: a.state === 'todo' && (a.reason === 'invalid_input' || a.reason === 'timeout') ? a.reason : 'request_rejected',
            resolution: null,
            phase: null,
            assignee: null,
            allocate: true,
          }
        : null,
      timeline: { actor: 'system', message },
      putOnQueue,
      tell: null,
    };
  }
  if (!succeeded) return null;
  if (from === null)
    return { settle: { result: entry.result, outcome: 'sent', from }, change: null, timeline: null, putOnQueue: null, tell: null };
  if (from === 'sent') return null;
  const result = `Sent after it had failed (${entry.result})`;
  const again = (task.state === 'todo' || task.state === 'in_progress') && isCurrent(task, entry);
  return {
    settle: { result, outcome: 'sent', from },
    change: again ? { ...WITH_PROVIDER } : null,
    timeline: {
      actor: 'system',
      message: again
        ? `${entry.requestType} reached the provider after all (${a.typeName}, action ${a.id}): the task is with the provider again.`
        : `${entry.requestType} reached the provider after all (${a.typeName}, action ${a.id}); the task stays as it is, as it moved on meanwhile.`,
    },
    putOnQueue: null,
    // Whoever was working it finds it gone from their list: they are told why, as when a task is taken from them.
    tell:
      again && task.assignee !== null
        ? {
            user: task.assignee,
            message: `Task ${task.id} (${task.title}) went back to the provider: its ${entry.requestType} reached them after all (action ${a.id}).`,
          }
        : null,
  };
}

const LABELS_FOR_FAILURE: Record<Reason, string> = {
  updated_by_integration: 'refused by the provider',
  timeout: 'timed out',
  request_rejected: 'rejected by the provider',
  invalid_input: 'invalid input',
  manual: 'not sent',
};

/** Keeps the input fields the launched action type declares (action type inputs refuse unknown fields). */
export function fitInput(input: IntegrationInput, declared: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([k]) => declared.includes(k)));
}

/** GET /v1/actions/{id}/integration-log, oldest first. */
export function integrationLogView(entries: readonly IntegrationLogEntry[]): {
  items: Array<Omit<IntegrationLogEntry, 'at' | 'queue'> & { at: string }>;
} {
  return {
    items: [...entries]
      .sort((a, b) => a.at - b.at)
      .map((e) => ({
        requestType: e.requestType,
        direction: e.direction,
        at: new Date(e.at).toISOString(),
        payload: e.payload,
        result: e.result,
        actionId: e.actionId,
      })),
  };
}
