// The engine loop: claim due actions in batches, send them, apply outcomes through the lifecycle and
// write them back in batches. No in-memory timer per action: the store's due index is the timer.

import { EventEmitter } from 'node:events';
import type { ActionPolicy, ActionRecord } from '../lifecycle/action.ts';
import { computeDueAt, isTimedOut, transition, type ActionEvent, type Effect, type Evaluation } from '../lifecycle/transition.ts';
import type { ActionWrite, Store } from '../store/types.ts';
import type { Clock, TimerHandle } from './clock.ts';
import type { Registry, ActionTypeEntry, ConnectorEntry } from './registry.ts';
import type { OutboundRequest, Sender, SendResult } from './sender.ts';
import type { SecretBox } from '../crypto/secrets.ts';
import { ConflictError, InvalidStateError, NotFoundError } from '../errors.ts';
import { RenderError } from '../templates/index.ts';
import { DestinationRefusedError } from '../connectors/destination.ts';
import { buildRequest } from './request.ts';
import { evaluate } from '../action-types/mapping.ts';
import { MAX_JSON_DEPTH, MAX_OUTPUT_BYTES, MAX_REFERENCE_CHARS, jsonProblem } from '../json-limits.ts';
import { parseRetryAfter } from './retry-after.ts';
import type { Logger } from '../logger.ts';
import { ConnectorHealth } from './connector-health.ts';

export interface EngineOptions {
  store: Store;
  registry: Registry;
  sender: Sender;
  clock: Clock;
  box: SecretBox;
  logger: Logger;
  /** Names this node in leases and logs. */
  nodeId: string;
  /** Base of `$callbackUrl`. */
  publicUrl: string;
  /** Most actions claimed in one round trip. @default 256 */
  batchSize?: number;
  /** Most attempts in flight on this node. @default 1024 */
  maxInFlight?: number;
  /** Added to the longest attempt timeout to make a lease: how long a dead node's work waits. @default 15 s */
  leaseMarginMs?: number;
  /** How often to look for due work nobody announced (another node's, after a restart). @default 1000 */
  pollIntervalMs?: number;
  /** How often to reload configuration changed by other nodes. @default 5000 */
  refreshIntervalMs?: number;
}

export interface EngineEvents {
  /** An action was written: its new record and what the transition asked for. */
  action: [action: ActionRecord, effects: Effect[]];
  /** Something went wrong that the engine recovers from by itself (already logged). */
  failure: [error: unknown];
}

interface PendingWrite {
  write: ActionWrite;
  event: ActionEvent;
  /** The engine's own writes re-apply their event when another writer got there first; a request's writes report it. */
  onConflict: 'reapply' | 'report';
  resolve: (ok: ActionRecord | undefined) => void;
  reject: (err: unknown) => void;
}

const EXCERPT = 4096;
/** Most writes in one transaction. */
const MAX_WRITE_BATCH = 1024;
/** How long the engine's own outcomes wait to share a commit. */
const WRITE_COALESCE_MS = 2;
/**
 * Rate-limit permits are not used in the last part of their window (this, or a tenth of the window
 * if shorter), so a request started late on a busy machine does not land in the next window.
 */
const RATE_GUARD_MS = 100;
const excerpt = (s: string | undefined): string | undefined =>
  s === undefined ? undefined : s.length > EXCERPT ? `${s.slice(0, EXCERPT)}…` : s;

export class Engine extends EventEmitter<EngineEvents> {
  private readonly o: Required<Omit<EngineOptions, 'store' | 'registry' | 'sender' | 'clock' | 'box' | 'logger'>> & EngineOptions;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private inFlight = new Set<Promise<void>>();
  /** Claimed actions whose attempt has not ended (their outcome may still be waiting to be written). */
  private attempting = 0;
  private wakeUp: (() => void) | null = null;
  private sleepTimer: TimerHandle | null = null;
  /** When the loop's current sleep ends. */
  private sleepUntil = Infinity;
  /** The earliest due time announced by this process since the loop last asked the store. */
  private noticed = Infinity;
  private woken = false;
  private writeQueue: PendingWrite[] = [];
  private flushScheduled = false;
  private writers = new Set<Promise<void>>();
  private hadMore = false;
  private roomFreed: (() => void) | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  readonly health: ConnectorHealth;

  constructor(opts: EngineOptions) {
    super();
    this.o = { batchSize: 256, maxInFlight: 1024, leaseMarginMs: 15_000, pollIntervalMs: 1000, refreshIntervalMs: 5000, ...opts };
    this.health = new ConnectorHealth(opts.store, opts.logger);
  }

  // ---- running -------------------------------------------------------------------------------

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
    this.refreshTimer = setInterval(() => void this.refreshConfig(), this.o.refreshIntervalMs);
    this.refreshTimer.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.wake();
    await this.loopDone;
    await this.drain();
  }

  /** Announces work due now (a launch, a manual retry), so the loop does not wait for its poll. */
  wake(): void {
    this.woken = true;
    this.sleepTimer?.cancel();
    this.endSleep();
  }

  private endSleep(): void {
    this.sleepTimer = null;
    this.sleepUntil = Infinity;
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  /** Runs everything due now to the end of its attempt and waits for the writes: for tests and tools. */
  async tick(): Promise<number> {
    let total = 0;
    for (;;) {
      const claimed = await this.claim(this.o.batchSize);
      if (claimed.length === 0) break;
      total += claimed.length;
      await Promise.all(await this.dispatch(claimed));
      await this.flush();
    }
    await this.drain();
    return total;
  }

  private async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    await this.flush();
  }

  private async loop(): Promise<void> {
    // Other nodes' launches and callbacks arrive as notifications when the store has them.
    const unlisten = await this.o.store
      .listen?.(() => this.wake())
      .catch((err) => {
        this.o.logger.warn({ err }, 'listening for work failed; polling only');
        return undefined;
      });
    try {
      await this.runLoop();
    } finally {
      await unlisten?.();
    }
  }

  private async runLoop(): Promise<void> {
    while (this.running) {
      try {
        // Room is counted in attempts, not commits: an answered attempt frees its place while its
        // outcome waits for the next group commit. Outcomes waiting to be written are bounded too.
        const room = Math.min(this.o.maxInFlight - this.attempting, 2 * this.o.maxInFlight - this.inFlight.size);
        // Claim in chunks: one claim per finished attempt would be a transaction per action.
        if (room <= 0 || (room < Math.min(this.o.batchSize, this.o.maxInFlight / 2) && this.inFlight.size > 0 && this.hadMore)) {
          await new Promise<void>((resolve) => (this.roomFreed = resolve));
          continue;
        }
        this.woken = false;
        const limit = Math.min(room, this.o.batchSize);
        const claimed = await this.claim(limit);
        // A full claim means more is probably due: worth waiting for room to claim a full chunk.
        this.hadMore = claimed.length === limit;
        for (const p of await this.dispatch(claimed)) this.track(p);
        if (claimed.length > 0) {
          // Give in-flight sends a turn of the event loop before claiming again.
          await new Promise((r) => setImmediate(r));
          continue;
        }
        if (!this.woken) await this.sleepUntilDue();
      } catch (err) {
        this.o.logger.error({ err }, 'engine loop error; retrying');
        this.emit('failure', err);
        await new Promise((r) => setTimeout(r, this.o.pollIntervalMs));
      }
    }
  }

  private track(p: Promise<void>): void {
    const t: Promise<void> = p
      .catch((err) => {
        this.o.logger.error({ err }, 'processing an action failed');
        this.emit('failure', err);
      })
      .finally(() => {
        this.inFlight.delete(t);
        this.freeRoom();
      });
    this.inFlight.add(t);
  }

  private freeRoom(): void {
    // One waiter to wake, rather than a race over every attempt in flight.
    const r = this.roomFreed;
    this.roomFreed = null;
    r?.();
  }

  private async sleepUntilDue(): Promise<void> {
    // Announcements from here on may be missed by the query below: they are kept in `noticed`.
    this.noticed = Infinity;
    const next = await this.o.store.nextDueAt();
    if (this.woken || !this.running) return;
    const now = this.o.clock.now();
    const until = Math.min(next ?? Infinity, this.noticed, now + this.o.pollIntervalMs);
    if (until <= now) return;
    await new Promise<void>((resolve) => {
      this.wakeUp = resolve;
      this.sleepAt(until);
    });
  }

  private sleepAt(until: number): void {
    this.sleepTimer?.cancel();
    this.sleepUntil = until;
    this.sleepTimer = this.o.clock.setTimer(until - this.o.clock.now(), () => this.endSleep());
  }

  /**
   * Announces work due at `at` (a launch with a start time, a retry a request scheduled): the loop
   * wakes then rather than at its next poll, without asking the store again. Work due now wakes it now.
   */
  dueAt(at: number): void {
    if (at <= this.o.clock.now()) return this.wake();
    this.noticed = Math.min(this.noticed, at);
    if (this.wakeUp && at < this.sleepUntil) this.sleepAt(at);
  }

  private async refreshConfig(): Promise<void> {
    try {
      const changed = await this.o.registry.refresh();
      for (const id of changed) await this.applyPolicyChange(id, 'system');
    } catch (err) {
      this.o.logger.warn({ err }, 'configuration refresh failed');
    }
  }

  private async claim(limit: number): Promise<ActionRecord[]> {
    const now = this.o.clock.now();
    return this.o.store.claimDue({ now, owner: this.o.nodeId, leaseUntil: now + this.leaseMs(), limit });
  }

  // ---- claimed actions ------------------------------------------------------------------------

  /**
   * Starts the work of a claimed batch: timeouts at once; sends once their connector's limits admit
   * them (permits taken per connector for the whole batch, in one round trip); the rest throttled.
   */
  private async dispatch(claimed: ActionRecord[]): Promise<Array<Promise<void>>> {
    const now = this.o.clock.now();
    const work: Array<Promise<void>> = [];
    await this.health.refresh();
    const limited = new Map<string, { connector: ConnectorEntry; items: Array<{ a: ActionRecord; type: ActionTypeEntry }> }>();
    for (const a of claimed) {
      const type = this.o.registry.cachedActionType(a.actionTypeId) ?? (await this.o.registry.actionType(a.actionTypeId));
      const policy = type.compiled.policy;
      if (isTimedOut(a, policy, now)) {
        work.push(this.commit(a, { type: 'timed_out' }, policy).then(() => undefined));
        continue;
      }
      if (a.phase === 'awaiting_callback') {
        // Due for a heartbeat deadline that has since moved: just reschedule.
        const next: ActionRecord = { ...a, dueAt: computeDueAt(a, policy, now), version: a.version + 1 };
        work.push(
          this.enqueue({ action: next, expectedVersion: a.version, timeline: [], effects: [] }, { type: 'heartbeat' }).then(
            () => undefined,
          ),
        );
        continue;
      }
      const connector =
        this.o.registry.cachedConnector(type.compiled.spec.connectorId) ??
        (await this.o.registry.connector(type.compiled.spec.connectorId));
      if (
        connector.spec.rateLimits.length === 0 &&
        connector.spec.maxConcurrency === null &&
        this.health.admission(connector.id, now).kind === 'send'
      ) {
        work.push(this.send(a, type, connector, false));
        continue;
      }
      let group = limited.get(connector.id);
      if (!group) limited.set(connector.id, (group = { connector, items: [] }));
      group.items.push({ a, type });
    }
    for (const { connector, items } of limited.values()) work.push(...(await this.admit(connector, items, now)));
    return work;
  }

  /** Applies a connector's concurrency slots, then its rate limits; holds what does not fit. */
  private async admit(
    connector: ConnectorEntry,
    items: Array<{ a: ActionRecord; type: ActionTypeEntry }>,
    now: number,
  ): Promise<Array<Promise<void>>> {
    const store = this.o.store;
    const spec = connector.spec;
    let admitted = items;
    const held: Array<{ item: (typeof items)[number]; until: number; why: string }> = [];
    const gate = this.health.admission(connector.id, now);
    if (gate.kind === 'hold') {
      for (const i of items) held.push({ item: i, until: gate.until, why: gate.why });
      admitted = [];
    } else if (gate.kind === 'probe') {
      // An open circuit lets one attempt through to see whether the system is back.
      const won = await this.health.claimProbe(connector.id, now, now + this.leaseMs());
      admitted = won ? items.slice(0, 1) : [];
      for (const i of won ? items.slice(1) : items) held.push({ item: i, until: now + 1000, why: 'circuit open; a probe is in flight' });
    }
    if (spec.maxConcurrency !== null && admitted.length > 0) {
      const want = admitted;
      const got = new Set(
        await store.acquireConcurrency({
          connectorId: connector.id,
          max: spec.maxConcurrency,
          actionIds: want.map((i) => i.a.id),
          now,
          until: now + this.leaseMs(),
        }),
      );
      admitted = want.filter((i) => got.has(i.a.id));
      // A slot frees when an attempt ends; look again shortly rather than at the lease's end.
      for (const i of want)
        if (!got.has(i.a.id))
          held.push({
            item: i,
            until: now + 50 + Math.floor(Math.random() * 50),
            why: `${spec.maxConcurrency} attempts already in flight (maxConcurrency)`,
          });
    }
    let sendBy: number | undefined;
    if (spec.rateLimits.length > 0 && admitted.length > 0) {
      // Permits belong to the current windows: take them at the current time, and send before the
      // first of those windows ends (less a guard for the trip to the other side), or not at all.
      const at = this.o.clock.now();
      const windowEnd = Math.min(...spec.rateLimits.map((l) => Math.floor(at / l.perMs) * l.perMs + l.perMs));
      const guard = Math.min(RATE_GUARD_MS, Math.floor(Math.min(...spec.rateLimits.map((l) => l.perMs)) / 10));
      const why = `rate limit ${spec.rateLimits.map((l) => `${l.limit} per ${l.perMs} ms`).join(' and ')}`;
      let granted = 0;
      let retryAt: number | null = windowEnd;
      if (at < windowEnd - guard) {
        const g = await store.acquireRatePermits({ connectorId: connector.id, limits: spec.rateLimits, now: at, want: admitted.length });
        granted = g.granted;
        retryAt = g.retryAt;
      }
      const over = admitted.slice(granted);
      admitted = admitted.slice(0, granted);
      sendBy = windowEnd - guard;
      for (const i of over) held.push({ item: i, until: retryAt ?? windowEnd, why });
      if (spec.maxConcurrency !== null && over.length > 0)
        await store.releaseConcurrency(
          connector.id,
          over.map((i) => i.a.id),
        );
    }
    return [
      ...admitted.map((i) => this.send(i.a, i.type, connector, spec.maxConcurrency !== null, sendBy)),
      ...held.map((h) =>
        this.commit(h.item.a, { type: 'throttled', until: h.until, why: h.why }, h.item.type.compiled.policy).then(() => undefined),
      ),
    ];
  }

  private leaseMs(): number {
    return this.o.registry.maxAttemptTimeoutMs() + this.o.leaseMarginMs;
  }

  private async send(
    a: ActionRecord,
    type: ActionTypeEntry,
    connector: ConnectorEntry,
    holdsSlot: boolean,
    sendBy?: number,
  ): Promise<void> {
    let event: ActionEvent;
    this.attempting++;
    try {
      event = await this.attempt(a, type, connector, sendBy);
    } finally {
      this.attempting--;
      this.freeRoom();
      if (holdsSlot) {
        await this.o.store
          .releaseConcurrency(connector.id, [a.id])
          .catch((err) => this.o.logger.warn({ err }, 'releasing a concurrency slot failed; it frees at its lease end'));
        this.wake();
      }
    }
    if (event.type === 'send_failed') this.health.record(connector, false, event.message);
    else if (event.type === 'send_answered')
      this.health.record(connector, event.status < 500, event.status >= 500 ? `HTTP ${event.status}` : undefined);
    await this.commit(a, event, type.compiled.policy);
  }

  /**
   * Makes one attempt and says what happened, in the lifecycle's words. The callback token goes to
   * the external system only: what is recorded (request, answer, errors) shows `[callback token]`.
   */
  private async attempt(a: ActionRecord, type: ActionTypeEntry, connector: ConnectorEntry, sendBy?: number): Promise<ActionEvent> {
    const ts = type.compiled.templates.systemTokens;
    const withToken = ts.includes('$callbackUrl') || ts.includes('$callbackToken');
    const event = await this.attemptWith(a, type, connector, withToken, sendBy);
    return withToken ? redactToken(event, this.callbackToken(a.id)) : event;
  }

  private async attemptWith(
    a: ActionRecord,
    type: ActionTypeEntry,
    connector: ConnectorEntry,
    withToken: boolean,
    sendBy?: number,
  ): Promise<ActionEvent> {
    let req: OutboundRequest;
    try {
      req = buildRequest(type, connector, a.input, this.systemValues(a, withToken));
    } catch (err) {
      if (err instanceof RenderError) return { type: 'send_refused', cause: 'invalid_input', message: `${err.field}: ${err.reason}` };
      if (err instanceof DestinationRefusedError) return { type: 'send_refused', cause: 'destination_refused', message: err.message };
      throw err;
    }
    if (sendBy !== undefined) req.stillAllowed = () => this.o.clock.now() <= sendBy;
    const result = await this.o.sender.send(connector, req);
    const record = attemptRecord(a.attempts + 1, req, result);
    switch (result.kind) {
      case 'refused':
        return { type: 'send_refused', cause: 'destination_refused', message: result.message };
      case 'too_late': {
        // The rate-limit window of its permit ended before the request could start: next window.
        const now = this.o.clock.now();
        const next = Math.max(...connector.spec.rateLimits.map((l) => Math.floor(now / l.perMs) * l.perMs + l.perMs));
        return { type: 'throttled', until: Math.min(next, now + 1000), why: result.message };
      }
      case 'credentials_refused': {
        // Waiting for a person to fix the credentials must not burn retries (SPEC section 3).
        const now = this.o.clock.now();
        await this.health.setAttention(connector.id, result.message, now);
        return { type: 'throttled', until: now + 30_000, why: `the connector needs attention: ${result.message}` };
      }
      case 'connection_error':
      case 'timeout':
        return { type: 'send_failed', kind: result.kind, message: result.message, attempt: record };
      case 'too_large': {
        // A 2xx answer cannot be mapped from a cut body: a person decides. Otherwise the status decides.
        const ok = result.status >= 200 && result.status < 300;
        return ok
          ? { type: 'send_answered', status: result.status, attempt: record, unusable: result.message }
          : { type: 'send_answered', status: result.status, attempt: record, bodyExcerpt: result.body.slice(0, 300) };
      }
      case 'answered': {
        const ok = result.status >= 200 && result.status < 300;
        const mapped = ok ? await this.evaluateResponse(type, a, result) : {};
        return {
          type: 'send_answered',
          status: result.status,
          attempt: record,
          ...(result.headers['retry-after'] !== undefined
            ? { retryAfterMs: parseRetryAfter(result.headers['retry-after'], this.o.clock.now()) }
            : {}),
          ...(ok ? {} : { bodyExcerpt: result.body.slice(0, 300) }),
          ...mapped,
        };
      }
    }
  }

  private async evaluateResponse(
    type: ActionTypeEntry,
    a: ActionRecord,
    result: Extract<SendResult, { kind: 'answered' }>,
  ): Promise<{ evaluation?: Evaluation; externalReference?: string }> {
    const m = type.compiled.mapping;
    let body: unknown = null;
    if (result.body.length > 0) {
      try {
        body = JSON.parse(result.body);
      } catch {
        body = result.body;
      }
    }
    const ctx = { status: result.status, headers: result.headers, input: a.input };
    try {
      const out: { evaluation?: Evaluation; externalReference?: string } = {};
      if (m.externalReference) {
        const ref = await evaluate(m.externalReference, body, ctx);
        if (ref !== undefined && ref !== null) out.externalReference = String(ref);
        if ((out.externalReference?.length ?? 0) > MAX_REFERENCE_CHARS)
          throw new Error(`response.externalReference gave a reference longer than ${MAX_REFERENCE_CHARS} characters`);
      }
      if (type.compiled.policy.completion.mode === 'callback') return out;
      const success = m.successWhen ? Boolean(await evaluate(m.successWhen, body, ctx)) : true;
      const output = m.output ? await evaluate(m.output, body, ctx) : body;
      // Without an output mapping the body itself is kept: the same limits as a mapped result.
      const tooBig = m.output ? undefined : jsonProblem(output, { maxDepth: MAX_JSON_DEPTH, maxBytes: MAX_OUTPUT_BYTES });
      if (tooBig) throw new Error(`the response body, kept as the output (there is no response.output), ${tooBig}`);
      const evaluation: Evaluation = { success, output: output === undefined ? null : output };
      if (!success) {
        const reason = m.rejectedReason ? await evaluate(m.rejectedReason, body, ctx) : undefined;
        evaluation.rejectedReason =
          reason !== undefined && reason !== null
            ? String(reason)
            : `The response did not meet the success condition ${type.compiled.spec.response.successWhen}`;
      }
      out.evaluation = evaluation;
      return out;
    } catch (err) {
      return { evaluation: { success: false, rejectedReason: `Response mapping failed: ${(err as Error).message}` } };
    }
  }

  /** The values of the system tokens; the callback token (an HMAC) only when the templates use it. */
  systemValues(
    a: ActionRecord,
    withToken = true,
  ): {
    callbackUrl: string;
    callbackToken: string;
    actionId: string;
    caseId: string | null;
    idempotencyKey: string;
  } {
    const token = withToken ? this.callbackToken(a.id) : '';
    return {
      callbackUrl: `${this.o.publicUrl}/v1/callbacks/${token}`,
      callbackToken: token,
      actionId: a.id,
      caseId: a.caseId,
      idempotencyKey: a.id,
    };
  }

  /** `<action id>.<MAC>`: unguessable without the secret key, checked without a look-up table. */
  callbackToken(actionId: string): string {
    return `${actionId}.${this.o.box.mac(`callback:${actionId}`)}`;
  }

  /** The action a callback token belongs to, or undefined when the token is not genuine. */
  actionIdOfToken(token: string): string | undefined {
    const dot = token.indexOf('.');
    if (dot <= 0) return undefined;
    const id = token.slice(0, dot);
    return this.o.box.macMatches(`callback:${id}`, token.slice(dot + 1)) ? id : undefined;
  }

  // ---- writing outcomes ----------------------------------------------------------------------

  private async commit(a: ActionRecord, event: ActionEvent, policy: ActionPolicy): Promise<ActionRecord | undefined> {
    const t = transition(a, event, { policy, now: this.o.clock.now(), rand: Math.random() });
    if (!t.ok) {
      this.o.logger.warn({ actionId: a.id, event: event.type, reason: t.message }, 'engine event refused by the lifecycle');
      return undefined;
    }
    return this.enqueue({ action: t.action, expectedVersion: a.version, timeline: t.timeline, effects: t.effects }, event);
  }

  /** Queues a write for the next batch (group commit). */
  private enqueue(write: ActionWrite, event: ActionEvent, onConflict: 'reapply' | 'report' = 'reapply'): Promise<ActionRecord | undefined> {
    return new Promise((resolve, reject) => {
      this.writeQueue.push({ write, event, onConflict, resolve, reject });
      if (this.writeQueue.length >= this.o.batchSize) void this.flush();
      else if (onConflict === 'report')
        setImmediate(() => void this.flush()); // a request waits: no delay
      else if (!this.flushScheduled) {
        // The engine's own outcomes wait a moment for company: fewer, larger commits (one fsync each).
        this.flushScheduled = true;
        setTimeout(() => void this.flush(), WRITE_COALESCE_MS);
      }
    });
  }

  /**
   * Group commit: writers drain the queue; writes that arrive while a batch commits wait for the
   * next one, so a busy engine makes few large transactions rather than many small ones. PostgreSQL
   * gets two writers, so one batch fills while the other commits (four or eight measured no faster
   * in bench A, and made smaller batches); SQLite's writes are synchronous, so one is all it can use.
   */
  private flush(): Promise<void> {
    this.flushScheduled = false;
    const maxWriters = this.o.store.kind === 'postgres' ? 2 : 1;
    while (this.writers.size < maxWriters && this.writeQueue.length > 0) {
      const w = (async () => {
        while (this.writeQueue.length > 0) await this.writeBatch(this.writeQueue.splice(0, MAX_WRITE_BATCH));
      })().finally(() => this.writers.delete(w));
      this.writers.add(w);
    }
    return Promise.all(this.writers).then(() => undefined);
  }

  private async writeBatch(batch: PendingWrite[]): Promise<void> {
    await this.health.flush(this.o.clock.now());
    const failed = await this.writeGroup(batch);
    if (failed.length === 0) return;
    // The store is unreachable, or these writes cannot be stored: the engine's own work is taken
    // up again when its lease expires; a request learns that its write failed.
    this.o.logger.error(
      { err: failed[0]!.err, count: failed.length, of: batch.length },
      'writing outcomes failed; the actions will be taken up again when their leases expire',
    );
    this.emit('failure', failed[0]!.err);
    for (const { b, err } of failed)
      if (b.onConflict === 'report') b.reject(err);
      else b.resolve(undefined);
  }

  /**
   * Commits writes together; when the commit fails, each is written alone, so one write the store
   * cannot take (a value it cannot serialise, a constraint) never fails the others in its commit.
   * Returns the writes that failed on their own, still pending.
   */
  private async writeGroup(batch: PendingWrite[]): Promise<Array<{ b: PendingWrite; err: unknown }>> {
    let results: boolean[];
    try {
      results = await this.o.store.writeActions(batch.map((b) => b.write));
    } catch (err) {
      if (batch.length === 1) return [{ b: batch[0]!, err }];
      this.o.logger.warn({ err, count: batch.length }, 'a group commit failed; writing its actions one at a time');
      const failed: Array<{ b: PendingWrite; err: unknown }> = [];
      for (const b of batch) failed.push(...(await this.writeGroup([b])));
      return failed;
    }
    for (let i = 0; i < batch.length; i++) {
      const b = batch[i]!;
      if (results[i]) {
        this.emit('action', b.write.action, b.write.effects);
        b.resolve(b.write.action);
      } else if (b.onConflict === 'report') {
        b.resolve(undefined);
      } else {
        // Someone else wrote first (a callback, a user): apply the same event to what is there now.
        b.resolve(await this.reapply(b.write.action.id, b.event).catch(() => undefined));
      }
    }
    return [];
  }

  private async reapply(id: string, event: ActionEvent): Promise<ActionRecord | undefined> {
    if (event.type === 'heartbeat') return undefined; // a reschedule that lost its race needs nothing
    for (let i = 0; i < 10; i++) {
      const cur = await this.o.store.getAction(id);
      if (!cur) return undefined;
      const type = await this.o.registry.actionType(cur.actionTypeId);
      const t = transition(cur, event, { policy: type.compiled.policy, now: this.o.clock.now(), rand: Math.random() });
      if (!t.ok || !t.changed) return cur;
      const [ok] = await this.o.store.writeActions([
        { action: t.action, expectedVersion: cur.version, timeline: t.timeline, effects: t.effects },
      ]);
      if (ok) {
        this.emit('action', t.action, t.effects);
        return t.action;
      }
    }
    return undefined;
  }

  // ---- changes from people and external systems -------------------------------------------

  /** Applies one event to an action now, guarded against concurrent writers; refusals become errors. */
  async apply(id: string, event: ActionEvent, known?: ActionRecord): Promise<ActionRecord> {
    for (let i = 0; i < 20; i++) {
      const cur = i === 0 && known ? known : await this.o.store.getAction(id);
      if (!cur) throw new NotFoundError('Action', id);
      const type = await this.o.registry.actionType(cur.actionTypeId);
      const now = this.o.clock.now();
      const t = transition(cur, event, { policy: type.compiled.policy, now, rand: Math.random() });
      if (!t.ok) throw t.code === 'CONFLICT' ? new ConflictError(t.message) : new InvalidStateError(t.message);
      if (!t.changed) return cur;
      // Through the group commit: many concurrent callbacks share one transaction.
      const written = await this.enqueue(
        { action: t.action, expectedVersion: cur.version, timeline: t.timeline, effects: t.effects },
        event,
        'report',
      );
      if (written) {
        if (written.dueAt !== null) this.dueAt(written.dueAt);
        return written;
      }
    }
    throw new ConflictError('The action kept changing while this request was applied; try again');
  }

  /** A retry policy changed: close the open actions that already used up a lowered limit. */
  async applyPolicyChange(actionTypeId: string, actor: 'system' | `user:${string}`): Promise<number> {
    let closed = 0;
    for (const a of await this.o.store.listRetryScheduled(actionTypeId)) {
      const r = await this.apply(a.id, { type: 'policy_changed', actor }).catch(() => undefined);
      if (r?.state === 'closed') closed++;
    }
    return closed;
  }
}

function attemptRecord(
  n: number,
  req: { method: string; url: URL; headers: Record<string, string>; body: string | undefined },
  result: SendResult,
): Record<string, unknown> {
  const base = {
    attempt: n,
    request: { method: req.method, url: req.url.toString(), headers: req.headers, body: excerpt(req.body) },
    durationMs: result.durationMs,
  };
  if (result.kind === 'answered' || result.kind === 'too_large')
    return { ...base, response: { status: result.status, body: excerpt(result.body) } };
  return { ...base, error: { kind: result.kind, message: result.message } };
}

/** Tokens are only for the external system they were made for: every string recorded shows a placeholder. */
export const TOKEN_PLACEHOLDER = '[callback token]';

function redactToken<T>(value: T, token: string): T {
  if (typeof value === 'string') return value.split(token).join(TOKEN_PLACEHOLDER) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactToken(v, token)) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redactToken(k, token), redactToken(v, token)])) as T;
  return value;
}
