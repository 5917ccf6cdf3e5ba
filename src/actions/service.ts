// Actions: launch (one or many, safe to repeat with an idempotency key), read, list, timeline, and
// what operators do. Request shapes are checked by the route schemas (schemas.ts); what stays here
// are the rules a schema cannot say: names that must exist, dates, the action type's input fields.

import type { WebhookEventRow } from '../webhooks/rows.ts';
import { ConflictError, InvalidStateError, NotFoundError, Problems, ValidationError } from '../errors.ts';
import { INPUT_LIMITS, MAX_TEXT_CHARS, jsonProblem } from '../json-limits.ts';
import type { ActionFilter, Store } from '../store/types.ts';
import type { Registry, ActionTypeEntry } from '../engine/registry.ts';
import type { Engine } from '../engine/engine.ts';
import { SLOW_HOLD_MARK } from '../engine/bulkhead.ts';
import { limitText } from '../limits/windows.ts';
import { isoTime, parseDateTime, type Clock } from '../clock.ts';
import { takesManualRetry } from '../lifecycle/retryable.ts';
import { requestHash, uuidv7, type RequestHash } from '../ids.ts';
import { MAX_PAGE_BYTES, checkCursor, checkDueCursor, dueCursor, pageLimit } from '../pages.ts';
import { launchAction } from '../lifecycle/launch.ts';
import { MAX_DURATION_MS } from '../lifecycle/duration.ts';
import type { ActionRecord } from '../lifecycle/action.ts';
import { RESOLUTIONS, type Actor } from '../lifecycle/states.ts';
import { MANUAL_POLICY } from '../lifecycle/manual.ts';
import { actionView, timelineView, type ActionView, type TimelineEntry } from './views.ts';
import { checkLaunchLimits } from './launch-limits.ts';
import { keptBefore, keptRequest, type KeptRequest } from './timeline-key.ts';
import { workFilter, type WorkFilter, type WorkQuery } from './work-filter.ts';
import {
  TIMELINE_PAGE,
  type ActionListQuery,
  type CompleteBody,
  type LaunchRequest,
  type RetryBody,
  type TimelineQuery,
} from './schemas.ts';

/** The most cases whose text finds their actions in an action search (their ids go into the query). */
const TEXT_CASES = 200;
/** How far back a retry's Idempotency-Key is recognised: the caller's own latest retries of the action, not all of them. */
const RETRY_KEYS_LOOKED_AT = 50;

type Launcher = Exclude<Actor, 'integration'>;
type Launch = ReturnType<typeof launchAction>;

export interface ActionServiceDeps {
  store: Store;
  registry: Registry;
  engine: Engine;
  clock: Clock;
}

/** Defined, not assigned: a field named __proto__ (a library caller's object) stays a field. */
function setField(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function withCaseTitle(v: ActionView, a: ActionRecord, titles: Map<string, string | null>): ActionView {
  v.caseTitle = a.caseId === null ? null : (titles.get(a.caseId) ?? null);
  return v;
}

/** The input with `patch` merged in: each field given replaces the one there; a field given as null is removed. */
export function mergeInput(input: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...input };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else setField(out, k, v);
  }
  return out;
}

export class ActionService {
  private readonly store: Store;
  private readonly registry: Registry;
  private readonly engine: Engine;
  private readonly clock: Clock;

  constructor(deps: ActionServiceDeps) {
    this.store = deps.store;
    this.registry = deps.registry;
    this.engine = deps.engine;
    this.clock = deps.clock;
  }

  /** Validates and launches one action; with an idempotency key a repeat returns the first action. */
  async launch(
    req: LaunchRequest,
    opts: { idempotencyKey?: string; actor?: Launcher } = {},
  ): Promise<{ action: ActionView; created: boolean }> {
    // Before the body is hashed: a value nested a million deep must be a 422, not a stack overflow.
    checkLaunchLimits(req);
    const request = opts.idempotencyKey ? requestHash(req) : undefined;
    const launchHash = request?.hash;
    if (opts.idempotencyKey) {
      const prior = await this.findLaunch(opts.idempotencyKey, request!);
      if (prior) return { action: prior, created: false };
    }
    const item = await this.prepareLaunch(req, opts.actor ?? 'system');
    try {
      await this.store.insertActions([{ ...item, ...(opts.idempotencyKey ? { launchKey: opts.idempotencyKey, launchHash } : {}) }]);
    } catch (err) {
      // Two requests with one key raced: the loser answers with the winner's action.
      const prior = opts.idempotencyKey && err instanceof ConflictError ? await this.findLaunch(opts.idempotencyKey, request!) : undefined;
      if (prior) return { action: prior, created: false };
      throw err;
    }
    if (item.action.dueAt !== null) this.engine.dueAt(item.action.dueAt);
    return { action: await this.view(item.action), created: true };
  }

  /** Launches many actions in one transaction (bulk launch, benchmarks); all are validated first. */
  /**
   * Launches many actions in one transaction (bulk launch, schedules, benchmarks); all are validated
   * first. With `launchKeys` (one per request) each action is stored under its key, as a launch with
   * that Idempotency-Key would be; a key already used fails the whole batch with a ConflictError.
   */
  async launchMany(reqs: LaunchRequest[], actor: Launcher = 'system', opts: { launchKeys?: readonly string[] } = {}): Promise<string[]> {
    const items = [];
    for (const [i, r] of reqs.entries()) {
      checkLaunchLimits(r);
      const key = opts.launchKeys?.[i];
      items.push({ ...(await this.prepareLaunch(r, actor)), ...(key ? { launchKey: key, launchHash: requestHash(r).hash } : {}) });
    }
    await this.store.insertActions(items);
    const first = items.reduce((m, i) => Math.min(m, i.action.dueAt ?? Infinity), Infinity);
    if (first !== Infinity) this.engine.dueAt(first);
    return items.map((i) => i.action.id);
  }

  private async findLaunch(key: string, request: RequestHash): Promise<ActionView | undefined> {
    const prior = await this.store.getActionByLaunchKey(key);
    if (!prior) return undefined;
    if (!request.matches(prior.launchHash)) throw new ConflictError('This Idempotency-Key was used for a different launch request');
    return this.view(prior.action);
  }

  /** The launch's records, once the action type, the case and the input are known to be good. */
  private async prepareLaunch(
    r: LaunchRequest,
    actor: Launcher,
  ): Promise<{ action: ActionRecord; timeline: Launch['timeline']; events?: WebhookEventRow[] }> {
    const p = new Problems();
    const startAt = startTimeOf(r.startAt);
    if (Number.isNaN(startAt)) p.add('startAt', 'must be a date-time with a time zone (e.g. 2026-12-01T09:00:00Z) or epoch milliseconds');
    // Bounded as durations are: the start plus the type's deadlines must stay a date (see MAX_DURATION_MS).
    else if (startAt !== undefined && startAt > this.clock.now() + MAX_DURATION_MS) p.add('startAt', 'must be at most ten years ahead');
    p.throwIfAny();
    const type = await this.actionTypeNamed(r.actionType, 'actionType');
    const caseId = r.caseId ?? null;
    if (caseId !== null && !(await this.store.getCase(caseId))) p.add('caseId', `no case ${JSON.stringify(caseId)} exists`);
    const checked = type.compiled.templates.validateInput(r.input ?? {});
    if (!checked.ok) for (const e of checked.errors) p.add(e.field ? `input.${e.field}` : 'input', e.message);
    p.throwIfAny();
    const input = (checked as { value: Record<string, unknown> }).value;
    const refused = type.compiled.templates.refusal(input);
    if (refused) p.add(`input.${refused.field}`, refused.reason);
    p.throwIfAny();
    const now = this.clock.now();
    const launch = launchAction({
      id: uuidv7(now),
      actionTypeId: type.compiled.id,
      actionTypeName: type.compiled.spec.name,
      caseId,
      input,
      policy: type.compiled.policy,
      now,
      actor,
      ...(startAt !== undefined ? { startAt } : {}),
    });
    // Webhook events go in the launch's own transaction (nothing when no subscription wants them).
    const events = this.engine.webhookEvents?.forLaunch(launch.action);
    return events ? { ...launch, events } : launch;
  }

  /** The action type a request names; only "not found" is the caller's mistake, anything else is ours (500). */
  private async actionTypeNamed(idOrName: string, field: string): Promise<ActionTypeEntry> {
    try {
      return await this.registry.actionType(idOrName);
    } catch (e) {
      if (e instanceof NotFoundError) throw new ValidationError([{ field, message: `no action type ${JSON.stringify(idOrName)} exists` }]);
      throw e;
    }
  }

  /** The API's shape of an action, with what holds it while throttled. */
  async view(a: ActionRecord): Promise<ActionView> {
    const v = await this.baseView(a);
    return this.viewExtras ? Object.assign(v, await this.viewExtras(a)) : v;
  }

  /** Fields other parts add to a view (integrated queues: a handed-back task's solution); set by the composition root. */
  viewExtras: ((a: ActionRecord) => Promise<Partial<ActionView>>) | null = null;

  private async baseView(a: ActionRecord, again = true): Promise<ActionView> {
    if (a.actionTypeId === null) return actionView(a, MANUAL_POLICY, null);
    const t = await this.registry.actionType(a.actionTypeId);
    const v = actionView(a, t.compiled.policy, t.compiled.spec.name);
    if (a.phase !== 'throttled') return v;
    // A claim keeps the phase `throttled` (so a hold is noted once, not at every look): claimed, the
    // action is being sent (or about to be, or held again), and its due time is the claim's lease.
    const lease = await this.store.actionLease(a.id);
    if (lease?.owner != null) return Object.assign(v, { phase: 'sending', throttledUntil: null });
    // No claim now, but the record read before may be of a claim whose attempt has just ended (closed,
    // or held again): the record as it is now says which, not a hold timed by the ended claim's lease.
    if (again && lease !== undefined && lease.version !== a.version) {
      const now = await this.store.getAction(a.id);
      if (now) return this.baseView(now, false);
    }
    v.heldBy = await this.heldBy(a.id, t.compiled.spec.connectorId);
    return v;
  }

  /** Why a throttled action waits, from its connector's health and limits (SPEC: visible on the waiting actions). */
  private async heldBy(actionId: string, connectorId: string): Promise<NonNullable<ActionView['heldBy']>> {
    const c = await this.registry.connector(connectorId);
    await this.engine.health.refresh();
    const s = this.engine.health.view(connectorId, this.clock.now());
    if (s.needsAttention)
      return { reason: 'needs_attention', detail: `connector ${c.spec.name} needs attention: ${String(s.needsAttention)}` };
    if (s.circuit !== 'closed')
      return {
        reason: 'circuit_open',
        detail: `the circuit breaker of ${c.spec.name} is ${String(s.circuit)} after ${String(s.failures)} failures in a row`,
      };
    if (c.spec.rateLimits.length > 0)
      return {
        reason: 'rate_limit',
        detail: `${c.spec.name} allows ${c.spec.rateLimits.map(limitText).join(' and ')}`,
      };
    const slow = this.engine.heldForSlowSystem(connectorId, actionId, c.spec.maxConcurrency !== null);
    if (slow)
      return {
        reason: 'slow_system',
        detail: slow.slowNow
          ? `${c.spec.name} is slow: ${slow.inFlight} attempts in flight on this node; slow systems keep at most ${slow.share} of its attempts`
          : `${c.spec.name} was slow: sent when one of its attempts ends, or at its next look`,
      };
    // Held for a slow system's place by another node (each such hold is noted: the last note says).
    if (c.spec.maxConcurrency === null && (await this.store.lastTimelineEntry(actionId, 'throttled'))?.message?.includes(SLOW_HOLD_MARK))
      return {
        reason: 'slow_system',
        detail: `${c.spec.name} was slow: sent when one of its attempts ends, or at its next look`,
      };
    // Held by a limit since lifted: it goes at its next look.
    if (c.spec.maxConcurrency === null)
      return { reason: 'max_concurrency', detail: `${c.spec.name} has no concurrency limit now: sent at its next look, within seconds` };
    return { reason: 'max_concurrency', detail: `${c.spec.name} allows ${c.spec.maxConcurrency} attempts in flight` };
  }

  async getAction(id: string): Promise<ActionView> {
    const a = await this.store.getAction(id);
    if (!a) throw new NotFoundError('Action', id);
    const [v, titles, skipped] = await Promise.all([this.view(a), this.caseTitles([a]), this.skippedStep(a)]);
    if (skipped) v.stepSkipped = skipped;
    return withCaseTitle(v, a, titles);
  }

  /** The case's step of an action that would take a retry, when an operator skipped it: the retry is refused (engine/apply.ts). */
  private async skippedStep(a: ActionRecord): Promise<ActionView['stepSkipped']> {
    if (a.caseId === null || a.actionTypeId === null || !takesManualRetry(a)) return undefined;
    const step = (await this.store.getCase(a.caseId))?.steps?.find((s) => s.actionId === a.id && s.status === 'skipped');
    return step ? { step: step.name, by: step.skipped?.by ?? 'an operator', at: isoTime(step.skipped?.at ?? a.updatedAt)! } : undefined;
  }

  /**
   * The titles of these actions' cases, in one lookup: the list and the read name the case as people
   * know it. Not in every view: a callback's or a bulk close's answer would pay a lookup per action.
   */
  private async caseTitles(rows: ActionRecord[]): Promise<Map<string, string | null>> {
    const ids = [...new Set(rows.flatMap((a) => (a.caseId === null ? [] : [a.caseId])))];
    return ids.length === 0 ? new Map() : this.store.caseTitles(ids);
  }

  /**
   * A page of actions, newest first (`sort=due`: those with a due time, the earliest due first); `next`
   * is the `before` of the following page. It ends early at MAX_PAGE_BYTES.
   */
  async listActions(query: ActionListQuery = {}, viewer?: string): Promise<{ items: ActionView[]; next: string | null }> {
    const { before, limit, sort, ...filters } = query;
    const byDue = sort === 'due';
    const afterDue = byDue ? checkDueCursor(before) : (checkCursor(before), undefined);
    const f: ActionFilter = {
      ...(await this.workFilter(filters, viewer)),
      limit: pageLimit(limit),
      ...(byDue ? { order: 'due' as const, ...(afterDue ? { afterDue } : {}) } : before !== undefined ? { before } : {}),
    };
    const { actions: rows, more, resumeBefore } = await this.store.listActionsPage(f, MAX_PAGE_BYTES);
    const [views, titles] = await Promise.all([Promise.all(rows.map((a) => this.view(a))), this.caseTitles(rows)]);
    const items = views.map((v, i) => withCaseTitle(v, rows[i]!, titles));
    const last = rows.at(-1);
    return { items, next: resumeBefore ?? (more && last ? (byDue ? dueCursor(last) : last.id) : null) };
  }

  /** The work list's filter from its query (work-filter.ts), as the list and its counts read it; `assignee=me` is `viewer`'s. */
  workFilter(q: WorkQuery, viewer?: string): Promise<WorkFilter> {
    return workFilter(q, {
      registry: this.registry,
      queues: this.store,
      now: this.clock.now(),
      ...(viewer !== undefined ? { viewer } : {}),
      textFilter: (text) => this.textFilter(text),
    });
  }

  /**
   * The filter of a text search: the text in the input or the external reference, and in a case's
   * title or data (SPEC 9: search by custom data), whose actions it finds too: the newest cases that
   * hold it, as many as one page of the cases list gives.
   */
  async textFilter(text: string): Promise<Pick<ActionFilter, 'text' | 'textCaseIds'>> {
    const { cases } = await this.store.listCases({ q: text, limit: TEXT_CASES, maxBytes: MAX_PAGE_BYTES });
    return { text, ...(cases.length > 0 ? { textCaseIds: cases.map((c) => c.id) } : {}) };
  }

  async timeline(id: string): Promise<TimelineEntry[]> {
    if (!(await this.store.getAction(id))) throw new NotFoundError('Action', id);
    return timelineView(await this.store.listTimeline(id));
  }

  /** A page of the timeline, oldest first: a task with thousands of messages is not read whole. */
  /** `next`: the `after` of the next page, or with `order=newest` its `before`. */
  async timelinePage(id: string, q: TimelineQuery): Promise<{ items: TimelineEntry[]; next: string | null }> {
    if (!(await this.store.getAction(id))) throw new NotFoundError('Action', id);
    const limit = q.limit ?? TIMELINE_PAGE;
    const rows = await this.store.listTimeline(id, {
      ...(q.after !== undefined ? { afterSeq: q.after } : {}),
      ...(q.before !== undefined ? { beforeSeq: q.before } : {}),
      ...(q.kind !== undefined ? { kind: q.kind } : {}),
      newestFirst: q.order === 'newest',
      limit: limit + 1,
    });
    const items = timelineView(rows.slice(0, limit));
    return { items, next: rows.length > limit ? String(items.at(-1)!.seq) : null };
  }

  /**
   * A retry, with the input corrected first when `body.input` says how (a merge: each field given
   * replaces the one there, null removes it). The corrected input, or an action's that failed its
   * fields (To Do, Invalid Input) retried as it is, must pass the action type's fields as they are
   * now, as a launch's must; otherwise nothing changes (422, field by field).
   */
  async retry(id: string, user: string, body: RetryBody = {}, opts: { idempotencyKey?: string } = {}): Promise<ActionView> {
    checkLaunchLimits(body);
    const a = await this.store.getAction(id);
    if (!a) throw new NotFoundError('Action', id);
    // With an Idempotency-Key, a repeat (its answer lost, a double submit) answers the action as it is
    // now and sends nothing again: asked first, and again in the action's turn (one already applying).
    // Kept hashed: the timeline is read by every role, the key was the caller's alone.
    const request = opts.idempotencyKey === undefined ? undefined : keptRequest(opts.idempotencyKey, body);
    const repeat = request && (() => this.repeatedRetry(id, user, request));
    const repeated = repeat && (await repeat());
    if (repeated) return this.view(repeated);
    const retry = { type: 'retry_requested', user, ...(request ? { request } : {}) } as const;
    const patch = body.input;
    // Only an action with a type has fields to check; the lifecycle refuses a manual task's retry.
    if (a.actionTypeId === null || (patch === undefined && !(a.state === 'todo' && a.reason === 'invalid_input')))
      return this.view(await this.engine.apply(id, retry, a, repeat));
    const t = (await this.actionTypeNamed(a.actionTypeId, 'input')).compiled.templates;
    const merged = patch === undefined ? a.input : mergeInput(a.input, patch);
    // A field the action type no longer has, left as it was, is not used when sent (attempt.ts), so
    // it is not refused here either; one the person gives is (a mistyped name).
    const stale: Record<string, unknown> = {};
    const checkedPart: Record<string, unknown> = {};
    for (const k of Object.keys(merged))
      setField(Object.hasOwn(t.fields, k) || (patch !== undefined && Object.hasOwn(patch, k)) ? checkedPart : stale, k, merged[k]);
    const p = new Problems();
    const checked = t.validateInput(checkedPart);
    if (!checked.ok) for (const e of checked.errors) p.add(e.field ? `input.${e.field}` : 'input', e.message);
    p.throwIfAny();
    const value = (checked as { value: Record<string, unknown> }).value;
    const refused = t.refusal(value);
    if (refused) p.add(`input.${refused.field}`, refused.reason);
    p.throwIfAny();
    if (patch === undefined) return this.view(await this.engine.apply(id, retry, a, repeat));
    const to = { ...stale };
    for (const [k, v] of Object.entries(value)) setField(to, k, v);
    // Each correction fits on its own, but corrections add up: the input kept is held to a launch's limit.
    const tooBig = jsonProblem(to, INPUT_LIMITS);
    if (tooBig) throw new ValidationError([{ field: 'input', message: `with the correction merged in, the input ${tooBig}` }]);
    return this.view(await this.engine.apply(id, { ...retry, input: { from: a.input, to } }, a, repeat));
  }

  /**
   * The action, when `user` already retried it with this Idempotency-Key (among their own latest
   * RETRY_KEYS_LOOKED_AT retries of it); the same key with another body is refused (409), as a launch's is.
   */
  private async repeatedRetry(id: string, user: string, request: KeptRequest): Promise<ActionRecord | undefined> {
    const where = { kind: 'retry_requested', actor: `user:${user}`, limit: RETRY_KEYS_LOOKED_AT } as const;
    if (!(await keptBefore(this.store, id, where, request, 'another retry of this action, with another body'))) return undefined;
    return this.store.getAction(id);
  }
  async pause(id: string, user: string): Promise<ActionView> {
    return this.view(await this.engine.apply(id, { type: 'paused', user }));
  }
  async resume(id: string, user: string): Promise<ActionView> {
    return this.view(await this.engine.apply(id, { type: 'resumed', user }));
  }
  async pickUp(id: string, user: string): Promise<ActionView> {
    return this.view(await this.engine.apply(id, { type: 'picked_up', user }));
  }

  /** `override`: complete a task another person is working on (an admin's right; see the lifecycle). */
  async complete(
    id: string,
    user: string,
    body: CompleteBody = {},
    opts: { override?: boolean; repeatAnswers?: boolean } = {},
  ): Promise<ActionView> {
    // Kept on the timeline every role reads: bounded for library callers too, not only by the route's schema.
    if (body.note !== undefined && body.note.length > MAX_TEXT_CHARS)
      throw new ValidationError([{ field: 'note', message: `is longer than ${MAX_TEXT_CHARS} characters` }]);
    const resolution = body.resolution ?? RESOLUTIONS.done_successfully;
    try {
      return this.view(
        await this.engine.apply(id, {
          type: 'completed',
          user,
          resolution,
          ...(body.note !== undefined ? { note: body.note } : {}),
          ...(opts.override ? { override: true } : {}),
        }),
      );
    } catch (err) {
      // Completing what you already closed, as you closed it (a double click, a request repeated after
      // a lost answer), is answered as the first time; anyone else, or another resolution, is refused.
      // So is another note: answered 200, it would be dropped unseen (a repeat without one is a repeat).
      // Only for a person's request (the route asks): a bulk close must still count what it skipped.
      // (A task on an integrated queue is refused by its rules as a conflict: "The task is closed".)
      if (opts.repeatAnswers && (err instanceof InvalidStateError || err instanceof ConflictError)) {
        const a = await this.store.getAction(id);
        if (a?.state === 'closed' && a.resolution === resolution) {
          const closing = await this.store.lastTimelineEntry(id, 'state_changed');
          const to = closing?.data?.to as { state?: string } | undefined;
          if (closing?.actor === `user:${user}` && to?.state === 'closed') {
            if (body.note === undefined) return this.view(a);
            const noted = await this.store.lastTimelineEntry(id, 'completed');
            // Its note is written just before the state change, in the same transition (same time).
            if (noted?.actor === `user:${user}` && noted.message === body.note && noted.seq < closing.seq && noted.at === closing.at)
              return this.view(a);
            throw new InvalidStateError(
              'The action is already closed, by you, with another note (or none); add this one as a note (POST /v1/actions/{id}/notes)',
            );
          }
        }
      }
      throw err;
    }
  }
}

/** Epoch ms of a launch's startAt, undefined for "at once", NaN when it is no date-time with a zone. */
function startTimeOf(v: LaunchRequest['startAt']): number | undefined {
  if (v === undefined || v === null) return undefined;
  // Whole milliseconds, as a date-time gives: PostgreSQL's bigint refused a fraction (a 500) that SQLite kept.
  if (typeof v === 'number') return Number.isFinite(v) ? Math.round(v) : NaN;
  return parseDateTime(v);
}
