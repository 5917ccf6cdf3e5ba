// The action lifecycle as one pure function: (action, event, policy, now) -> new action, timeline
// entries and effects for the engine to perform. No I/O and no clock reads; every SPEC section 2
// row is a case here and a unit test beside it.

import { takesManualRetry } from './retryable.ts';
import { type ActionPolicy, type ActionRecord, type TimelineEntry, retryCount } from './action.ts';
import { isRetryable, retryDelay, type FailureKind } from './retry-policy.ts';
import { type Actor, type Phase, type Reason, type Resolution, LABELS, assertNever } from './states.ts';
import { stableJson } from '../ids.ts';

/** What an attempt's HTTP answer meant once the response mapping ran (the engine evaluates it). */
export interface Evaluation {
  success: boolean;
  output?: unknown;
  rejectedReason?: string;
}

export type ActionEvent =
  | {
      type: 'send_answered';
      status: number;
      retryAfterMs?: number;
      bodyExcerpt?: string;
      evaluation?: Evaluation;
      externalReference?: string;
      attempt?: Record<string, unknown>;
      /** Why a 2xx answer could not be used (e.g. a body past the size cap): To Do with this reason. */
      unusable?: string;
    }
  | { type: 'send_failed'; kind: Exclude<FailureKind, 'status'>; message: string; attempt?: Record<string, unknown> }
  /** The request could not be made at all: the destination was refused or a value cannot be rendered. */
  | { type: 'send_refused'; cause: 'invalid_input' | 'destination_refused'; message: string }
  /** `rejectedReason`: the success callback arrived but its output mapping failed (it goes To Do, as in response mode). */
  /**
   * `repeat`: the caller saw this outcome applied and checked it is the same callback; without it, one
   * arriving after another outcome of its kind is compared with what that one left (two sent at once).
   */
  | { type: 'callback'; outcome: 'success'; data?: unknown; output?: unknown; rejectedReason?: string; repeat?: true }
  | { type: 'callback'; outcome: 'failure'; reason?: string; repeat?: true }
  | { type: 'acknowledged'; externalReference: string }
  /** `quiet`: a repeat of the last heartbeat noted in this attempt, within the hour: it moves the deadline, adds no entry. */
  | { type: 'heartbeat'; note?: string; quiet?: true }
  /** `request`: the Idempotency-Key and body hash of an external system's message, kept on its entry so a repeat is known. */
  | { type: 'message'; text: string; actor: Actor; request?: { idempotencyKey: string; hash: string } }
  | { type: 'timed_out' }
  /**
   * The engine found an action awaiting its callback due, but its deadline has moved since it was
   * scheduled (a raised heartbeat or completion timeout): nothing is due yet, so it is due again at
   * the deadline the live policy gives. Refused once that deadline has passed: that is `timed_out`.
   */
  | { type: 'due_rescheduled' }
  /**
   * The engine gives back an action it claimed ahead of its due time and has not sent (a person
   * changes it first): the phase and due time it had before the claim, as if never claimed. The
   * engine's bookkeeping, applied in the same write as the person's change: no timeline entry, and
   * the version does not move for it.
   */
  | { type: 'claim_released'; phase: Phase | null; dueAt: number }
  /** Held until `until`; `noted`: noted even when already held (a hold of another kind: its view reads the note). */
  | { type: 'throttled'; until: number; why: string; noted?: true }
  | { type: 'picked_up'; user: string }
  /**
   * A person closes a task. One In Progress with someone else is theirs: another operator takes it
   * first (assign), so the timeline says who took it over; `override` (an admin) completes it as it is.
   */
  | { type: 'completed'; user: string; resolution: Resolution; note?: string; override?: boolean }
  /**
   * `input`: a person's correction, `to` the action's whole new input (checked against its action
   * type's fields by the caller), computed from `from`; written with the retry, the fields it changes
   * noted with their earlier values. Refused if the input is no longer `from` (another correction).
   */
  | {
      type: 'retry_requested';
      user: string;
      input?: { from: Record<string, unknown>; to: Record<string, unknown> };
      /** The request's Idempotency-Key (hashed) and body hash, kept on the entry so a repeat is known (actions/service.ts). */
      request?: { idempotencyKey: string; hash: string };
    }
  | { type: 'paused'; user: string }
  | { type: 'resumed'; user: string }
  /** `previousMaxRetries`: the limit before the change, when known (see the case below). */
  | { type: 'policy_changed'; actor: Actor; previousMaxRetries?: number }
  /** An operator moves a task: to a person, or to a queue (whose allocation then picks the person). */
  /** `because`: why, when it is not the user's own choice (its person was disabled or left the queue); said on the timeline. */
  /**
   * `from`: a release (the task leaves that person, who can no longer do it or gives it back) for its
   * own queue's allocation, only while it is still theirs (else CONFLICT: it moved on, and stays as it
   * now is: a release sent twice gives it back once). On a queue integrated with a provider the task is not assigned to the queue
   * again (a new Submit Request for a task the provider has had, SPEC 7), only given back to the queue's
   * people; one the provider never had goes to it as any task landing there does (integration_pending).
   */
  | { type: 'assigned'; user: string; queue?: string; assignee?: string; because?: string; from?: string }
  /** A person sets (a time) or clears (null) when the work on a To Do or In Progress action is due. */
  | { type: 'due_changed'; user: string; dueAt: number | null }
  /**
   * The engine finds a To Do or In Progress action past its `workDueAt` that nobody was told of: its
   * person (if any) is told, once per due time. Refused when it is not (or no longer) so: a sweep that
   * read it before a change, or another node's sweep that told first.
   */
  | { type: 'overdue' };

export type Effect =
  | { type: 'state_changed'; from: StateWords; to: StateWords }
  | { type: 'escalated' }
  /** An escalated action is escalated no more (retried, or completed Done Successfully): its case may not be either. */
  | { type: 'escalation_cleared' }
  | { type: 'merge_case_data'; data: Record<string, unknown> }
  /** The record's input is replaced (a person's correction): stores write it only when this says so. */
  | { type: 'input_changed'; input: Record<string, unknown> }
  /**
   * The store allocates the task by its queue's rules in the same transaction (src/store/effects.ts);
   * `sameAs`: to the person the action of that id has, when they are an active member of the queue.
   */
  | {
      type: 'allocate';
      sameAs?: string;
      /** The person a task on its own queue was given back by (or taken from): not handed straight back to them. */
      not?: string;
    }
  /** A person is told, in the write's transaction, that a task on their list changed hands (GET /v1/notifications). */
  | { type: 'notify'; user: string; kind: TaskNotificationKind; message: string };

/** Notification kinds about a person's tasks: one of theirs was taken by someone else; one was handed to them; one is past its due time. */
export const TASK_NOTIFICATION_KINDS = { task_taken: 'task.taken', task_assigned: 'task.assigned', task_overdue: 'task.overdue' } as const;
export type TaskNotificationKind = (typeof TASK_NOTIFICATION_KINDS)[keyof typeof TASK_NOTIFICATION_KINDS];

export interface StateWords {
  state: ActionRecord['state'];
  reason: Reason | null;
  resolution: Resolution | null;
}

export type TransitionResult =
  | { ok: true; action: ActionRecord; timeline: TimelineEntry[]; effects: Effect[]; changed: boolean }
  | { ok: false; code: 'INVALID_STATE' | 'CONFLICT'; message: string };

export interface TransitionContext {
  policy: ActionPolicy;
  now: number;
  /** A number in [0,1) for retry jitter; the engine passes Math.random(). */
  rand?: number;
}

/** "To Do (Timeout)": the words people see for an action's state. */
/** A heartbeat's timeline message: its progress note, or that it came. */
export const heartbeatMessage = (note: string | undefined): string => (note ? `Progress: ${note}` : 'Heartbeat');

/** How long a heartbeat like the last one noted in its attempt is only counted (lastHeartbeatAt), not noted again. */
export const HEARTBEAT_NOTED_EVERY_MS = 60 * 60 * 1000;

export const describeState = (a: StateWords): string =>
  LABELS[a.state] + (a.reason ? ` (${LABELS[a.reason]})` : '') + (a.resolution ? ` (${LABELS[a.resolution]})` : '');

/** A builder that accumulates the change so every path writes its timeline and effects the same way. */
class Change {
  readonly a: ActionRecord;
  readonly timeline: TimelineEntry[] = [];
  readonly effects: Effect[] = [];
  private readonly before: StateWords;
  /** The record changed with nothing to note or do (a quiet heartbeat's deadline): it is still written. */
  private touched = false;
  constructor(
    action: ActionRecord,
    readonly ctx: TransitionContext,
  ) {
    this.a = { ...action };
    this.before = { state: action.state, reason: action.reason, resolution: action.resolution };
  }
  note(actor: Actor, kind: TimelineEntry['kind'], message: string, data?: Record<string, unknown>): this {
    this.timeline.push({ at: this.ctx.now, actor, kind, message, ...(data ? { data } : {}) });
    return this;
  }
  /** Moves to a new state, clearing what only made sense in the old one. */
  to(actor: Actor, state: StateWords['state'], reason: Reason | null, resolution: Resolution | null): this {
    const a = this.a;
    a.state = state;
    a.reason = reason;
    a.resolution = resolution;
    if (state !== 'waiting') {
      a.paused = false;
      a.phase = null;
      a.dueAt = null;
      a.nextRetryAt = null;
    }
    a.closedAt = state === 'closed' ? this.ctx.now : null;
    const after = { state, reason, resolution };
    this.note(actor, 'state_changed', `${describeState(this.before)} → ${describeState(after)}`, { from: this.before, to: after });
    this.effects.push({ type: 'state_changed', from: this.before, to: after });
    return this;
  }
  /** Hands the action to people by the action type's allocation rules. */
  allocate(): this {
    const { queue, user } = this.ctx.policy.allocation;
    if (queue) this.a.queue = queue;
    if (user) this.a.assignee = user;
    return this;
  }
  /** Tells `user` of a change to their task made by `by`; no one is told of what they did themselves. */
  tell(user: string | null, by: string, kind: TaskNotificationKind, message: string): this {
    if (user !== null && user !== by) this.effects.push({ type: 'notify', user, kind, message });
    return this;
  }
  escalate(): this {
    this.a.escalated = true;
    this.effects.push({ type: 'escalated' });
    // Only an action of a case has an owner to tell; a caseless one is marked escalated for the work list.
    return this.note(
      'system',
      'escalated',
      this.a.caseId === null ? 'Escalated (no case, so no owner to notify)' : 'Escalated to the case owner',
    );
  }
  clearEscalation(): this {
    if (this.a.escalated) {
      this.a.escalated = false;
      this.effects.push({ type: 'escalation_cleared' });
    }
    return this;
  }
  touch(): this {
    this.touched = true;
    return this;
  }
  done(): TransitionResult {
    const changed = this.touched || this.timeline.length > 0 || this.effects.length > 0;
    if (changed) {
      this.a.updatedAt = this.ctx.now;
      this.a.version += 1;
    }
    return { ok: true, action: this.a, timeline: this.timeline, effects: this.effects, changed };
  }
}

/** At most this much of a corrected input's earlier values is kept on the timeline (a JSON text's length). */
export const MAX_EARLIER_INPUT_CHARS = 8_192;

/**
 * A person's corrected input replaces the record's: the timeline names the fields it changes and
 * keeps their earlier values (the new ones are the action's input), so the correction is audited.
 * Unchanged, it writes nothing (a form saved as it was).
 */
function changeInput(c: Change, actor: Actor, user: string, input: Record<string, unknown>): void {
  const before = c.a.input;
  // Sorted: PostgreSQL's jsonb keeps keys in an order of its own.
  const fields = [...new Set([...Object.keys(before), ...Object.keys(input)])]
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(input[k]))
    .sort();
  if (fields.length === 0) return;
  const named = fields.length > 10 ? `${fields.slice(0, 10).join(', ')} and ${fields.length - 10} more` : fields.join(', ');
  const earlier = Object.fromEntries(fields.filter((k) => k in before).map((k) => [k, before[k]]));
  const kept = JSON.stringify(earlier).length <= MAX_EARLIER_INPUT_CHARS;
  c.a.input = input;
  c.effects.push({ type: 'input_changed', input });
  c.note(actor, 'input_changed', `Input corrected by ${user}: ${named}`, {
    fields,
    ...(kept ? { before: earlier } : { beforeOmitted: `the earlier values are longer than ${MAX_EARLIER_INPUT_CHARS} characters` }),
  });
}

/** "task a1 on queue hr": how a notification names the task (it also carries the action's id). */
const taskName = (a: ActionRecord): string => `task ${a.id}${a.queue !== null ? ` on queue ${a.queue}` : ''}`;

/**
 * The `task.assigned` notice's message: `by` gave the task (on its queue as it is now) to the one told;
 * one already past its due time at `now` says so (its overdue notice went to the person it had then, or to no one).
 */
export const assignedToYou = (by: string, a: ActionRecord, now: number): string =>
  `${by} assigned ${taskName(a)} to you${a.workDueAt !== null && a.workDueAt <= now ? `; it is overdue: it was due at ${new Date(a.workDueAt).toISOString()}` : ''}`;

const refuse = (message: string, code: 'INVALID_STATE' | 'CONFLICT' = 'INVALID_STATE'): TransitionResult => ({ ok: false, code, message });

/** When the engine must next look at a waiting action, from its phase and deadlines. */
export function computeDueAt(a: ActionRecord, policy: ActionPolicy, now: number): number | null {
  if (a.state !== 'waiting') return null;
  const min = (...xs: Array<number | null>): number | null => {
    const v = xs.filter((x): x is number => x !== null);
    return v.length ? Math.min(...v) : null;
  };
  switch (a.phase) {
    case 'awaiting_callback': {
      const hb = policy.completion.heartbeatTimeoutMs;
      const heartbeatDeadline = hb !== null ? (a.heartbeatAt ?? now) + hb : null;
      return min(a.timeoutAt, heartbeatDeadline);
    }
    case 'retry_scheduled':
      return a.paused ? a.timeoutAt : min(a.nextRetryAt ?? now, a.timeoutAt);
    case 'queued':
    case 'throttled':
    case 'sending':
      return a.paused ? a.timeoutAt : min(a.dueAt ?? now, a.timeoutAt);
    case null:
      return null;
    default:
      return assertNever(a.phase);
  }
}

/** True when a due waiting action's deadline has passed, so the due work is a timeout rather than a send. */
export function isTimedOut(a: ActionRecord, policy: ActionPolicy, now: number): boolean {
  if (a.state !== 'waiting') return false;
  if (a.timeoutAt !== null && a.timeoutAt <= now) return true;
  const hb = policy.completion.heartbeatTimeoutMs;
  return a.phase === 'awaiting_callback' && hb !== null && (a.heartbeatAt ?? a.updatedAt) + hb <= now;
}

function failAttempt(
  c: Change,
  kind: FailureKind,
  message: string,
  status: number | undefined,
  retryAfterMs: number | undefined,
): TransitionResult {
  const { a, ctx } = c;
  const policy = ctx.policy.retry;
  a.lastError = message;
  a.lastErrorAt = ctx.now;
  const done = retryCount(a);
  if (!isRetryable(policy, kind, status)) {
    if (kind === 'status') {
      a.rejectedReason = message;
      return c.to('system', 'todo', 'request_rejected', null).allocate().done();
    }
    c.note('system', 'attempt', `Not retried: ${kind} is not in retryOn`);
    return c.to('system', 'closed', null, 'not_done_successfully').escalate().done();
  }
  const nextRetryAt = ctx.now + retryDelay(policy, done + 1, ctx.rand ?? 0.5, retryAfterMs);
  const windowEnd = policy.windowMs !== null ? a.createdAt + policy.windowMs : null;
  if (done >= policy.maxRetries || (windowEnd !== null && nextRetryAt > windowEnd)) {
    const why =
      done >= policy.maxRetries
        ? `retries exhausted (${done} of ${policy.maxRetries})`
        : windowEnd! <= ctx.now
          ? `the retry window ended at ${new Date(windowEnd!).toISOString()} (${done} of ${policy.maxRetries} retries made)`
          : `the next retry, at ${new Date(nextRetryAt).toISOString()}, would fall after the retry window ends at ${new Date(windowEnd!).toISOString()} (${done} of ${policy.maxRetries} retries made)`;
    c.note('system', 'retry_scheduled', `No retry: ${why}`, {
      retryCount: done,
      maxRetries: policy.maxRetries,
      ...(windowEnd !== null ? { windowEndsAt: new Date(windowEnd).toISOString() } : {}),
    });
    return c.to('system', 'closed', null, 'not_done_successfully').escalate().done();
  }
  a.phase = 'retry_scheduled';
  a.nextRetryAt = nextRetryAt;
  a.dueAt = computeDueAt(a, ctx.policy, ctx.now);
  c.note('system', 'retry_scheduled', `Retry ${done + 1} of ${policy.maxRetries} at ${new Date(nextRetryAt).toISOString()}`, {
    retryCount: done,
    maxRetries: policy.maxRetries,
    nextRetryAt,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
  return c.done();
}

/** Whether a callback of the outcome applied to `a` is that one again, by what it left on the record. */
function sameCallback(a: ActionRecord, e: Extract<ActionEvent, { type: 'callback' }>): boolean {
  if (e.outcome === 'failure') return a.rejectedReason === (e.reason ?? FAILURE_REASON);
  if (e.rejectedReason !== undefined) return a.rejectedReason === e.rejectedReason;
  return stableJson(a.output) === stableJson(e.output !== undefined ? e.output : e.data);
}

function succeed(c: Change, actor: Actor, output: unknown): TransitionResult {
  if (output !== undefined) c.a.output = output;
  if (output !== null && typeof output === 'object' && !Array.isArray(output))
    c.effects.push({ type: 'merge_case_data', data: output as Record<string, unknown> });
  return c.to(actor, 'closed', null, 'done_successfully').done();
}

export function transition(action: ActionRecord, event: ActionEvent, ctx: TransitionContext): TransitionResult {
  const c = new Change(action, ctx);
  const a = c.a;
  const waiting = a.state === 'waiting';
  switch (event.type) {
    case 'send_answered':
    case 'send_failed': {
      // An answer that lost the race with a callback, a user or a timeout is recorded, not applied.
      a.attempts += 1;
      c.note('system', 'attempt', attemptMessage(event), event.attempt);
      if (!waiting || a.phase === 'awaiting_callback') {
        c.note(
          'system',
          'ignored',
          `The answer to attempt ${a.attempts} arrived after the action became ${describeState(a)}; nothing changed`,
        );
        return c.done();
      }
      if (event.type === 'send_failed') return failAttempt(c, event.kind, event.message, undefined, undefined);
      if (event.unusable !== undefined) {
        a.lastError = event.unusable;
        a.lastErrorAt = ctx.now;
        a.rejectedReason = event.unusable;
        return c.to('system', 'todo', 'request_rejected', null).allocate().done();
      }
      if (event.status < 200 || event.status >= 300) {
        const excerpt = event.bodyExcerpt ? `: ${event.bodyExcerpt}` : '';
        return failAttempt(c, 'status', `HTTP ${event.status}${excerpt}`, event.status, event.retryAfterMs);
      }
      if (event.externalReference) a.externalReference = event.externalReference;
      if (ctx.policy.completion.mode === 'callback') {
        a.phase = 'awaiting_callback';
        a.nextRetryAt = null;
        a.heartbeatAt = ctx.now;
        a.dueAt = computeDueAt(a, ctx.policy, ctx.now);
        c.note('system', 'accepted', 'Accepted by the external system; awaiting its callback');
        return c.done();
      }
      const ev = event.evaluation ?? { success: true };
      if (ev.success) return succeed(c, 'system', ev.output);
      a.rejectedReason = ev.rejectedReason ?? `The response did not meet the success condition (HTTP ${event.status})`;
      if (ev.output !== undefined) a.output = ev.output;
      return c.to('integration', 'todo', 'updated_by_integration', null).allocate().done();
    }
    case 'send_refused':
      if (!waiting) return c.done();
      a.lastError = event.message;
      a.lastErrorAt = ctx.now;
      a.rejectedReason = event.message;
      c.note('system', 'attempt', `Not sent: ${event.message}`);
      return c
        .to('system', 'todo', event.cause === 'invalid_input' ? 'invalid_input' : 'request_rejected', null)
        .allocate()
        .done();
    case 'callback': {
      if (a.callbackOutcome !== null) {
        if (a.callbackOutcome !== event.outcome)
          return refuse(`A ${a.callbackOutcome} callback was already applied to this action`, 'CONFLICT');
        // Two outcomes sent at once both read the action waiting: the second, with other data or another
        // reason, was answered 200 and dropped (an outside review, on both stores).
        if (event.repeat || sameCallback(a, event)) return c.done();
        return refuse(
          `A ${event.outcome} callback with other ${event.outcome === 'success' ? 'data' : 'reason'} was already applied to this action; its own is on the timeline`,
          'CONFLICT',
        );
      }
      if (!waiting) return refuse(`The action is ${describeState(a)} and no longer waits for a callback`, 'CONFLICT');
      a.callbackOutcome = event.outcome;
      if (event.outcome === 'success') {
        c.note('integration', 'callback', 'Callback: success', event.data !== undefined ? { data: event.data } : undefined);
        if (event.rejectedReason !== undefined) {
          a.rejectedReason = event.rejectedReason;
          return c.to('integration', 'todo', 'updated_by_integration', null).allocate().done();
        }
        return succeed(c, 'integration', event.output !== undefined ? event.output : event.data);
      }
      a.rejectedReason = event.reason ?? FAILURE_REASON;
      c.note('integration', 'callback', `Callback: failure: ${a.rejectedReason}`);
      return c.to('integration', 'todo', 'updated_by_integration', null).allocate().done();
    }
    case 'acknowledged':
      // The same reference again, closed or not: a callback carrying it, sent twice at once, read the
      // action open and acknowledged after the other closed it (a 409 for one identical request).
      if (a.externalReference === event.externalReference) return c.done();
      if (a.state === 'closed') return refuse('The action is closed', 'CONFLICT');
      a.externalReference = event.externalReference;
      return c.note('integration', 'acknowledged', `Acknowledged with external reference ${event.externalReference}`).done();
    case 'heartbeat':
      if (!waiting) return refuse(`The action is ${describeState(a)}; heartbeats only apply while it is waiting`, 'CONFLICT');
      a.heartbeatAt = ctx.now;
      if (a.phase === 'awaiting_callback') a.dueAt = computeDueAt(a, ctx.policy, ctx.now);
      // A system beating every ten seconds for a week would otherwise bury the timeline under 60,000 entries.
      return event.quiet ? c.touch().done() : c.note('integration', 'heartbeat', heartbeatMessage(event.note)).done();
    case 'message':
      // An external system's updates end with the action; people can still add notes.
      if (event.actor === 'integration' && a.state === 'closed')
        return refuse('The action is closed; the external system can no longer post messages to it');
      return c
        .note(
          event.actor,
          'message',
          event.text,
          event.request ? { requestKey: event.request.idempotencyKey, requestHash: event.request.hash } : undefined,
        )
        .done();
    case 'timed_out':
      if (!waiting) return refuse('Only a waiting action can time out');
      // The engine saw the deadline pass on the record it claimed; applied again to a newer one (a
      // heartbeat or a raised timeout came first, even while it was held claimed ahead), it may not have.
      if (!isTimedOut(a, ctx.policy, ctx.now)) return refuse('The deadline has moved and has not passed: nothing times out');
      a.lastError =
        a.phase === 'awaiting_callback' && (a.timeoutAt === null || a.timeoutAt > ctx.now)
          ? 'No heartbeat from the external system in time'
          : 'Completion timeout passed';
      a.lastErrorAt = ctx.now;
      return c.to('system', 'todo', 'timeout', null).allocate().done();
    case 'due_rescheduled':
      if (!waiting || a.phase !== 'awaiting_callback')
        return refuse(`Only an action awaiting its callback has a deadline to reschedule; this one is ${describeState(a)}`);
      if (isTimedOut(a, ctx.policy, ctx.now)) return refuse('The deadline has passed: the action times out');
      // The engine's own bookkeeping, not a change anyone sees: no timeline entry, and `updatedAt`
      // stays (it is the fallback heartbeat time). The version still guards the write.
      a.dueAt = computeDueAt(a, ctx.policy, ctx.now);
      a.version += 1;
      return { ok: true, action: a, timeline: [], effects: [], changed: true };
    case 'claim_released':
      if (!waiting || a.phase !== 'sending')
        return refuse(`Only an action claimed for sending can be given back; this one is ${describeState(a)}`);
      a.phase = event.phase ?? 'queued';
      // A retry's due time is its nextRetryAt, kept by the claim; any other's is the one it had.
      a.dueAt = event.dueAt;
      a.dueAt = computeDueAt(a, ctx.policy, ctx.now);
      return { ok: true, action: a, timeline: [], effects: [], changed: true };
    case 'throttled':
      if (!waiting) return refuse('Only a waiting action can be throttled');
      // Held again at the next window: the timeline already says why.
      if (a.phase !== 'throttled' || event.noted)
        c.note('system', 'throttled', `Held until ${new Date(event.until).toISOString()}: ${event.why}`);
      a.phase = 'throttled';
      a.dueAt = Math.min(event.until, a.timeoutAt ?? event.until);
      a.version += 1;
      a.updatedAt = ctx.now;
      return { ok: true, action: a, timeline: c.timeline, effects: [], changed: true };
    case 'picked_up':
      // Picking up what you already hold (a double click, a retried request) is answered as the first time.
      if (a.state === 'in_progress' && a.assignee === event.user) return c.done();
      if (a.state === 'in_progress' && a.assignee !== null)
        return refuse(`${a.assignee} picked this task up and is working on it; to take it over, assign it to yourself`);
      if (a.state !== 'todo') return refuse(`Only a To Do action can be picked up; this one is ${describeState(a)}`);
      // A task allocated to someone else says whose it was, and they are told: it is theirs no more.
      c.tell(a.assignee, event.user, 'task.taken', `${event.user} picked up ${taskName(a)}, which was yours`);
      c.note(
        `user:${event.user}`,
        'picked_up',
        a.assignee !== null && a.assignee !== event.user
          ? `Picked up by ${event.user}; it was ${a.assignee}'s`
          : `Picked up by ${event.user}`,
      );
      a.assignee = event.user;
      return c.to(`user:${event.user}`, 'in_progress', a.reason, null).done();
    case 'completed': {
      if (a.state === 'closed') return refuse('The action is already closed');
      if (a.state === 'waiting' && a.phase === 'sending')
        return refuse('An attempt is in flight; complete the action when it has been answered');
      const holder = a.state === 'in_progress' ? a.assignee : null;
      if (holder !== null && holder !== event.user && !event.override)
        return refuse(`${holder} is working on this task; assign it to yourself first (POST /v1/actions/{id}/assign {"assignee": "me"})`);
      if (holder !== null && holder !== event.user)
        c.note(`user:${event.user}`, 'completed', `Completed by ${event.user} while ${holder} was working on it`);
      // One To Do on someone else's list is closed without a pick-up: the timeline says whose it was.
      const allocatedTo = a.state === 'todo' ? a.assignee : null;
      if (allocatedTo !== null && allocatedTo !== event.user)
        c.note(`user:${event.user}`, 'completed', `Completed by ${event.user}; it was ${allocatedTo}'s`);
      const how = LABELS[event.resolution];
      c.tell(holder, event.user, 'task.taken', `${event.user} completed ${taskName(a)} (${how}) while you were working on it`);
      c.tell(allocatedTo, event.user, 'task.taken', `${event.user} completed ${taskName(a)} (${how}), which was yours`);
      if (event.note) c.note(`user:${event.user}`, 'completed', event.note);
      c.to(`user:${event.user}`, 'closed', null, event.resolution);
      if (event.resolution === 'done_successfully') c.clearEscalation();
      return c.done();
    }
    case 'retry_requested': {
      const retryable = takesManualRetry(a);
      if (a.actionTypeId === null) return refuse('A manual task has no action type and nothing to send: there is nothing to retry');
      if (!retryable) return refuse(`The action is ${describeState(a)}${a.phase ? `/${a.phase}` : ''}: there is nothing to retry`);
      const actor: Actor = `user:${event.user}`;
      if (event.input !== undefined) {
        if (JSON.stringify(a.input) !== JSON.stringify(event.input.from))
          return refuse('The input was changed by someone else since it was read; read the action again', 'CONFLICT');
        changeInput(c, actor, event.user, event.input.to);
      }
      const request = event.request ? { requestKey: event.request.idempotencyKey, requestHash: event.request.hash } : undefined;
      // Already queued and due (a second click before the engine took it): it is sent at once anyway
      // (with the corrected input, if this brought one). A keyed request is still noted, so its
      // repeat after the answer was lost is known as one.
      if (waiting && a.phase === 'queued' && !a.paused && a.dueAt !== null && a.dueAt <= ctx.now) {
        if (request) c.note(actor, 'retry_requested', `Retry requested by ${event.user}; it was already due and is sent now`, request);
        return c.done();
      }
      c.note(actor, 'retry_requested', `Retry requested by ${event.user}; it counts as retry ${retryCount(a) + 1}`, request);
      if (!waiting) c.to(actor, 'waiting', null, null);
      a.phase = 'queued';
      c.clearEscalation();
      a.callbackOutcome = null;
      a.nextRetryAt = ctx.now;
      a.dueAt = ctx.now;
      // A reopened action gets a fresh completion deadline, or it would time out at once.
      if (!waiting && ctx.policy.completion.timeoutMs !== null) a.timeoutAt = ctx.now + ctx.policy.completion.timeoutMs;
      return c.done();
    }
    case 'paused':
      if (!waiting) return refuse('Only a waiting action has automatic retries to pause');
      if (a.paused) return c.done();
      a.paused = true;
      // A launch waiting for its start time (`startAt`) keeps it across the pause, where a scheduled
      // retry keeps its own: resumed before it, it is sent then, not at once.
      if (a.phase === 'queued' && a.dueAt !== null && a.dueAt > ctx.now) a.nextRetryAt = a.dueAt;
      // While an attempt is in flight the due time is its lease; the answer reschedules.
      if (a.phase !== 'sending') a.dueAt = computeDueAt(a, ctx.policy, ctx.now);
      return c.note(`user:${event.user}`, 'paused', `Automatic retries paused by ${event.user}`).done();
    case 'resumed':
      if (!waiting) return refuse('Only a waiting action can be resumed');
      if (!a.paused) return c.done();
      a.paused = false;
      if (a.phase === 'retry_scheduled' && a.nextRetryAt !== null && a.nextRetryAt < ctx.now) a.nextRetryAt = ctx.now;
      if (a.phase === 'throttled') a.dueAt = ctx.now;
      if (a.phase === 'queued') {
        a.dueAt = Math.max(ctx.now, a.nextRetryAt ?? ctx.now);
        a.nextRetryAt = null;
      }
      if (a.phase !== 'sending') a.dueAt = computeDueAt(a, ctx.policy, ctx.now);
      return c.note(`user:${event.user}`, 'resumed', `Automatic retries resumed by ${event.user}`).done();
    case 'policy_changed': {
      // Raised limits need nothing here: the live policy is read at the next failure. A lowered one
      // closes an action that already used up the new limit while waiting for its next retry, whether
      // that wait is the interval or a rate limit or open circuit holding the retry back (`throttled`
      // after an attempt). A held retry an operator asked for beyond the old limit is theirs: only what
      // the lowering used up is closed, so a throttled one needs the old limit to tell.
      const max = ctx.policy.retry.maxRetries;
      const done = retryCount(a);
      const heldRetry =
        a.phase === 'throttled' && a.attempts > 0 && event.previousMaxRetries !== undefined && done < event.previousMaxRetries;
      if (!(waiting && (a.phase === 'retry_scheduled' || heldRetry) && done >= max)) return c.done();
      c.note(event.actor, 'policy_changed', `Retry limit lowered to ${max}; closed at ${done} of ${max}`, {
        retryCount: done,
        maxRetries: max,
      });
      return c.to('system', 'closed', null, 'not_done_successfully').escalate().done();
    }
    case 'assigned': {
      if (a.state !== 'todo' && a.state !== 'in_progress')
        return refuse(`Only a To Do or In Progress action can be assigned; this one is ${describeState(a)}`);
      if (event.from !== undefined && a.assignee !== event.from)
        return refuse(`The task is no longer ${event.from}'s; it stays as it is`, 'CONFLICT');
      const actor: Actor = `user:${event.user}`;
      const queue = event.queue ?? a.queue;
      if (queue === a.queue && (event.assignee ?? null) === a.assignee && event.assignee !== undefined) return c.done();
      // Work someone had picked up, or had been given, changes hands: the timeline says whose it was.
      const taken =
        a.assignee === null || a.assignee === event.assignee
          ? ''
          : a.state === 'in_progress'
            ? ` (taken from ${a.assignee})`
            : ` (it was ${a.assignee}'s)`;
      // The one whose list it leaves, and the one it is handed to, are told (unless they did it). Not
      // when it leaves because of them (`because`: disabled, or off the queue): one change of theirs
      // gives back every task they had, and a notice per task would bury their list (or go unread).
      const was = a.assignee;
      const to = event.assignee ?? null;
      if (was !== null && was !== to && event.because === undefined)
        c.tell(
          was,
          event.user,
          'task.taken',
          `${event.user} ${to !== null ? `assigned ${taskName(a)} to ${to}` : `moved ${taskName(a)} to queue ${queue}`}, which was yours`,
        );
      if (to !== null && to !== was) c.tell(to, event.user, 'task.assigned', assignedToYou(event.user, { ...a, queue }, ctx.now));
      const sameQueue = queue === a.queue;
      a.queue = queue;
      if (event.assignee !== undefined) {
        a.assignee = event.assignee;
        return c
          .note(actor, 'assigned', `Assigned to ${event.assignee}${queue ? ` on queue ${queue}` : ''} by ${event.user}${taken}`)
          .done();
      }
      // To a queue alone: the task waits there again, for the person the queue's allocation picks; given
      // back to its own queue, someone other than the person it leaves (round robin or the least loaded
      // would often pick them again).
      a.assignee = null;
      c.note(actor, 'assigned', `Moved to queue ${queue} by ${event.user}${taken}${event.because ? `: ${event.because}` : ''}`);
      // (Back To Do, the task lands and is allocated without an effect saying so, unless someone is left out.)
      const givenBack = was !== null && sameQueue;
      const started = a.state === 'in_progress';
      if (started) c.to(actor, 'todo', a.reason, null);
      if (!started || givenBack) c.effects.push({ type: 'allocate', ...(givenBack ? { not: was } : {}) });
      return c.done();
    }
    case 'due_changed': {
      if (a.state !== 'todo' && a.state !== 'in_progress')
        return refuse(`Only a To Do or In Progress action has a due time a person sets; this one is ${describeState(a)}`);
      // The same time again (a double click, a repeated request) writes nothing.
      if (a.workDueAt === event.dueAt) return c.done();
      a.workDueAt = event.dueAt;
      a.overdueNoticed = false;
      const actor: Actor = `user:${event.user}`;
      return event.dueAt === null
        ? c.note(actor, 'due_changed', `Due date cleared by ${event.user}`, { dueAt: null }).done()
        : c
            .note(actor, 'due_changed', `Due date set to ${new Date(event.dueAt).toISOString()} by ${event.user}`, {
              dueAt: new Date(event.dueAt).toISOString(),
            })
            .done();
    }
    case 'overdue': {
      if ((a.state !== 'todo' && a.state !== 'in_progress') || a.workDueAt === null || a.workDueAt > ctx.now || a.overdueNoticed)
        return refuse('Not an open task past a due time nobody was told of');
      a.overdueNoticed = true;
      const due = new Date(a.workDueAt).toISOString();
      const message = `${a.assignee === null ? 'Overdue' : `Overdue, ${a.assignee} told`}: due at ${due}`;
      return c
        .note('system', 'overdue', message, { dueAt: due })
        .tell(a.assignee, 'system', TASK_NOTIFICATION_KINDS.task_overdue, `${capitalised(taskName(a))} is overdue: it was due at ${due}`)
        .done();
    }
    default:
      return assertNever(event);
  }
}

/** A failure callback's reason when it gives none. */
export const FAILURE_REASON = 'Rejected by the external system';

const capitalised = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function attemptMessage(event: Extract<ActionEvent, { type: 'send_answered' | 'send_failed' }>): string {
  if (event.type === 'send_failed')
    return `Attempt failed: ${event.kind === 'timeout' ? 'timed out' : 'connection error'}: ${event.message}`;
  return `Attempt answered HTTP ${event.status}${event.unusable !== undefined ? `, unusable: ${event.unusable}` : ''}`;
}
