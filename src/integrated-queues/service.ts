// Integrated queues wired to the engine and store (SPEC 7): operators' assignments, notes,
// completions and declines, and the provider's acknowledgements, messages and hand-backs, decided by
// the pure rules (rules.ts) and written with their integration-log entry and the launched action in
// ONE transaction (Store.writeIntegration). The launch key `integration:<task id>:<n>` (n: the
// task's outbound exchanges so far, plus one) is unique in the store, and the task's version guards
// the write, so a retry or a race never sends a Submit Request twice and a crash never loses one.

import type { Store, NewAction, ActionWrite } from '../store/types.ts';
import type { Registry } from '../engine/registry.ts';
import type { Engine } from '../engine/engine.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { ActionView } from '../actions/views.ts';
import type { ActionRecord, TimelineEntry } from '../lifecycle/action.ts';
import type { ActionEvent, Effect } from '../lifecycle/transition.ts';
import { TASK_NOTIFICATION_KINDS, transition } from '../lifecycle/transition.ts';
import { LABELS, type Actor } from '../lifecycle/states.ts';
import { launchAction } from '../lifecycle/launch.ts';
import { toDoAction } from '../lifecycle/manual.ts';
import { uuidv7 } from '../ids.ts';
import { ConflictError, InvalidStateError, NotFoundError, UnknownCallbackTokenError, Problems, ValidationError } from '../errors.ts';
import { MAX_TEXT } from '../inbound/schemas.ts';
import { MAX_REFERENCE_CHARS, jsonExcerpt } from '../json-limits.ts';
import { redactToken } from '../engine/callback-tokens.ts';
import {
  decide,
  fitInput,
  launchMessage,
  integrationLogView,
  settleOutbound,
  type Settlement,
  type HandBack,
  type IntegratedTask,
  type IntegrationLogEntry,
  type Launch,
  type TaskChange,
  type TaskEvent,
} from './rules.ts';
import type { QueueIntegration } from './integration.ts';
import { declineRequest, declinedWith } from './decline-key.ts';
import { keptRequestData } from '../actions/timeline-key.ts';

/** A logged payload is kept to this size (a provider's long text is cut, with a note saying so). */
export const MAX_LOG_PAYLOAD_BYTES = 8 * 1024;
const LAUNCH_HASH = 'integration';

export const integrationLaunchKey = (taskId: string, n: number): string => `integration:${taskId}:${n}`;

/** The provider's answer shown on the task: the last hand-back not yet followed by a new submission or a decline. */
export function handBackOf(log: readonly IntegrationLogEntry[]): HandBack | null {
  let h: HandBack | null = null;
  for (const e of log) {
    if (e.direction === 'In' && e.requestType === 'Reassigned')
      h = { resolution: e.payload.resolution as HandBack['resolution'], solution: String(e.payload.solution), at: e.at };
    else if (e.direction === 'Out' && (e.requestType === 'Submit Request' || e.requestType === 'Resolution Rejection')) h = null;
  }
  return h;
}

export interface IntegrationServiceDeps {
  store: Store;
  registry: Registry;
  engine: Engine;
  clock: Clock;
  /** How long after its task closes an integration token still answers (as CallbackService's). */
  tokenTtlMs: number;
  logger?: Logger;
  /** How often to look for outcomes of outbound exchanges not recorded yet (a node died first). @default 5000 */
  sweepIntervalMs?: number;
}

/** Outcomes recorded per sweep, at most. */
const SWEEP_BATCH = 100;

export class IntegrationService {
  constructor(private readonly d: IntegrationServiceDeps) {}

  // ---- what became of the requests sent to providers

  /**
   * The action types integrated queues launch (those this node launched, and those the queues name as
   * of the last sweep): only their actions' outcomes are looked at, so other actions cost nothing.
   */
  private readonly outboundTypes = new Set<string>();
  private sweepTimer: TimerHandle | null = null;
  private readonly settling = new Set<Promise<void>>();
  private running = false;

  private readonly onAction = (a: ActionRecord): void => {
    // Landed To Do with no one on a queue (or maybe on its case's): if it is an integrated one, the landing
    // left a pending submission, sent now (one read by key when it did not; To Do is not the busy path).
    if (a.state === 'todo' && a.assignee === null && (a.queue !== null || a.caseId !== null))
      this.track(this.submitPending(a.id), 'submitting a task to its queue’s provider failed; the next sweep tries again');
    if (a.actionTypeId === null || !this.outboundTypes.has(a.actionTypeId)) return;
    if (a.state !== 'todo' && a.state !== 'closed') return;
    this.track(this.outboundChanged(a.id));
  };

  /**
   * Records the outcome of each outbound exchange whose action failed for good or went through (and
   * what that changes for its task: see settleOutbound), as the engine writes it; and sweeps now and
   * then for any a node recorded no outcome of before it stopped.
   */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.d.engine.on('action', this.onAction);
    this.scheduleSweep(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.d.engine.off('action', this.onAction);
    this.sweepTimer?.cancel();
    this.sweepTimer = null;
    await Promise.all([...this.settling]);
  }

  private track(p: Promise<void>, failed = "recording an integration exchange's outcome failed; the next sweep records it"): void {
    const t = p.catch((err: unknown) => this.d.logger?.warn({ err }, failed));
    this.settling.add(t);
    void t.finally(() => this.settling.delete(t));
  }

  private scheduleSweep(ms: number): void {
    this.sweepTimer = this.d.clock.setTimer(ms, () => {
      const run = this.sweep()
        .then(() => undefined)
        .finally(() => {
          if (this.running) this.scheduleSweep(this.d.sweepIntervalMs ?? 5000);
        });
      this.track(run);
    });
  }

  /**
   * Records the outcomes not recorded yet (see listUnsettledIntegrationActions) and submits the tasks
   * still pending a submission (listPendingSubmissions); how many of each it looked at, together.
   */
  async sweep(): Promise<number> {
    for (const q of await this.d.store.listQueues()) {
      const i = (q.doc.integration ?? null) as QueueIntegration | null;
      if (!i?.onAssign) continue;
      for (const t of [i.onAssign, i.onUpdate, i.onClose, i.onResolutionRejected]) if (t) this.outboundTypes.add(t);
    }
    const ids = await this.d.store.listUnsettledIntegrationActions(SWEEP_BATCH);
    // One that cannot be recorded now (its task keeps changing, the store blinked) does not hold up the rest.
    for (const id of ids)
      await this.outboundChanged(id).catch((err: unknown) =>
        this.d.logger?.warn({ err, actionId: id }, "recording an integration exchange's outcome failed; the next sweep tries again"),
      );
    const pending = await this.d.store.listPendingSubmissions(SWEEP_BATCH);
    for (const p of pending)
      await this.submitPending(p.actionId).catch((err: unknown) =>
        this.d.logger?.warn({ err, actionId: p.actionId }, 'submitting a task to its queue’s provider failed; the next sweep tries again'),
      );
    return ids.length + pending.length;
  }

  /**
   * A task that landed on an integrated queue by its allocation (an action that failed there, or put on
   * its case's queue; see allocateInTransaction) is submitted to the provider as a person's assignment
   * to the queue would submit it (SPEC 7), once: only while it is still To Do on that queue with no one
   * (never taken from a person, also one who picks it up while this writes) and has had no exchange with
   * a provider. Then its pending submission goes, also when nothing is to be sent any more. A refusal the task cannot get past (the queue's Submit Request type gone) is said on the task's
   * timeline by the rules' write or logged here, and not tried again; a store that fails is (next sweep).
   */
  async submitPending(actionId: string): Promise<void> {
    const [p] = await this.d.store.listPendingSubmissions(1, actionId);
    if (p === undefined) return;
    try {
      await this.d.engine.inTurn(actionId, async () => {
        // Given to another person or picked up since it landed (by hand, on any node): theirs, not the
        // provider's. The one its allocation gave it to as it landed gives it up, as a manual step's task does.
        const waits = (t: ActionRecord | undefined): t is ActionRecord =>
          t !== undefined && t.state === 'todo' && t.queue === p.queue && t.assignee === p.assignee;
        const task = await this.d.store.getAction(actionId);
        if (!waits(task)) return;
        if ((await this.d.store.listIntegrationLog(actionId)).length > 0) return;
        await this.apply(actionId, { type: 'assigned', queue: p.queue, user: null }, null, task, waits);
      });
    } catch (err) {
      if (!(err instanceof InvalidStateError || err instanceof NotFoundError)) throw err;
      this.d.logger?.warn(
        { err, actionId, queue: p.queue },
        'a task could not be submitted to its queue’s provider; assign it to the queue again once the cause is fixed',
      );
    }
    // The landing read: one since (the task back on a queue after this looked at it) stays pending.
    await this.d.store.dropPendingSubmission(actionId, { queue: p.queue, at: p.at });
  }

  /**
   * The action of an outbound exchange changed: its outcome goes into the task's integration log (and
   * the task's state and timeline, and the action onto the task's queue, as settleOutbound decides),
   * in turn with the task's other changes, in one transaction guarded by the task's and the action's
   * versions and the outcome recorded before: two nodes recording it record it once.
   */
  async outboundChanged(actionId: string): Promise<void> {
    const taskId = await this.d.store.integrationTaskOf(actionId);
    if (taskId === undefined || taskId === actionId) return;
    await this.d.engine.inTurn(taskId, () => this.settle(taskId, actionId));
  }

  private async settle(taskId: string, actionId: string): Promise<void> {
    for (let i = 0; i < 20; i++) {
      const [task, action, log] = await Promise.all([
        this.d.store.getAction(taskId),
        this.d.store.getAction(actionId),
        this.d.store.listIntegrationLog(taskId),
      ]);
      const entry = log.find((e) => e.direction === 'Out' && e.actionId === actionId);
      if (!task || !action || !entry) return;
      const typeName =
        action.actionTypeId === null
          ? actionId
          : await this.d.registry.actionType(action.actionTypeId).then(
              (t) => t.compiled.spec.name,
              () => action.actionTypeId!,
            );
      const s = settleOutbound(await this.taskOf(task, log), entry, { ...action, typeName });
      if (s === null) return;
      const now = this.d.clock.now();
      const ok = await this.d.store.writeIntegration({
        write: this.taskWrite(task, s, now),
        entry: null,
        launch: null,
        settle: { actionId, ...s.settle },
        ...(s.putOnQueue !== null ? { also: onQueue(action, s.putOnQueue, task, now) } : {}),
      });
      if (ok) return;
    }
    throw new ConflictError(`The task ${taskId} kept changing while the outcome of its action ${actionId} was recorded`);
  }

  /** The task's write for a settlement: its change and timeline entry; null when it brings none. */
  private taskWrite(task: ActionRecord, s: Settlement, now: number): ActionWrite | null {
    if (s.change === null && s.timeline === null) return null;
    const changed = applyChange(task, s.change, now, s.timeline?.actor ?? 'system');
    const timeline = [...changed.timeline];
    if (s.timeline) timeline.push({ at: now, actor: s.timeline.actor, kind: 'message', message: s.timeline.message });
    if (s.tell)
      changed.effects.push({ type: 'notify', user: s.tell.user, kind: TASK_NOTIFICATION_KINDS.task_taken, message: s.tell.message });
    return {
      action: { ...changed.action, updatedAt: now, version: task.version + 1 },
      expectedVersion: task.version,
      previous: task,
      timeline,
      effects: changed.effects,
    };
  }

  /**
   * The engine's hook for people's changes of a task: an assignment, note or completion on an
   * integrated queue is done here (with its launch); anything else returns undefined and the engine
   * applies it as usual.
   */
  async intercept(id: string, event: ActionEvent): Promise<ActionRecord | undefined> {
    let te: TaskEvent;
    // A release (`from`) gives the task back to its queue's people, not to the provider: the engine's as usual.
    if (event.type === 'assigned' && event.from !== undefined) return undefined;
    if (event.type === 'assigned' && event.queue !== undefined && event.assignee === undefined)
      te = { type: 'assigned', queue: event.queue, user: event.user };
    else if (event.type === 'message' && event.actor.startsWith('user:'))
      te = { type: 'note_added', note: event.text, user: event.actor.slice('user:'.length) };
    else if (event.type === 'completed')
      te = { type: 'completed', resolution: event.resolution, ...(event.note !== undefined ? { note: event.note } : {}), user: event.user };
    else return undefined;
    return this.apply(id, te, event);
  }

  /**
   * A task created on a queue (a process's manual step) is assigned to it as it is born: on an
   * integrated queue that is the provider's Submit Request (SPEC 7), sent once (the rules know what
   * was sent). Nothing happens on any other queue.
   */
  async taskCreated(task: ActionRecord): Promise<void> {
    if (task.queue === null || task.state !== 'todo') return;
    await this.apply(task.id, { type: 'assigned', queue: task.queue, user: null }, null, task);
  }

  /**
   * With an Idempotency-Key, a repeat (a double click, a request repeated after its answer was lost, several
   * at once on any node) answers the task as it is now and sends nothing again: asked in the task's
   * turn, and again after a write lost to another node's (which may be the first of them).
   */
  async declineSolution(id: string, user: string, note: string, opts: { idempotencyKey?: string } = {}): Promise<ActionRecord> {
    // Bad input, named (it was a 409 "not allowed in this state", as if the task were at fault).
    if (note.trim() === '')
      throw new ValidationError([{ field: 'note', message: 'is required: give the reason the solution is declined' }]);
    const request = opts.idempotencyKey === undefined ? undefined : declineRequest(opts.idempotencyKey, note);
    const fresh = request && (async () => !(await declinedWith(this.d.store, id, user, request)));
    const te: TaskEvent = { type: 'solution_declined', note, user, ...(request ? { request } : {}) };
    const r = await this.d.engine.inTurn(id, () => this.apply(id, te, null, undefined, fresh));
    if (!r) throw new InvalidStateError('The task is not on a queue integrated with a provider');
    return r;
  }

  /**
   * The provider's side, by the token of an action launched for the task. `repeated`: asked in the
   * task's turn (and again after a write lost to another node's): true, and the task is answered as it
   * is, nothing applied (a message sent again with its Idempotency-Key).
   */
  async inbound(task: ActionRecord, event: TaskEvent, repeated?: () => Promise<boolean>): Promise<ActionRecord> {
    checkInbound(event);
    const fresh = repeated && (async () => !(await repeated()));
    // In turn with the task's other changes: a provider posting many updates at once loses no race.
    const r = await this.d.engine.inTurn(task.id, () => this.apply(task.id, event, null, task, fresh));
    if (!r) throw new InvalidStateError('The task is not on a queue integrated with a provider');
    return r;
  }

  /**
   * The task a callback token addresses when it is the token of an integration action; undefined
   * for any other token. A task closed longer than the token TTL ago is gone (404), like an action.
   * So is a task submitted again since that action went out (handed back, then assigned to another
   * integrated queue or the same one): the token belongs to an earlier provider's ticket, which must
   * not acknowledge, message or hand back what the current one holds.
   */
  async taskOfToken(actionId: string | undefined): Promise<ActionRecord | undefined> {
    if (actionId === undefined) return undefined;
    const taskId = await this.d.store.integrationTaskOf(actionId);
    if (taskId === undefined) return undefined;
    const t = await this.d.store.getAction(taskId);
    if (!t || (t.state === 'closed' && t.closedAt !== null && this.d.clock.now() >= t.closedAt + this.d.tokenTtlMs))
      throw new UnknownCallbackTokenError();
    const log = await this.d.store.listIntegrationLog(taskId);
    const lastSubmit = log.findLastIndex((e) => e.direction === 'Out' && e.requestType === 'Submit Request');
    if (!log.slice(Math.max(0, lastSubmit)).some((e) => e.direction === 'Out' && e.actionId === actionId))
      throw new UnknownCallbackTokenError();
    return t;
  }

  /**
   * For requests addressed by reference (SPEC 10.1): the action whose callback token addresses the
   * newest task with this external reference on a queue integrated with `connectorId` (the last one
   * sent for its current submission); undefined when there is none.
   */
  async tokenActionByReference(connectorId: string, reference: string): Promise<string | undefined> {
    const queues: string[] = [];
    for (const q of await this.d.store.listQueues()) {
      const i = (q.doc.integration ?? null) as QueueIntegration | null;
      if (!i?.onAssign) continue;
      const c = await this.d.registry.connector(i.connector).catch((e: unknown) => {
        if (e instanceof NotFoundError) return undefined;
        throw e;
      });
      if (c?.id === connectorId) queues.push(q.name);
    }
    const tasks: ActionRecord[] = [];
    for (const queue of queues) tasks.push(...(await this.d.store.listActions({ externalReference: reference, queue, limit: 5 })));
    tasks.sort((a, b) => (a.id < b.id ? 1 : -1)); // newest first (ids are time-ordered)
    for (const t of [...tasks.filter((x) => x.state !== 'closed'), ...tasks.filter((x) => x.state === 'closed')]) {
      const log = await this.d.store.listIntegrationLog(t.id);
      const current = log.slice(
        Math.max(
          0,
          log.findLastIndex((e) => e.direction === 'Out' && e.requestType === 'Submit Request'),
        ),
      );
      const out = current.filter((e) => e.direction === 'Out' && e.actionId !== null).at(-1);
      if (out?.actionId) return out.actionId;
    }
    return undefined;
  }

  async log(id: string): Promise<ReturnType<typeof integrationLogView>> {
    if (!(await this.d.store.getAction(id))) throw new NotFoundError('Action', id);
    return integrationLogView(await this.d.store.listIntegrationLog(id));
  }

  /** The handed-back solution shown on the task's view (none for other actions). */
  async solutionOf(a: ActionRecord): Promise<Pick<ActionView, 'solution'>> {
    if (a.reason !== 'updated_by_integration' || a.state === 'waiting') return {};
    const h = handBackOf(await this.d.store.listIntegrationLog(a.id));
    return h ? { solution: { resolution: h.resolution, solution: h.solution, at: new Date(h.at).toISOString() } } : {};
  }

  // ---- the read, decide, write loop

  /** undefined: the task is on no integrated queue and nothing was decided (the caller goes on as usual). */
  /** `only`: the task as read (again, after a write lost to another) still calls for this; else it is left as it is. */
  private async apply(
    id: string,
    te: TaskEvent,
    base: ActionEvent | null,
    known?: ActionRecord,
    only?: (cur: ActionRecord) => boolean | Promise<boolean>,
  ): Promise<ActionRecord | undefined> {
    for (let i = 0; i < 20; i++) {
      const cur = i === 0 && known ? known : await this.d.store.getAction(id);
      if (!cur) throw new NotFoundError('Action', id);
      // Left as it is: answered as it now is, read after the check (the record read before it, or before
      // the turn, may be older than the write the check found: another node's, committed in between).
      if (only && !(await only(cur))) return (await this.d.store.getAction(id)) ?? cur;
      const queueName = te.type === 'assigned' ? te.queue : cur.queue;
      const integration = queueName === null ? null : await this.integrationOf(queueName);
      // Not integrated: an operator's event is the engine's as usual; the provider's has nothing to act on.
      if (integration === null && base !== null) return undefined;
      if (te.type === 'assigned' && cur.state !== 'todo' && cur.state !== 'in_progress') return undefined;
      const log = await this.d.store.listIntegrationLog(id);
      const now = this.d.clock.now();
      const d = decide(await this.taskOf(cur, log), te, { integration, now });
      if (!d.ok) {
        // Refused on a log read after `cur`: another node's write of this very request (its repeat with the
        // same key, sent to both at once) may have landed in between. Then it is a repeat, not a conflict.
        if (only && !(await only(cur))) return (await this.d.store.getAction(id)) ?? cur;
        throw d.code === 'CONFLICT' ? new ConflictError(d.message) : new InvalidStateError(d.message);
      }
      if (d.log === null && d.change === null) return base === null ? cur : undefined;
      const policy = await this.d.registry.policyOf(cur);
      let action = cur;
      let timeline: TimelineEntry[] = [];
      let effects: Effect[] = [];
      // A note or completion is still the operator's note or completion; the exchange comes with it.
      if (base !== null && te.type !== 'assigned') {
        const t = transition(cur, base, { policy, now });
        if (!t.ok) throw t.code === 'CONFLICT' ? new ConflictError(t.message) : new InvalidStateError(t.message);
        ({ action, timeline, effects } = t);
      }
      const n = log.filter((e) => e.direction === 'Out').length + 1;
      const launch = d.launch ? await this.launchFor({ ...action, queue: d.change?.queue ?? action.queue }, d.launch, n, now) : null;
      // Refused at launch (invalid input), nothing went: the task is not left waiting on a provider who
      // never got it, but stays (or comes back) To Do on the queue, where its action is too.
      const notSent = launch !== null && launch.action.state === 'todo';
      const change = notSent && d.change?.state === 'waiting' ? notSentChange(d.change) : d.change;
      // The state change is by whoever caused it: the operator who assigned or declined, or the provider.
      const changed = applyChange(action, change, now, d.timeline?.actor ?? 'integration');
      timeline = [...timeline, ...changed.timeline];
      effects = [...effects, ...changed.effects];
      const next: ActionRecord = { ...changed.action, updatedAt: now, version: cur.version + 1 };
      // The queue keeps the action type by id: people read its name as it is now.
      const typeName = d.launch ? (await this.d.registry.actionType(d.launch.actionType)).compiled.spec.name : undefined;
      if (d.timeline) {
        // Worded once the launch is made: whether the request went, and whether the note went with it.
        let message = d.timeline.message;
        if (d.timeline.launch && launch && d.launch) {
          const noteDropped = d.launch.input.Note !== undefined && !Object.hasOwn(launch.action.input, 'Note');
          message = launchMessage(
            { ...d.timeline.launch, actionType: typeName! },
            launch.action.state === 'todo'
              ? { sent: false, why: launch.action.lastError ?? 'invalid input', noteDropped }
              : { sent: true, noteDropped },
          );
        }
        const request =
          (te.type === 'solution_declined' || te.type === 'message') && te.request ? { data: keptRequestData(te.request) } : {};
        timeline.push({ at: now, actor: d.timeline.actor, kind: kindOf(te), message, ...request });
      }
      const entry: IntegrationLogEntry = {
        ...d.log!,
        payload: boundPayload(d.log!.payload),
        actionId: launch?.action.id ?? null,
        ...(launch
          ? notSent
            ? { result: `Not sent: ${launch.action.lastError ?? 'invalid input'}`, outcome: 'not_sent' as const }
            : { result: `Launched ${typeName}` }
          : {}),
      };
      if (launch) this.outboundTypes.add(launch.action.actionTypeId!);
      const ok = await this.d.store.writeIntegration({
        write: { action: next, expectedVersion: cur.version, previous: cur, timeline, effects },
        entry,
        launch,
      });
      if (!ok) continue;
      if (launch?.action.dueAt != null) this.d.engine.dueAt(launch.action.dueAt);
      // Read back: the queue's allocation may have chosen the person in the same transaction.
      return (await this.d.store.getAction(id)) ?? next;
    }
    throw new ConflictError('The task kept changing while this request was applied; try again');
  }

  private async integrationOf(queue: string): Promise<QueueIntegration | null> {
    const q = await this.d.store.getQueue(queue);
    const i = (q?.doc.integration ?? null) as QueueIntegration | null;
    return i && i.onAssign ? i : null;
  }

  private async taskOf(a: ActionRecord, log: IntegrationLogEntry[]): Promise<IntegratedTask> {
    const caseData = a.caseId === null ? null : ((await this.d.store.getCase(a.caseId))?.data ?? null);
    return {
      id: a.id,
      title: await this.titleOf(a),
      state: a.state,
      queue: a.queue,
      assignee: a.assignee,
      externalReference: a.externalReference,
      caseData,
      handBack: handBackOf(log),
      log,
    };
  }

  /**
   * What the provider is told the task is called: a `Title` input; a manual task's title (`title`, as
   * steps and tasks added by hand carry it, which is what people see it called), else its first timeline
   * entry (src/lifecycle/manual.ts); an action's, its type's name.
   */
  private async titleOf(a: ActionRecord): Promise<string> {
    if (typeof a.input.Title === 'string') return a.input.Title;
    if (a.actionTypeId === null && typeof a.input.title === 'string' && a.input.title.trim() !== '') return a.input.title;
    if (a.actionTypeId !== null) return (await this.d.registry.actionType(a.actionTypeId)).compiled.spec.name;
    const first = (await this.d.store.listTimeline(a.id, { limit: 1 }))[0]?.message;
    return first?.replace(/^Created To Do \(Manual\): /, '') ?? `Task ${a.id}`;
  }

  /**
   * The action the exchange launches, with the input fields its type declares. Input its type refuses
   * is not sent: the action goes To Do (Invalid Input) on its type's queue, as a process step's does.
   */
  private async launchFor(task: ActionRecord, l: Launch, n: number, now: number): Promise<NewAction> {
    const type = await this.d.registry.actionType(l.actionType);
    const input = fitInput(l.input, Object.keys(type.compiled.templates.fields));
    const key = { launchKey: integrationLaunchKey(task.id, n), launchHash: LAUNCH_HASH };
    const checked = type.compiled.templates.validateInput(input);
    const refused = checked.ok ? type.compiled.templates.refusal(checked.value) : null;
    const id = uuidv7(now);
    if (checked.ok && !refused) {
      const a = launchAction({
        id,
        actionTypeId: type.compiled.id,
        actionTypeName: type.compiled.spec.name,
        caseId: task.caseId,
        input: checked.value,
        policy: type.compiled.policy,
        now,
        actor: 'system',
      });
      return { ...a, timeline: a.timeline.map((e) => ({ ...e, data: { taskId: task.id } })), ...key, ...this.launchEvents(a.action) };
    }
    const errors = checked.ok ? [{ field: refused!.field, message: refused!.reason }] : checked.errors;
    const policy = type.compiled.policy;
    const todo = toDoAction({
      id,
      actionTypeId: type.compiled.id,
      caseId: task.caseId ?? '',
      input,
      reason: 'invalid_input',
      // On its type's queue, or else its task's: where the people who work the task see it.
      queue: policy.allocation.queue ?? (policy.allocation.user === null ? task.queue : null),
      assignee: policy.allocation.user,
      message: errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; '),
      now,
      actor: 'system',
    });
    // toDoAction is made for process steps (always in a case); a task need not be in one.
    const action = { ...todo.action, caseId: task.caseId };
    return { action, timeline: todo.timeline, ...key, ...this.launchEvents(action) };
  }

  /** Its webhook events (action.launched, and task.assigned for one To Do on a queue), as any launch's. */
  private launchEvents(a: ActionRecord): Pick<NewAction, 'events'> {
    const events = this.d.engine.webhookEvents?.forLaunch(a);
    return events ? { events } : {};
  }
}

/**
 * The task's change when the request that was to put it in the provider's hands was not sent: To Do
 * on its queue for a person (Invalid Input), allocated as any To Do task.
 */
function notSentChange(c: TaskChange): TaskChange {
  return { ...c, state: 'todo', reason: 'invalid_input', resolution: null, phase: null, assignee: null, allocate: true };
}

/**
 * A failed outbound action put on its task's queue (it had none), so it is on that queue's list beside
 * the task; allocated there as any To Do task. Not through transition's `assigned`: no person moves it.
 */
function onQueue(a: ActionRecord, queue: string, task: ActionRecord, now: number): ActionWrite {
  return {
    action: { ...a, queue, updatedAt: now, version: a.version + 1 },
    expectedVersion: a.version,
    previous: a,
    timeline: [
      { at: now, actor: 'system', kind: 'assigned', message: `Put on queue ${queue}, the queue of task ${task.id} it was sent for` },
    ],
    // To the person the task is given to (in this write, before it), so one person handles both.
    effects: [{ type: 'allocate', sameAs: task.id }],
  };
}

const describe = (s: { state: ActionRecord['state']; reason: ActionRecord['reason']; resolution: ActionRecord['resolution'] }): string =>
  LABELS[s.state] + (s.reason ? ` (${LABELS[s.reason]})` : '') + (s.resolution ? ` (${LABELS[s.resolution]})` : '');

/** The rules' task change on the record, with the state change's timeline entry and effects (as transition.ts writes them). */
function applyChange(
  a: ActionRecord,
  c: TaskChange | null,
  now: number,
  actor: Actor,
): { action: ActionRecord; timeline: TimelineEntry[]; effects: Effect[] } {
  if (c === null) return { action: a, timeline: [], effects: [] };
  const next: ActionRecord = { ...a };
  const before = { state: a.state, reason: a.reason, resolution: a.resolution };
  if (c.state !== undefined) next.state = c.state;
  if (c.reason !== undefined) next.reason = c.reason;
  if (c.resolution !== undefined) next.resolution = c.resolution;
  if (c.phase !== undefined) next.phase = c.phase;
  if (c.queue !== undefined) next.queue = c.queue;
  if (c.assignee !== undefined) next.assignee = c.assignee;
  if (c.externalReference !== undefined) next.externalReference = c.externalReference;
  // With the provider nothing is due here: the task waits for its answer, with no deadline of ours (an
  // action that timed out onto the queue keeps no deadline that passed, shown or claimed).
  next.dueAt = null;
  next.timeoutAt = null;
  next.paused = false;
  next.closedAt = next.state === 'closed' ? (a.closedAt ?? now) : null;
  const after = { state: next.state, reason: next.reason, resolution: next.resolution };
  const moved = before.state !== after.state || before.reason !== after.reason || before.resolution !== after.resolution;
  const timeline: TimelineEntry[] = moved
    ? [{ at: now, actor, kind: 'state_changed', message: `${describe(before)} → ${describe(after)}`, data: { from: before, to: after } }]
    : [];
  const effects: Effect[] = moved ? [{ type: 'state_changed', from: before, to: after }] : [];
  if (c.allocate && !moved) effects.push({ type: 'allocate' });
  return { action: next, timeline, effects };
}

function kindOf(te: TaskEvent): TimelineEntry['kind'] {
  if (te.type === 'acknowledged') return 'acknowledged';
  if (te.type === 'handed_back') return 'callback';
  return 'message';
}

/** A payload within MAX_LOG_PAYLOAD_BYTES, without callback tokens (they are the provider's alone). */
function boundPayload(p: Record<string, unknown>): Record<string, unknown> {
  const noTokens = cutStrings(redactTokens(p));
  const cut = jsonExcerpt(noTokens, MAX_LOG_PAYLOAD_BYTES);
  return cut !== null && typeof cut === 'object' && !Array.isArray(cut) ? (cut as Record<string, unknown>) : { excerpt: cut };
}

/** Long texts (a note, a solution) are cut so the payload keeps its shape; a large CaseData becomes an excerpt. */
export const MAX_LOG_TEXT_CHARS = 2000;
function cutStrings(v: unknown): Record<string, unknown> {
  const cut = (x: unknown): unknown => {
    if (typeof x === 'string') return x.length > MAX_LOG_TEXT_CHARS ? `${x.slice(0, MAX_LOG_TEXT_CHARS)}… (${x.length} characters)` : x;
    if (Array.isArray(x)) return x.map(cut);
    if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, cut(y)]));
    return x;
  };
  return cut(v) as Record<string, unknown>;
}

/** Anything shaped like a callback token (`<uuid>.<MAC>`) is replaced, wherever it sits. */
function redactTokens<T>(v: T): T {
  const found = JSON.stringify(v).match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[A-Za-z0-9_-]{16,}/g);
  return (found ?? []).reduce((acc, t) => redactToken(acc, t), v);
}

/** The provider's values within the bounds of src/inbound/schemas.ts, for library callers and the shared token routes alike. */
function checkInbound(e: TaskEvent): void {
  const p = new Problems();
  const text = (v: string, field: string, max: number): void => {
    if (v.trim() === '') p.add(field, 'must not be blank');
    else if (v.length > max) p.add(field, `is longer than ${max} characters`);
  };
  if (e.type === 'acknowledged') text(e.externalReference, 'externalReference', MAX_REFERENCE_CHARS);
  else if (e.type === 'message') text(e.message, 'message', MAX_TEXT);
  else if (e.type === 'handed_back') {
    if (e.resolution !== 'solved' && e.resolution !== 'closed') p.add('resolution', 'must be solved or closed');
    text(e.solution, 'solution', MAX_TEXT);
  }
  p.throwIfAny();
}
