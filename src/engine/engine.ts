// The engine loop: claim due actions in batches, send them, apply outcomes through the lifecycle and
// write them back in batches. No in-memory timer per action: the store's due index is the timer.
// Beside it: admission.ts (limits), attempt.ts (one send), group-commit.ts (writes), callback-tokens.ts
// (tokens) and alarm.ts (the loop's sleep).

import { RepeatedFailure } from '../repeated-failure.ts';
import { EventEmitter } from 'node:events';
import type { ActionPolicy, ActionRecord } from '../lifecycle/action.ts';
import type { Phase } from '../lifecycle/states.ts';
import { isTimedOut, transition, type ActionEvent, type Effect } from '../lifecycle/transition.ts';
import { applyNow, type HeldClaim } from './apply.ts';
import { OneAtATime } from './one-at-a-time.ts';
import { MANUAL_POLICY } from '../lifecycle/manual.ts';
import type { Store } from '../store/types.ts';
import type { Clock } from '../clock.ts';
import type { Registry, ActionTypeEntry, ConnectorEntry } from './registry.ts';
import type { Sender } from './sender.ts';
import type { SecretBox } from '../crypto/secrets.ts';
import type { Logger } from '../logger.ts';
import { ConnectorHealth } from './connector-health.ts';
import { ConnectorStats, STATS_FLUSH_MS } from './connector-stats.ts';
import { AdmissionControl, SLOT_RECHECK_MS, type Claimed } from './admission.ts';
import { makeAttempt, type AttemptDeps } from './attempt.ts';
import { CallbackTokens, type SystemValues } from './callback-tokens.ts';
import { GroupCommit, transitionWrite, type OnConflict } from './group-commit.ts';
import { MAX_KEPT, MAX_KEPT_BY_ID, SlotWaiters, keptForLimit } from './slot-waiters.ts';
import { Bulkhead, SLOW_ATTEMPT_MS, SLOW_HOLD_MARK } from './bulkhead.ts';
import { Alarm } from './alarm.ts';
import { EarlyClaims, type EarlyClaim } from './early-claims.ts';
import { LatenessWindow } from './lateness.ts';
import { NodeHeartbeat } from './nodes.ts';
import type { WebhookEventSource } from '../webhooks/outbox.ts';

/** What an external system (or a note) does to an action: none of it stops or alters a send, so none waits for claims in flight. */
const EXTERNAL_EVENTS: ReadonlySet<ActionEvent['type']> = new Set(['callback', 'acknowledged', 'heartbeat', 'message']);

/** The longest claim lead: a hold far shorter than any lease (a lease is a connector timeout plus its margin). */
export const MAX_CLAIM_LEAD_MS = 1000;

export interface EngineOptions {
  store: Store;
  registry: Registry;
  sender: Sender;
  clock: Clock;
  box: SecretBox;
  logger: Logger;
  /** Names this node in logs; its leases carry it with a random part per life (see nodes.ts). */
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
  /** A node without a heartbeat this long is dead and its work is taken over (a dead process on this host at once). @default 10 s */
  takeoverAfterMs?: number;
  /**
   * Actions due within this are claimed ahead and sent when their time comes (early-claims.ts): a
   * stream of timers is claimed in batches, and sent without waiting for a claim's round trip.
   * An action claimed ahead shows phase `sending` for at most this long before its due time. @default 50
   */
  claimLeadMs?: number;
}

export interface EngineEvents {
  /** An action was written: its new record and what the transition asked for. */
  action: [action: ActionRecord, effects: Effect[]];
  /** Something went wrong that the engine recovers from by itself (already logged). */
  failure: [error: unknown];
}

/** Attempts a node has in flight at most, unless told (EngineOptions.maxInFlight). */
export const MAX_IN_FLIGHT_DEFAULT = 1024;

export class Engine extends EventEmitter<EngineEvents> {
  private readonly o: Required<Omit<EngineOptions, 'store' | 'registry' | 'sender' | 'clock' | 'box' | 'logger'>> & EngineOptions;
  readonly health: ConnectorHealth;
  /** Each connector's attempts per minute, counted here and added to the store every few seconds. */
  readonly stats: ConnectorStats;
  private statsTimer: NodeJS.Timeout | null = null;
  /** How late due actions are claimed on this node (the dashboard's timer lateness). */
  readonly lateness = new LatenessWindow();
  private readonly tokens: CallbackTokens;
  private readonly admission: AdmissionControl;
  private readonly attemptDeps: AttemptDeps;
  private readonly writes: GroupCommit;
  private readonly alarm: Alarm;
  private readonly early: EarlyClaims;
  /** Actions held for a concurrency slot or a slow system's share, woken one per attempt end. */
  private readonly slotWaiters = new SlotWaiters();
  /** People's and external systems' changes to one action, applied in turn (apply). */
  private readonly changes = new OneAtATime();
  /** Each connector's attempts in flight here: a slow system keeps at most its share of them. */
  private readonly bulkhead: Bulkhead;
  /** Places slow systems held beyond their share when last looked at (see watchSlowSystems). */
  private overShare = 0;
  private slowTimer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  /** Claimed actions whose attempt has not ended (their outcome may still be waiting to be written). */
  private attempting = 0;
  /** Actions claimed ahead whose time came, on their way to an attempt (dispatch is async): room they hold. */
  private starting = 0;
  /** The last claim was full: more is probably due, or due within the lead. */
  private hadMore = false;
  /** The last claim was full of work due now: a backlog waits (what `saturated` reports). */
  private behind = false;
  /** Actions claimed ahead of room to send them, sent as attempts end. */
  private ready: ActionRecord[] = [];
  /**
   * What those in `ready` were before their claim, due time and phase: one a person changes first is
   * given back (see apply). Those held claimed ahead have their lateness counted when they start;
   * those claimed due had it counted at their claim (`counted`).
   */
  private readonly readyClaims = new Map<string, EarlyClaim & { counted?: true }>();
  /** The claim made ahead while attempts are in flight, if one is under way. */
  private claimingAhead: Promise<void> | null = null;
  /** Claims written to the store and not yet held here (claim); a person's change waits for those begun before it. */
  private readonly claimsInFlight = new Set<Promise<unknown>>();
  private roomFreed: (() => void) | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private readonly node: NodeHeartbeat;
  private nodeStarted: Promise<void> | null = null;
  /** Turns launches and transitions into webhook outbox rows, written with them; set by the composition root. */
  webhookEvents: WebhookEventSource | null = null;

  private readonly loopFailure: RepeatedFailure;
  private readonly refreshFailure: RepeatedFailure;

  constructor(opts: EngineOptions) {
    super();
    this.o = {
      batchSize: 256,
      maxInFlight: MAX_IN_FLIGHT_DEFAULT,
      leaseMarginMs: 15_000,
      pollIntervalMs: 1000,
      refreshIntervalMs: 5000,
      takeoverAfterMs: 10_000,
      claimLeadMs: 50,
      ...opts,
    };
    const lead = this.o.claimLeadMs;
    if (!Number.isFinite(lead) || lead < 0 || lead > MAX_CLAIM_LEAD_MS)
      throw new RangeError(`engine.claimLeadMs must be between 0 and ${MAX_CLAIM_LEAD_MS} ms, not ${lead}`);
    const { store, registry, clock, logger } = opts;
    this.loopFailure = new RepeatedFailure(logger, 'engine loop error; retrying', 'error', () => clock.now());
    this.refreshFailure = new RepeatedFailure(logger, 'configuration refresh failed', 'warn', () => clock.now());
    this.health = new ConnectorHealth(store, logger);
    this.stats = new ConnectorStats(store, logger);
    this.tokens = new CallbackTokens(opts.box, opts.publicUrl);
    this.admission = new AdmissionControl(
      store,
      this.health,
      clock,
      () => this.leaseMs(),
      (id) => registry.actionTypeIdsOf(id),
    );
    this.attemptDeps = { sender: opts.sender, clock, health: this.health, stats: this.stats, tokens: this.tokens };
    this.writes = new GroupCommit({
      store,
      registry,
      clock,
      logger,
      health: this.health,
      batchSize: this.o.batchSize,
      onWritten: (action, effects) => this.emit('action', action, effects),
      onDue: (at) => this.dueAt(at),
      onFailure: (err) => this.emit('failure', err),
      eventsFor: (before, after, effects) => this.webhookEvents?.forTransition(before, after, effects),
    });
    this.bulkhead = new Bulkhead(this.o.maxInFlight);
    this.alarm = new Alarm(clock, this.o.claimLeadMs);
    this.early = new EarlyClaims(clock, (due) => this.sendEarly(due));
    this.node = new NodeHeartbeat({
      store,
      clock,
      logger,
      name: opts.nodeId,
      takeoverAfterMs: this.o.takeoverAfterMs,
      onTakenBack: () => this.wake(),
    });
  }

  /** This node's id in the store: the lease owner of its claims (one per life of the process). */
  get instanceId(): string {
    return this.node.self.id;
  }

  // ---- running -------------------------------------------------------------------------------

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
    this.refreshTimer = setInterval(() => void this.refreshConfig(), this.o.refreshIntervalMs);
    this.refreshTimer.unref();
    this.slowTimer = setInterval(() => this.watchSlowSystems(), SLOW_ATTEMPT_MS / 4);
    this.slowTimer.unref();
    this.statsTimer = setInterval(() => void this.stats.flush(this.o.clock.now()), STATS_FLUSH_MS);
    this.statsTimer.unref();
  }

  /**
   * A system turns slow while the node waits for room its attempts hold: the places they hold beyond
   * its share stop counting (bulkhead.ts), and the loop is told, as an attempt's end would tell it.
   */
  private watchSlowSystems(): void {
    const over = this.bulkhead.overShare();
    if (over > this.overShare) this.freeRoom();
    this.overShare = over;
  }

  /** Places for attempts free now: maxInFlight, less those in flight or on their way, beyond slow systems' share. */
  private room(): number {
    return this.o.maxInFlight + this.bulkhead.overShare() - this.attempting - this.starting;
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    if (this.slowTimer) clearInterval(this.slowTimer);
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.wake();
    await this.loopDone;
    // Claims made ahead are this node's: sent like the rest rather than left to wait for takeover
    // (those claimed before their due time within the lead: when it comes, at most a lead away),
    // as many at once as there is room for.
    await this.claimingAhead;
    // Those held claimed ahead come due within a lead: sent when they do. Should that not happen in a
    // lead's real time (an injected clock that does not move), the rest are given back as they were
    // before the claim, for whichever node runs next, rather than waiting here or for their lease.
    const held = this.early.whenEmpty();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([held, new Promise<void>((r) => (timer = setTimeout(r, this.o.claimLeadMs + 50)))]);
    clearTimeout(timer);
    for (const c of this.early.takeAll()) this.release(c);
    while (this.ready.length > 0) {
      const room = this.room();
      if (room <= 0) await new Promise<void>((resolve) => (this.roomFreed = resolve));
      else for (const p of await this.dispatch(this.takeReady(room))) this.track(p);
    }
    await this.drain();
    // What this node counted since the last flush, before the store may close.
    await this.stats.flush(this.o.clock.now(), false);
    if (this.nodeStarted) await this.nodeStarted.then(() => this.node.stop());
    this.nodeStarted = null;
  }

  /**
   * Whether this node's engine has more due work than it takes at once: its last claim came back
   * full (a backlog waits) or its window of attempts is full. Work beside the engine (webhook
   * delivery) yields to it then, and catches up when it is not.
   */
  get saturated(): boolean {
    return this.running && (this.behind || this.room() <= 0);
  }

  /** Each connector with attempts in flight on this node: how many, and whether its system is slow (bulkhead.ts). */
  connectorLoad(): Array<{ connectorId: string; inFlight: number; slow: boolean }> {
    return this.bulkhead.load();
  }

  /**
   * Whether this node holds the action for its slow system's place (bulkhead.ts): the system is slow
   * with the slow systems' half taken, or this node keeps the action to wake when one of its connector's
   * attempts ends (a connector without maxConcurrency: the only kind it keeps then). With how many of
   * its attempts are in flight here, and the half; undefined otherwise.
   */
  heldForSlowSystem(
    connectorId: string,
    actionId: string,
    limited: boolean,
  ): { slowNow: boolean; inFlight: number; share: number } | undefined {
    const slowNow = this.bulkhead.full(connectorId, 0);
    if (!slowNow && (limited || !this.slotWaiters.holdsForShare(connectorId, actionId))) return undefined;
    return { slowNow, inFlight: this.bulkhead.inFlight(connectorId), share: this.bulkhead.share };
  }

  /** Announces work due now (a launch, a manual retry), so the loop does not wait for its poll. */
  wake(): void {
    this.alarm.wake();
  }

  /**
   * Announces work due at `at` (a launch with a start time, a retry a request scheduled): the loop
   * wakes then rather than at its next poll, without asking the store again. Work due now wakes it now.
   */
  dueAt(at: number): void {
    this.alarm.dueAt(at);
  }

  /** Runs everything due now to the end of its attempt and waits for the writes: for tests and tools. */
  async tick(): Promise<number> {
    let total = 0;
    for (;;) {
      const { due: claimed } = await this.claim(this.o.batchSize, 0);
      if (claimed.length === 0) break;
      total += claimed.length;
      await Promise.all(await this.dispatch(claimed));
      await this.writes.flush();
    }
    await this.drain();
    return total;
  }

  private async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    await this.writes.flush();
  }

  private async loop(): Promise<void> {
    // Recorded before the first claim, which then finds what a previous life of this node held.
    this.nodeStarted = this.node.start();
    await this.nodeStarted;
    // Other nodes' launches, callbacks and due times arrive as notifications when the store has them.
    const unlisten = await this.o.store
      .listen?.((at) => (at === undefined ? this.wake() : this.dueAt(at)))
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
        // outcome waits for the next group commit. Outcomes waiting to be written are bounded too:
        // by maxInFlight, or three times it when claims run ahead (a store whose commits are round
        // trips: its batches grow while one commits, rather than the senders stopping).
        const waiting = this.o.store.capabilities.claimAhead ? 3 * this.o.maxInFlight : this.o.maxInFlight;
        const room = Math.min(this.room(), this.o.maxInFlight + waiting - this.inFlight.size);
        if (this.ready.length > 0 || this.claimingAhead) {
          // Claimed ahead: sent in chunks as attempts end, and the next claim starts meanwhile.
          const chunk = Math.min(this.ready.length, Math.max(1, this.o.maxInFlight >> 3));
          if (this.ready.length === 0 || room < chunk) {
            await new Promise<void>((resolve) => (this.roomFreed = resolve));
            continue;
          }
          for (const p of await this.dispatch(this.takeReady(room))) this.track(p);
          this.claimAhead();
          await new Promise((r) => setImmediate(r));
          continue;
        }
        // Claim in chunks: one claim per finished attempt would be a transaction per action. As many
        // held ahead as a claim lead may hold: nothing more is claimed until some are sent.
        if (
          this.early.size >= this.maxEarly ||
          room <= 0 ||
          (room < Math.min(this.o.batchSize, this.o.maxInFlight / 2) && this.inFlight.size > 0 && this.hadMore)
        ) {
          await new Promise<void>((resolve) => (this.roomFreed = resolve));
          continue;
        }
        this.alarm.reset();
        const limit = Math.min(room, this.o.batchSize);
        const claimedAt = this.o.clock.now();
        const { due: claimed, count } = await this.claim(limit);
        // A full claim means more is probably due: worth waiting for room to claim a full chunk.
        this.hadMore = count === limit;
        this.behind = claimed.length === limit;
        if (!this.hadMore) this.alarm.claimedAhead(claimedAt);
        for (const p of await this.dispatch(claimed)) this.track(p);
        this.claimAhead();
        if (claimed.length > 0 || this.hadMore) {
          // Give in-flight sends a turn of the event loop before claiming again.
          await new Promise((r) => setImmediate(r));
          continue;
        }
        this.loopFailure.succeeded();
        if (!this.alarm.woken) await this.sleepUntilDue();
      } catch (err) {
        this.loopFailure.failed(err);
        this.emit('failure', err);
        await new Promise((r) => setTimeout(r, this.o.pollIntervalMs));
      }
    }
  }

  /**
   * While more is due, claims the next batch while this one is being sent, so a claim's round trip
   * never leaves the senders idle (a store that asks for it: PostgreSQL). At most one claim ahead, of
   * at most one batch; its actions are leased like any claim's, and sent as attempts end (bench A on
   * PostgreSQL: claims of 254 rows instead of 67, ≈1.5× the rate on a noisy machine).
   */
  private claimAhead(): void {
    if (!this.o.store.capabilities.claimAhead) return;
    // Started while half a claim's worth still waits, not once it is gone: the claim's round trip (behind
    // a busy writer, on PostgreSQL or the SQLite thread) then overlaps the sends instead of leaving
    // attempt places empty (bench A on PostgreSQL, in-process, alternated against waiting for none, at 64
    // and at 128: faster in 9 of 11 pairs, median about +5 %). Half, not more: what waits for room
    // holds its lease, and a slow system frees room slowly.
    if (
      !this.hadMore ||
      !this.running ||
      this.claimingAhead ||
      this.ready.length > this.claimAheadBelow ||
      this.early.size >= this.maxEarly
    )
      return;
    const limit = this.o.batchSize;
    this.claimingAhead = this.claim(limit, this.o.claimLeadMs, this.readyClaims)
      .then(
        ({ due, count }) => {
          this.ready.push(...due);
          this.hadMore = count === limit;
          this.behind = due.length === limit;
        },
        (err: unknown) => {
          this.o.logger.error({ err }, 'claiming ahead failed; claiming again when there is room');
          this.emit('failure', err);
        },
      )
      .finally(() => {
        this.claimingAhead = null;
        this.freeRoom();
      });
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
    // Announcements from here on may be missed by the query below: the alarm keeps them.
    this.alarm.watch();
    const next = await this.o.store.nextDueAt();
    if (this.alarm.woken || !this.running) return;
    await this.alarm.sleep(next, this.o.clock.now() + this.o.pollIntervalMs);
  }

  private async refreshConfig(): Promise<void> {
    try {
      const changed = await this.o.registry.refresh();
      for (const c of changed) await this.applyPolicyChange(c.id, 'system', c.previousMaxRetries);
      this.refreshFailure.succeeded();
    } catch (err) {
      this.refreshFailure.failed(err);
    }
  }

  /**
   * Claims what is due now and, with a lead, what comes due within it: the first are returned to be
   * sent now, the others held (early-claims.ts) until their time. `count` is everything claimed.
   */
  private async claim(
    limit: number,
    leadMs = this.o.claimLeadMs,
    /** Where to keep what the due ones were before the claim, when they are to wait for room. */
    waiting?: Map<string, EarlyClaim & { counted?: true }>,
  ): Promise<{ due: ActionRecord[]; count: number }> {
    const now = this.o.clock.now();
    const dues: number[] = [];
    const phases: Array<Phase | null> = [];
    // Until what it claims ahead is held below, a person's change would find the row 'sending' and no
    // held copy to take back, and take it for an attempt on its way: the copy would then be sent.
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    this.claimsInFlight.add(settled);
    try {
      const claimed = await this.o.store.claimDue({
        now,
        dueBy: now + leadMs,
        owner: this.node.self.id,
        leaseUntil: now + this.leaseMs(),
        limit,
        dueTimes: (d, i, phase) => ((dues[i] = d), (phases[i] = phase)),
      });
      // What came due while the claim was on its way is due now.
      const after = this.o.clock.now();
      const due: ActionRecord[] = [];
      const early: EarlyClaim[] = [];
      claimed.forEach((action, i) => {
        // A due time the store did not tell (it always does) is taken as the latest it can be: never sent early.
        const at = dues[i] ?? now + leadMs;
        if (at > after) early.push({ action, due: at, phase: phases[i] ?? null });
        else {
          this.lateness.record(after - at, after);
          due.push(action);
          waiting?.set(action.id, { action, due: at, phase: phases[i] ?? null, counted: true });
        }
      });
      this.early.add(early);
      return { due, count: claimed.length };
    } finally {
      this.claimsInFlight.delete(settled);
      settle();
    }
  }

  /** A claim ahead starts once no more than this many claimed actions wait for room. */
  private get claimAheadBelow(): number {
    return Math.min(this.o.batchSize, this.o.maxInFlight) >> 1;
  }

  /**
   * Most actions held claimed ahead. They hold no attempt's place until their time comes (a lead's
   * worth of a busy stream is more than maxInFlight), but memory: a burst due at one instant waits.
   */
  private get maxEarly(): number {
    return Math.max(this.o.batchSize, 2 * this.o.maxInFlight);
  }

  /** Up to `n` of the actions waiting for room, their lateness counted now for those held claimed ahead. */
  private takeReady(n: number): ActionRecord[] {
    const taken = this.ready.splice(0, n);
    if (this.readyClaims.size > 0) {
      const now = this.o.clock.now();
      for (const a of taken) {
        const claim = this.readyClaims.get(a.id);
        if (claim === undefined) continue;
        this.readyClaims.delete(a.id);
        if (!claim.counted) this.lateness.record(now - claim.due, now);
      }
    }
    return taken;
  }

  /**
   * Actions claimed ahead whose due time has come: sent like any claim's, as many as there is room
   * for attempts; the rest join those claimed ahead of room (`ready`), sent as attempts end.
   */
  private sendEarly(claims: EarlyClaim[]): void {
    const now = this.o.clock.now();
    const room = Math.max(0, this.room());
    for (const c of claims.slice(0, room)) this.lateness.record(now - c.due, now);
    const actions = claims.map((c) => c.action);
    const later = actions.splice(room);
    if (later.length > 0) {
      for (const c of claims.slice(room)) this.readyClaims.set(c.action.id, c);
      this.ready.push(...later);
      this.wake();
    }
    if (actions.length > 0) {
      this.starting += actions.length;
      this.track(
        this.dispatch(actions)
          .finally(() => (this.starting -= actions.length))
          .then((work) => {
            for (const p of work) this.track(p);
          }),
      );
    }
    this.freeRoom();
  }

  private leaseMs(): number {
    return this.o.registry.maxAttemptTimeoutMs() + this.o.leaseMarginMs;
  }

  // ---- claimed actions ------------------------------------------------------------------------

  /**
   * Starts the work of a claimed batch: timeouts and moved deadlines at once; sends once their
   * connector's limits admit them (see admission.ts); the rest throttled.
   */
  private async dispatch(claimed: ActionRecord[]): Promise<Array<Promise<void>>> {
    const work: Array<Promise<void>> = [];
    try {
      await this.startWork(claimed, work);
    } catch (err) {
      // A later step failed (the store did not answer an admission): what already started goes on,
      // tracked like the rest. Dropped with the batch, a failure of it was a rejection nobody handled.
      for (const p of work) this.track(p);
      throw err;
    }
    return work;
  }

  /** dispatch()'s work: each action's promise added to `work` as it starts. */
  private async startWork(claimed: ActionRecord[], work: Array<Promise<void>>): Promise<void> {
    const now = this.o.clock.now();
    await this.health.refresh();
    const limited = new Map<string, { connector: ConnectorEntry; items: Claimed[] }>();
    let leaseTooShort = 0;
    const attemptMs = this.o.registry.maxAttemptTimeoutMs();
    /** Attempts of slow systems this batch lets through, for their half of the node (bulkhead.ts). */
    let slowPassing = 0;
    for (const a of claimed) {
      if (a.actionTypeId === null) {
        // A manual task is never due; should one be claimed, it goes back to its person unsent.
        work.push(this.commit(a, { type: 'send_refused', cause: 'invalid_input', message: 'A manual task is not sent' }, MANUAL_POLICY));
        continue;
      }
      const type = this.o.registry.cachedActionType(a.actionTypeId) ?? (await this.o.registry.actionType(a.actionTypeId));
      const policy = type.compiled.policy;
      if (isTimedOut(a, policy, now)) {
        work.push(this.commit(a, { type: 'timed_out' }, policy));
        continue;
      }
      if (a.phase === 'awaiting_callback') {
        // Due for a deadline that has since moved (a raised timeout): only its due time changes.
        work.push(this.commit(a, { type: 'due_rescheduled' }, policy));
        continue;
      }
      // The attempt must end within the claim's lease (the due time a claim sets), or another node
      // could claim and send it too: one that waited for room that long comes back when the lease ends.
      if (a.dueAt !== null && a.dueAt - now < attemptMs) {
        leaseTooShort++;
        continue;
      }
      const connector =
        this.o.registry.cachedConnector(type.compiled.spec.connectorId) ??
        (await this.o.registry.connector(type.compiled.spec.connectorId));
      const slow = this.bulkhead.slow(connector.id);
      if (slow && this.bulkhead.full(connector.id, slowPassing)) {
        work.push(this.holdForShare(a, type, connector, now));
        continue;
      }
      if (this.admission.unlimited(connector, now)) {
        // Counted by the bulkhead as it starts (send() tells it before its first await).
        work.push(this.send(a, type, connector, false));
        continue;
      }
      // Not started until its connector's limits admit it: counted meanwhile.
      if (slow) slowPassing++;
      let group = limited.get(connector.id);
      if (!group) limited.set(connector.id, (group = { connector, items: [] }));
      group.items.push({ a, type });
    }
    for (const { connector, items } of limited.values()) {
      const { send, held, holdsSlot, sendBy } = await this.admission.admit(connector, items, now);
      for (const i of send) work.push(this.send(i.a, i.type, connector, holdsSlot, sendBy));
      for (const h of held) {
        const policy = h.item.type.compiled.policy;
        const hold = this.written(h.item.a, { type: 'throttled', until: h.until, why: h.why }, policy);
        const limit = connector.spec.maxConcurrency;
        work.push(
          hold.then((a) => (h.forSlot && limit !== null ? this.slotWaiters.add(connector.id, keptForLimit(limit), a, policy) : undefined)),
        );
      }
    }
    if (leaseTooShort > 0)
      this.o.logger.warn(
        { count: leaseTooShort },
        'claimed actions waited for room until their lease was too short for an attempt; they are sent when it ends',
      );
  }

  /**
   * Holds an action of a slow system that has its share of this node's attempts (bulkhead.ts): woken
   * when one of them ends here, else looked at again when a place should have freed.
   */
  private async holdForShare(a: ActionRecord, type: ActionTypeEntry, connector: ConnectorEntry, now: number): Promise<void> {
    const policy = type.compiled.policy;
    const why =
      `connector ${connector.spec.name} is slow (${this.bulkhead.inFlight(connector.id)} attempts in flight on this node, ` +
      `several of them for over ${SLOW_ATTEMPT_MS / 1000} s): ${SLOW_HOLD_MARK} ${this.bulkhead.share} of a node's ${this.o.maxInFlight} attempts`;
    const until = this.bulkhead.holdUntil(connector.id, now, SLOT_RECHECK_MS);
    // Noted each time (held once or twice per action): the view tells this hold by its note.
    const held = await this.written(a, { type: 'throttled', until, why, noted: true }, policy);
    // All this node holds for it (MAX_KEPT whole, up to MAX_KEPT_BY_ID in all): a system that recovers
    // drains them at the pace of its attempts' ends, not at the spread of their due times.
    this.slotWaiters.add(connector.id, MAX_KEPT, held, policy, MAX_KEPT_BY_ID, true);
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
    this.bulkhead.started(connector.id, a.id);
    try {
      event = await makeAttempt(this.attemptDeps, a, type, connector, sendBy);
    } finally {
      this.attempting--;
      this.bulkhead.ended(connector.id, a.id);
      this.freeRoom();
      if (holdsSlot) {
        await this.o.store
          .releaseConcurrency(connector.id, [a.id])
          .catch((err) => this.o.logger.warn({ err }, 'releasing a concurrency slot failed; it frees at its lease end'));
        this.wakeSlotWaiter(connector.id);
        this.wake();
      } else {
        // Held for a slow system's place: one per end while it is slow, a few once it is not, so a
        // system that recovers drains what this node holds for it rather than one action at a time.
        this.wakeSlotWaiter(connector.id, this.bulkhead.slow(connector.id) ? 1 : 4);
      }
    }
    if (event.type === 'send_failed') this.health.record(connector, false, event.message);
    else if (event.type === 'send_answered')
      this.health.record(connector, event.status < 500, event.status >= 500 ? `HTTP ${event.status}` : undefined);
    await this.commit(a, event, type.compiled.policy);
  }

  /** Applies the engine's own event to a claimed action and queues the write; a refusal is logged. */
  private async commit(a: ActionRecord, event: ActionEvent, policy: ActionPolicy): Promise<void> {
    await this.written(a, event, policy);
  }

  /** commit(), resolving to the record written (undefined when refused, or not written). */
  private async written(
    a: ActionRecord,
    event: ActionEvent,
    policy: ActionPolicy,
    onConflict: OnConflict = 'reapply',
  ): Promise<ActionRecord | undefined> {
    const t = transition(a, event, { policy, now: this.o.clock.now(), rand: Math.random() });
    if (!t.ok) {
      this.o.logger.warn({ actionId: a.id, event: event.type, reason: t.message }, 'engine event refused by the lifecycle');
      return undefined;
    }
    const events = this.webhookEvents?.forTransition(a, t.action, t.effects);
    return this.writes.enqueue(transitionWrite(a, t, events), event, onConflict);
  }

  /**
   * An attempt holding a slot of this connector ended: the action held longest for one is due now.
   * Guarded by the version of its hold: taken or changed since (another node's claim, a person), the
   * write conflicts and is dropped, and nothing else is woken; the recheck finds the slot then.
   */
  private wakeSlotWaiter(connectorId: string, count = 1): void {
    for (let i = 0; i < count && this.running; i++) {
      const w = this.slotWaiters.next(connectorId);
      if (!w) return;
      const event: ActionEvent = { type: 'throttled', until: this.o.clock.now(), why: 'an attempt of its connector ended' };
      // One kept by id is read again: woken only as its hold left it (claimed since, it has moved on).
      const held = w.action
        ? Promise.resolve(w.action)
        : this.o.store.getAction(w.id).then((a) => (a?.version === w.version && a.phase === 'throttled' ? a : undefined));
      this.track(
        held
          .then((a) => (a ? this.written(a, event, w.policy, 'report') : undefined))
          .then(
            () => undefined,
            () => undefined,
          ),
      );
    }
  }

  // ---- callback tokens -----------------------------------------------------------------------

  /** The values of the system tokens; the callback token (an HMAC) only when the templates use it. */
  systemValues(a: ActionRecord, withToken = true): SystemValues {
    return this.tokens.systemValues(a, withToken);
  }

  /** `<action id>.<MAC>`: unguessable without the secret key, checked without a look-up table. */
  callbackToken(actionId: string): string {
    return this.tokens.make(actionId);
  }

  /** The action a callback token belongs to, or undefined when the token is not genuine. */
  actionIdOfToken(token: string): string | undefined {
    return this.tokens.actionIdOf(token);
  }

  // ---- changes from people and external systems -------------------------------------------

  /** People's changes of tasks on integrated queues, done there with their launch (src/integrated-queues); set by the composition root. */
  integrations: {
    intercept(id: string, event: ActionEvent): Promise<ActionRecord | undefined>;
    taskCreated(task: ActionRecord): Promise<void>;
    submitPending(actionId: string): Promise<void>;
  } | null = null;

  /** Applies one event to an action now, guarded against concurrent writers; refusals become errors. */
  /**
   * `repeatOf`: asked in the action's turn before anything is applied; a record it answers is returned
   * as the result, nothing applied (a request repeated with its Idempotency-Key while the first is
   * still being applied finds the first's entry, not the state it left).
   */
  async apply(
    id: string,
    event: ActionEvent,
    known?: ActionRecord,
    repeatOf?: () => Promise<ActionRecord | undefined>,
  ): Promise<ActionRecord> {
    // One change at a time per action on this node, a task's on an integrated queue too (its notes
    // are the provider's updates): many at once would otherwise each lose the guarded write to the
    // others, round after round, until some gave up with a 409; in turn, each loses at most to
    // another node's. Nothing applied here waits on another change of the same action.
    return this.changes.run(id, async () => (repeatOf && (await repeatOf())) || this.applyInTurn(id, event, known, repeatOf));
  }

  /**
   * `fn`, a change of action `id` made outside apply (a provider's answer on an integrated queue), in
   * turn with the other changes of that action on this node. It must not itself apply to `id`.
   */
  inTurn<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.changes.run(id, fn);
  }

  private async applyInTurn(
    id: string,
    event: ActionEvent,
    known?: ActionRecord,
    repeatOf?: () => Promise<ActionRecord | undefined>,
  ): Promise<ActionRecord> {
    // A change that would stop or alter a send waits for the claims already on their way to be held
    // (milliseconds), so it finds and takes back a copy claimed ahead. An external system's callbacks
    // do not stop a send, and do not wait.
    if (this.claimsInFlight.size > 0 && !EXTERNAL_EVENTS.has(event.type)) await Promise.all([...this.claimsInFlight]);
    const integrated = this.integrations ? await this.integrations.intercept(id, event) : undefined;
    if (integrated) return integrated;
    const deps = {
      store: this.o.store,
      registry: this.o.registry,
      clock: this.o.clock,
      writes: this.writes,
      webhookEvents: this.webhookEvents,
    };
    // Held claimed ahead and not sent yet: the person's change applies to the action as it was before
    // the claim, in the same write that gives the claim back; the held copy is not sent. Otherwise a
    // pause, a completion or a retry in the lead's last milliseconds would be overtaken by the send.
    // Asked of every record applyNow reads: a change read before the claim and written after it
    // conflicts, and finds the claim when it reads again.
    let taken: EarlyClaim | undefined;
    const claim: HeldClaim = {
      releaseFor: (cur) => {
        const claimed = cur.state === 'waiting' && cur.phase === 'sending';
        if (claimed) taken ??= this.takeHeld(id);
        // Still this claim (its lease), whatever else another node wrote meanwhile (a note, a pause
        // taken for one in flight); a copy of a claim that is not the row's any more is dropped.
        if (taken && (!claimed || taken.action.dueAt !== cur.dueAt)) taken = undefined;
        return taken ? { type: 'claim_released', phase: taken.phase, dueAt: taken.due } : undefined;
      },
      keep: (cur) => {
        // Refused, or nothing to change: the claim stands, as read; sent when its time comes.
        if (taken) this.holdAgain({ ...taken, action: cur });
        taken = undefined;
      },
    };
    // A write that fails leaves the copy dropped: given back or not (an outcome unknown), the row is
    // sent once, by its next claim or at its lease end, never beside a copy held here.
    return applyNow(deps, id, event, known, claim, repeatOf);
  }

  /**
   * Takes an action claimed to be sent and not sent yet (held ahead of its due time, or waiting for
   * room among the attempts), out of the engine's hands. One held for its callback deadline stays: the lifecycle refuses
   * its timeout if the person's change moved the deadline.
   */
  private takeHeld(id: string): EarlyClaim | undefined {
    const held = this.early.take(id, (c) => c.action.phase === 'sending');
    if (held) return held;
    const waiting = this.readyClaims.get(id);
    if (!waiting || waiting.action.phase !== 'sending') return undefined;
    this.readyClaims.delete(id);
    const i = this.ready.indexOf(waiting.action);
    if (i >= 0) this.ready.splice(i, 1); // (always: an entry leaves both together)
    return waiting;
  }

  /** Puts back an action taken by takeHeld: sent when its time comes (at once, if it has); given back when stopping. */
  private holdAgain(held: EarlyClaim): void {
    if (this.running) this.early.add([held]);
    else this.release(held);
  }

  /**
   * Gives back an action claimed ahead and not sent: its phase and due time as before the claim, its
   * lease cleared. Guarded by the claim's version: changed since, it is left as it is.
   */
  private release(held: EarlyClaim): void {
    const event: ActionEvent = { type: 'claim_released', phase: held.phase, dueAt: held.due };
    const a = held.action;
    const policy = (a.actionTypeId !== null && this.o.registry.cachedActionType(a.actionTypeId)?.compiled.policy) || MANUAL_POLICY;
    const t = transition(a, event, { policy, now: this.o.clock.now(), rand: Math.random() });
    if (!t.ok) return;
    this.track(this.writes.enqueue(transitionWrite(a, t, undefined), event, 'report').then(() => undefined));
  }

  /**
   * A retry policy changed: close the open actions that already used up a lowered limit. One action
   * that cannot be closed now (it keeps changing, the store fails) is logged and reported as a
   * failure, and the rest are still done; the policy holds for it anyway at its next answer.
   */
  async applyPolicyChange(actionTypeId: string, actor: 'system' | `user:${string}`, previousMaxRetries?: number): Promise<number> {
    let closed = 0;
    // Retries this node holds claimed (ahead of their due time, or waiting for room) are `sending` in
    // the store; apply() gives each back as the scheduled or held retry it was, and the change applies to that.
    const held = (c: EarlyClaim): boolean =>
      (c.phase === 'retry_scheduled' || (c.phase === 'throttled' && c.action.attempts > 0)) && c.action.actionTypeId === actionTypeId;
    const ids = [
      ...this.early.ids(held),
      ...[...this.readyClaims.values()].filter(held).map((c) => c.action.id),
      ...(await this.o.store.listRetryScheduled(actionTypeId)).map((a) => a.id),
    ];
    for (const id of new Set(ids)) {
      try {
        const event = { type: 'policy_changed' as const, actor, ...(previousMaxRetries !== undefined ? { previousMaxRetries } : {}) };
        if ((await this.apply(id, event)).state === 'closed') closed++;
      } catch (err) {
        this.o.logger.warn({ err, actionId: id, actionTypeId }, 'applying a lowered retry limit to an action failed');
        this.emit('failure', err);
      }
    }
    return closed;
  }
}
