// The inbound side of an action for external systems, authorised by its callback token: the
// callback with the outcome, acknowledgements, heartbeats and messages. Shapes are checked by the
// route schemas; sizes, lengths and the token's life are checked here.

import { CalloutError, InvalidStateError, NotFoundError, UnknownCallbackTokenError, Problems } from '../errors.ts';
import { FAILURE_REASON, HEARTBEAT_NOTED_EVERY_MS, describeState, heartbeatMessage } from '../lifecycle/transition.ts';
import { stableJson } from '../ids.ts';
import type { Store } from '../store/types.ts';
import type { Registry } from '../engine/registry.ts';
import type { Engine } from '../engine/engine.ts';
import type { Clock } from '../clock.ts';
import type { ActionRecord } from '../lifecycle/action.ts';
import { evaluate, MappingError } from '../action-types/mapping.ts';
import {
  MAX_CALLBACK_DATA_BYTES,
  MAX_JSON_DEPTH,
  MAX_OUTPUT_BYTES,
  MAX_REFERENCE_CHARS,
  MAX_TEXT_CHARS,
  jsonExcerpt,
  jsonProblem,
  textExcerpt,
} from '../json-limits.ts';
import type { ActionService } from '../actions/service.ts';
import type { IntegrationService } from '../integrated-queues/service.ts';
import { withProviderNow } from '../integrated-queues/rules.ts';
import type { ActionView } from '../actions/views.ts';
import type { AcknowledgeBody, CallbackBody, HeartbeatBody, MessageBody } from './schemas.ts';
import type { HandBackBody } from '../inbound/schemas.ts';
import { keptBefore, keptRequest } from '../actions/timeline-key.ts';

/** How far back a message's Idempotency-Key is recognised: the external system's own latest messages to the action. */
export const MESSAGE_KEYS_LOOKED_AT = 50;

/** How long after its action closes a callback token still answers (a repeated callback, the same answer). */
export const DEFAULT_CALLBACK_TOKEN_TTL_MS = 7 * 24 * 3_600_000;

export interface CallbackServiceDeps {
  store: Store;
  registry: Registry;
  engine: Engine;
  clock: Clock;
  actions: ActionService;
  /** How long after its action closes a callback token still answers; then 404. @default 7 days */
  tokenTtlMs?: number;
}

export class CallbackService {
  readonly tokenTtlMs: number;
  /** Tokens of actions launched for a task on an integrated queue act on the task (src/integrated-queues); set by the composition root. */
  integrations: IntegrationService | null = null;
  private readonly store: Store;
  private readonly registry: Registry;
  private readonly engine: Engine;
  private readonly clock: Clock;
  private readonly actions: ActionService;

  constructor(deps: CallbackServiceDeps) {
    this.store = deps.store;
    this.registry = deps.registry;
    this.engine = deps.engine;
    this.clock = deps.clock;
    this.actions = deps.actions;
    this.tokenTtlMs = deps.tokenTtlMs ?? DEFAULT_CALLBACK_TOKEN_TTL_MS;
  }

  /**
   * Refuses a token that is not Callout's (its MAC does not hold) with the answer an unknown one gets,
   * before its request's body is read: anyone can make up a token, and reading a body costs.
   */
  refuseForgedToken(token: string): void {
    if (this.engine.actionIdOfToken(token) === undefined) throw new UnknownCallbackTokenError();
  }

  /**
   * The action a callback token is for. A forged token, an unknown action and a token whose action
   * closed more than the token TTL ago get the same 404: nothing to probe, and old tokens are dead.
   */
  private async actionOfToken(token: string): Promise<ActionRecord> {
    const id = this.engine.actionIdOfToken(token);
    return this.live(id ? await this.store.getAction(id) : undefined);
  }

  private live(a: ActionRecord | undefined): ActionRecord {
    if (!a || (a.state === 'closed' && a.closedAt !== null && this.clock.now() >= a.closedAt + this.tokenTtlMs))
      throw new UnknownCallbackTokenError();
    return a;
  }

  /**
   * What an outcome or a heartbeat on this token is for. The token of an action launched for a task
   * on an integrated queue addresses the task (SPEC 10.1), which stays with the provider long after
   * its 'Submit Request' closed; unless that action's own type completes by callback, when the
   * answer is that request's. Any other token addresses its action.
   */
  private async targetOfToken(token: string): Promise<{ task: ActionRecord } | { action: ActionRecord }> {
    const id = this.engine.actionIdOfToken(token);
    const a = id ? await this.store.getAction(id) : undefined;
    if (a && this.integrations && !(await this.completesByCallback(a))) {
      const task = await this.integrations.taskOfToken(a.id);
      if (task) return { task };
    }
    return { action: this.live(a) };
  }

  private async completesByCallback(a: ActionRecord): Promise<boolean> {
    const policy = await this.registry.policyOf(a).catch((e: unknown) => {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    });
    return policy?.completion.mode === 'callback';
  }

  async callback(token: string, body: CallbackBody): Promise<ActionView> {
    const target = await this.targetOfToken(token);
    const p = new Problems();
    const dataProblem = jsonProblem(body.data, { maxDepth: MAX_JSON_DEPTH, maxBytes: MAX_CALLBACK_DATA_BYTES });
    if (dataProblem) p.add('data', dataProblem);
    checkText(p, body.reason, 'reason', MAX_TEXT_CHARS);
    checkText(p, body.externalReference, 'externalReference', MAX_REFERENCE_CHARS);
    p.throwIfAny();
    if ('task' in target) return this.actions.view(await this.outcomeOnTask(target.task, body));
    const a = target.action;
    // Gone To Do and on to a queue integrated with a provider, who holds it now (waiting on them): its own
    // system's late callback is news, not the answer, nor is its reference the provider's.
    if (a.state === 'waiting' && a.queue !== null && a.callbackOutcome === null && (await this.withProvider(a)))
      return this.notApplied(a, body, `went to the provider of queue ${a.queue}`, `with the provider of queue ${a.queue}`);
    const ref = body.externalReference;
    // The reference goes with the callback: only onto an action that still takes one (a refused
    // callback changes nothing, its reference included).
    const acked =
      ref !== undefined && ref !== a.externalReference && a.state === 'waiting' && a.callbackOutcome === null
        ? await this.engine.apply(a.id, { type: 'acknowledged', externalReference: ref }, a)
        : undefined;
    const cur = acked ?? a;
    // A callback for a person's action now (timed out, rejected) is not applied, but it is news to
    // them (the external system did finish): it goes on the timeline, and the caller still hears 409.
    if ((cur.state === 'todo' || cur.state === 'in_progress') && cur.callbackOutcome === null)
      return this.notApplied(cur, body, `became ${describeState(cur)}`, describeState(cur));
    // The same outcome again is answered as the first was, when it is the same callback: one with other
    // data or another reason was answered 200 and dropped (an outside review); it is a conflict.
    if (cur.callbackOutcome === body.outcome && (await this.otherThanApplied(cur, body)))
      throw new CalloutError(
        'CONFLICT',
        `A ${body.outcome} callback with other ${body.outcome === 'success' ? 'data' : 'reason'} was already applied to this action; its own is on the timeline`,
      );
    // Checked above against the applied one's entry: the lifecycle answers it as the first.
    const repeat = cur.callbackOutcome === body.outcome ? { repeat: true as const } : {};
    if (body.outcome === 'success') {
      const data = body.data ?? null;
      // A repeat of an applied callback gets the same answer without running the mapping again.
      const mapped = cur.callbackOutcome === null && cur.state === 'waiting' ? await this.mapOutput(cur, data) : { output: data };
      return this.actions.view(
        await this.engine.apply(a.id, { type: 'callback', outcome: 'success', data: jsonExcerpt(data), ...mapped, ...repeat }, cur),
      );
    }
    const reason = body.reason !== undefined ? { reason: body.reason } : {};
    return this.actions.view(await this.engine.apply(a.id, { type: 'callback', outcome: 'failure', ...reason, ...repeat }, cur));
  }

  /**
   * Whether `body` differs from the callback applied to `a` (its entry on the timeline: the data as kept
   * there, compared whatever the key order, or the reason). Unknown (no entry read): not said to differ.
   */
  private async otherThanApplied(a: ActionRecord, body: CallbackBody): Promise<boolean> {
    const [applied] = await this.store.listTimeline(a.id, { kind: 'callback', newestFirst: true, limit: 1 });
    if (!applied) return false;
    if (body.outcome === 'failure') return applied.message !== `Callback: failure: ${body.reason ?? FAILURE_REASON}`;
    const kept = (applied.data as { data?: unknown } | undefined)?.data ?? null;
    return stableJson(kept) !== stableJson(jsonExcerpt(body.data ?? null));
  }

  /** A task its integrated queue's provider holds now (not one retried with its own system since). */
  private async withProvider(a: ActionRecord): Promise<boolean> {
    return this.integrations !== null && withProviderNow(await this.store.listIntegrationLog(a.id));
  }

  private async refuseIfWithProvider(a: ActionRecord, what: string): Promise<void> {
    if (a.state === 'waiting' && a.queue !== null && (await this.withProvider(a)))
      throw new InvalidStateError(`The action is with the provider of queue ${a.queue}; its own system's ${what} no longer apply to it`);
  }

  /** A callback that came too late to be the answer: kept on the timeline, and the caller hears 409. */
  private async notApplied(a: ActionRecord, body: CallbackBody, after: string, now: string): Promise<never> {
    const data = body.data === undefined ? '' : `; its data: ${textExcerpt(JSON.stringify(body.data), 2000)}`;
    const why = body.reason === undefined ? '' : `; its reason: ${textExcerpt(body.reason, 2000)}`;
    const text = `A ${body.outcome} callback arrived after the action ${after}; it was not applied${data}${why}`;
    await this.engine.apply(a.id, { type: 'message', text, actor: 'integration' }, a).catch((e: unknown) => {
      if (!(e instanceof CalloutError)) throw e;
    });
    throw new CalloutError('CONFLICT', `The action is ${now} and no longer waits for a callback; the callback is on its timeline`);
  }

  /**
   * The output of a success callback, by the action type's output mapping (in a worker, under its
   * limits) or the data itself. When the mapping fails or the output is too large the callback is
   * still taken (the caller gets 200: sending it again would not help) and the action goes To Do
   * with the reason, as a failed response mapping does.
   */
  private async mapOutput(a: ActionRecord, data: unknown): Promise<{ output: unknown } | { rejectedReason: string }> {
    const m = a.actionTypeId === null ? null : (await this.registry.actionType(a.actionTypeId)).compiled.mapping.output;
    if (!m) {
      const problem = jsonProblem(data, { maxDepth: MAX_JSON_DEPTH, maxBytes: MAX_OUTPUT_BYTES });
      return problem
        ? { rejectedReason: `Callback output failed: the data, kept as the output (there is no response.output), ${problem}` }
        : { output: data };
    }
    try {
      return { output: (await evaluate(m, data ?? {}, { input: a.input })) ?? null };
    } catch (e) {
      if (e instanceof MappingError) return { rejectedReason: `Callback output mapping failed: ${e.message}` };
      throw e;
    }
  }

  /**
   * A provider's outcome on a task it holds is its hand-back: success hands it back solved, failure
   * closed, so the task returns To Do and a person accepts or declines it, as SPEC 7 has it. The
   * solution shown is the data (success) or the reason (failure), else the other, else a plain word;
   * the same outcome twice is the same hand-back, answered alike.
   */
  private async outcomeOnTask(task: ActionRecord, body: CallbackBody): Promise<ActionRecord> {
    // Blank text is no text: an action's callback takes an empty reason or reference, and a task's
    // must too (the hand-back would refuse a blank solution, naming a field the provider never sent).
    const given = (s: string | undefined): string | undefined => (s !== undefined && s.trim() !== '' ? s : undefined);
    const ref = given(body.externalReference);
    let t = task;
    if (ref !== undefined && ref !== t.externalReference && t.state === 'waiting')
      t = await this.integrations!.inbound(t, { type: 'acknowledged', externalReference: ref });
    const data = body.data === undefined || body.data === null ? undefined : textExcerpt(JSON.stringify(body.data), 2000);
    const success = body.outcome === 'success';
    const reason = given(body.reason);
    const solution = (success ? (data ?? reason) : (reason ?? data)) ?? (success ? 'Solved by the provider' : 'Closed by the provider');
    return this.integrations!.inbound(t, { type: 'handed_back', resolution: success ? 'solved' : 'closed', solution });
  }

  async acknowledge(token: string, body: AcknowledgeBody): Promise<ActionView> {
    const task = await this.integrations?.taskOfToken(this.engine.actionIdOfToken(token));
    if (task)
      return this.actions.view(await this.integrations!.inbound(task, { type: 'acknowledged', externalReference: body.externalReference }));
    const a = await this.actionOfToken(token);
    const p = new Problems();
    checkText(p, body.externalReference, 'externalReference', MAX_REFERENCE_CHARS);
    p.throwIfAny();
    refuseIfClosed(a, 'acknowledgements');
    // The task's reference is the provider's now, not its own system's.
    await this.refuseIfWithProvider(a, 'acknowledgements');
    return this.actions.view(await this.engine.apply(a.id, { type: 'acknowledged', externalReference: body.externalReference }, a));
  }

  /**
   * A provider hands a task back (integrated queues). Only the token of an action launched for a task
   * on an integrated queue hands anything back: a forged or unknown token, or one of an earlier
   * submission, gets 404; a live token of any other action, a 409 that says why.
   */
  async handBack(token: string, body: HandBackBody): Promise<ActionView> {
    const task = await this.integrations?.taskOfToken(this.engine.actionIdOfToken(token));
    if (!task) {
      await this.actionOfToken(token);
      throw new InvalidStateError('Only a task on an integrated queue is handed back, and this token is not one a provider holds');
    }
    return this.actions.view(
      await this.integrations!.inbound(task, { type: 'handed_back', resolution: body.resolution, solution: body.solution }),
    );
  }

  async heartbeat(token: string, body: HeartbeatBody = {}): Promise<ActionView> {
    const target = await this.targetOfToken(token);
    const p = new Problems();
    checkText(p, body.note, 'note', MAX_TEXT_CHARS);
    p.throwIfAny();
    if ('task' in target) {
      // A task has no heartbeat timeout: a provider's progress note is an update from it, a bare one changes nothing.
      const task = target.task;
      if (body.note !== undefined && body.note.trim() !== '')
        return this.actions.view(await this.integrations!.inbound(task, { type: 'message', message: body.note }));
      refuseIfClosed(task, 'heartbeats');
      return this.actions.view(task);
    }
    const a = target.action;
    refuseIfClosed(a, 'heartbeats');
    // Its own system's heartbeat would give the provider's task a deadline of ours, and time it out.
    await this.refuseIfWithProvider(a, 'heartbeats');
    // The same beat as the last one noted in this attempt, within the hour, only moves the deadline
    // (lastHeartbeatAt shows it). One noted before the attempt's send (a retried attempt) does not count,
    // or the new attempt's beats would not show until the hour was up.
    const [last, sent] = await Promise.all([
      this.store.lastTimelineEntry(a.id, 'heartbeat'),
      this.store.lastTimelineEntry(a.id, 'attempt'),
    ]);
    const quiet =
      last !== undefined &&
      (sent === undefined || last.seq > sent.seq) &&
      last.message === heartbeatMessage(body.note) &&
      this.clock.now() - last.at < HEARTBEAT_NOTED_EVERY_MS;
    return this.actions.view(
      await this.engine.apply(
        a.id,
        { type: 'heartbeat', ...(body.note ? { note: body.note } : {}), ...(quiet ? { quiet: true as const } : {}) },
        a,
      ),
    );
  }

  /**
   * With an Idempotency-Key, the sender's retry of a message (its answer lost, on any node) answers the
   * action as it is and keeps nothing again: the key is kept hashed on the message's timeline entry,
   * recognised among its own latest MESSAGE_KEYS_LOOKED_AT messages to the action (people's notes since push
   * none out); with another text, 409.
   */
  async message(token: string, body: MessageBody, opts: { idempotencyKey?: string } = {}): Promise<ActionView> {
    const task = await this.integrations?.taskOfToken(this.engine.actionIdOfToken(token));
    const a = task ?? (await this.actionOfToken(token));
    const p = new Problems();
    // Blank text is no update; the schema only knows "not empty".
    if (body.message.trim() === '') p.add('message', 'is required: the text of the update');
    checkText(p, body.message, 'message', MAX_TEXT_CHARS);
    p.throwIfAny();
    const request = opts.idempotencyKey === undefined ? undefined : keptRequest(opts.idempotencyKey, body);
    const seen =
      request &&
      (() =>
        keptBefore(
          this.store,
          a.id,
          { kind: 'message', actor: 'integration', limit: MESSAGE_KEYS_LOOKED_AT },
          request,
          'another message to this action, with another text',
        ));
    if (task)
      return this.actions.view(
        await this.integrations!.inbound(task, { type: 'message', message: body.message, ...(request ? { request } : {}) }, seen),
      );
    // Asked before the closed check too: a repeat after the action closed is answered as the first was.
    if (seen && (await seen())) return this.actions.view((await this.store.getAction(a.id)) ?? a);
    refuseIfClosed(a, 'messages');
    const event = { type: 'message', text: body.message, actor: 'integration', ...(request ? { request } : {}) } as const;
    const repeatOf = seen && (async () => ((await seen()) ? this.store.getAction(a.id) : undefined));
    return this.actions.view(await this.engine.apply(a.id, event, a, repeatOf));
  }
}

/** Updates (acknowledgements, heartbeats, messages) end with the action: 409, nothing changed. */
function refuseIfClosed(a: ActionRecord, what: string): void {
  if (a.state === 'closed') throw new InvalidStateError(`The action is closed; ${what} no longer apply to it`);
}

/** A text field within its length, or absent. */
function checkText(p: Problems, v: string | undefined, field: string, max: number): void {
  if (v !== undefined && v.length > max) p.add(field, `is longer than ${max} characters`);
}
