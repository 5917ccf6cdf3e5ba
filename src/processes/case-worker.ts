// The case worker: moves cases through their processes from the case outbox. Every change of a
// case's action is recorded in the transaction of the action's write (store/effects.ts), so the case
// moves on even when the node dies right after that write: some node's worker claims the event
// (one per case at a time, in order), runs the process runner and writes the case guarded by its
// version, with the actions of the steps it starts (under deterministic launch keys) and the event's
// deletion in the same transaction: a write that loses to a PATCH or a close launches nothing. A task
// it creates on a queue integrated with a provider is submitted from a follow-up event of that write.

import { RepeatedFailure } from '../repeated-failure.ts';
import type { WebhookOutbox } from '../webhooks/outbox.ts';
import type { CaseNotice, CaseOutboxRow, CaseRow, NewAction, Store } from '../store/types.ts';
import type { WebhookEventRow } from '../webhooks/rows.ts';
import type { Engine } from '../engine/engine.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { ActionRecord } from '../lifecycle/action.ts';
import { assertNever } from '../lifecycle/states.ts';
import { type CaseEffect, type CaseEvent, type CaseRun, type RunResult, advance } from './runner.ts';
import type { CaseLauncher, StepLaunch } from './case-launcher.ts';
import { CalloutError, ConflictError, InvalidStateError, NotFoundError, STORED_ATTEMPTS, raceApart } from '../errors.ts';
import { processNameOf } from './names.ts';
import { type NewCaseHistoryEntry, historyOfEvent } from './case-history.ts';
import { caseStop, isNewStop, stopNotice } from './case-stop.ts';

export interface CaseWorkerOptions {
  store: Store;
  engine: Engine;
  launcher: CaseLauncher;
  clock: Clock;
  logger: Logger;
  /** How often to look for events nobody announced (another node's, after a restart). @default 1000 */
  pollIntervalMs?: number;
  /** How long a claimed event is this node's; a node that dies holding one frees it then. @default 30000 */
  leaseMs?: number;
}

const BATCH = 50;
/** Tries of one claim of an event whose case keeps changing under it (each loss: someone else wrote the case). */
const TRIES = 10;
/** The first wait after a claim lost every try, doubled after each further such claim up to the most. */
const LOST_RACE_BACKOFF_MS = 100;
const LOST_RACE_BACKOFF_MAX_MS = 1000;
/** Events remembered with their lost claims; beyond this many the oldest is forgotten (another node applied it). */
const LOST_RACE_REMEMBERED = 10_000;

/** An event as this node claimed it, with the lease the claim took. */
type Claimed = CaseOutboxRow & { leaseUntil: number };

/** Every try of one claim lost to another write of the case: the event is given back, not held. */
class CaseKeptChanging extends Error {}

export class CaseWorker {
  /** case.closed and case.stopped to webhook subscribers; set by the composition root. */
  webhookEvents: Pick<WebhookOutbox, 'forCase'> | null = null;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private running = false;
  /** The events this node applies now, by seq. */
  private readonly applying = new Set<number>();
  private timer: TimerHandle | null = null;
  private draining: Promise<void> | null = null;
  private again = false;
  private readonly onAction = (a: ActionRecord): void => {
    if (a.caseId !== null) this.wake();
  };

  private readonly claimFailure: RepeatedFailure;
  /** Events whose claims lost every try, by seq: how many claims in a row did. */
  private readonly lostRaces = new Map<number, number>();
  /** Wakes after an event given back becomes claimable again. */
  private readonly retryTimers = new Set<TimerHandle>();

  constructor(private readonly o: CaseWorkerOptions) {
    this.claimFailure = new RepeatedFailure(o.logger, 'the case worker could not claim case events; it tries again at its next poll');
    this.pollMs = o.pollIntervalMs ?? 1000;
    this.leaseMs = o.leaseMs ?? 30_000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.o.engine.on('action', this.onAction);
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.o.engine.off('action', this.onAction);
    this.timer?.cancel();
    this.timer = null;
    for (const t of this.retryTimers) t.cancel();
    this.retryTimers.clear();
    await this.draining;
  }

  /** Applies what is waiting now rather than at the next poll. */
  wake(): void {
    if (this.running) this.schedule(0);
  }

  private schedule(ms: number): void {
    this.timer?.cancel();
    this.timer = this.o.clock.setTimer(ms, () => {
      void this.drain().finally(() => {
        if (this.running) this.schedule(this.pollMs);
      });
    });
  }

  /** Applies every claimable event (of one case, when given) until none is left; one drain at a time per case filter. */
  async drain(caseId?: string): Promise<void> {
    if (caseId === undefined) {
      if (this.draining) {
        this.again = true;
        return this.draining;
      }
      this.draining = this.drainAll().finally(() => (this.draining = null));
      return this.draining;
    }
    await this.applyClaimed(caseId);
  }

  private async drainAll(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.applyAllClaimable();
        this.claimFailure.succeeded();
      } catch (err) {
        this.claimFailure.failed(err);
      }
    } while (this.again && this.running);
  }

  /**
   * Claims and applies events until none is left, up to BATCH at once, claiming more as each ends. A
   * claim holds one event per case, so the events applied side by side are of different cases: one
   * process whose expressions are slow (a regex that backtracks until its time limit) no longer holds
   * every other case of the node behind it, one event after another (twenty such cases kept a case of
   * another process waiting 22 s to move on).
   */
  private async applyAllClaimable(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    try {
      for (;;) {
        // Stopped: nothing more is claimed; the applies in flight end (stop() waits for them).
        const wanted = this.running ? BATCH - inFlight.size : 0;
        const rows = wanted > 0 ? await this.claim(wanted) : [];
        for (const row of rows) {
          const p: Promise<void> = this.applyLogged(row).finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
        if (inFlight.size === 0) return;
        // Fewer than asked for: none other is claimable until one of these ends (its case's next event may then be).
        if (rows.length < wanted || wanted === 0) await Promise.race(inFlight);
      }
    } finally {
      await Promise.all(inFlight);
    }
  }

  private async claim(limit: number, caseId?: string): Promise<Claimed[]> {
    const now = this.o.clock.now();
    const leaseUntil = now + this.leaseMs;
    const rows = await this.o.store.claimCaseEvents({ now, leaseUntil, limit, ...(caseId !== undefined ? { caseId } : {}) });
    return rows.map((r) => ({ ...r, leaseUntil }));
  }

  /** Claims a batch (of one case) and applies it in order. */
  private async applyClaimed(caseId: string): Promise<number> {
    const rows = await this.claim(BATCH, caseId);
    for (const row of rows) await this.applyLogged(row);
    return rows.length;
  }

  /**
   * An event that fails stays claimed until its lease ends, then is tried again. One whose case kept
   * changing under every try (clients PATCHing it in a loop) is given back at once instead, claimable
   * again after a backoff that grows with each such claim: it moves on soon after the changes stop, and
   * the worker does not claim it over and over while they go on. One this node is still applying (a
   * slow provider's submission past the lease) is claimed again only to be left alone: a second apply
   * beside the first would submit its task twice.
   */
  private async applyLogged(row: Claimed): Promise<void> {
    if (this.applying.has(row.seq)) return;
    this.applying.add(row.seq);
    try {
      await this.apply(row);
      this.lostRaces.delete(row.seq);
    } catch (err) {
      if (err instanceof CaseKeptChanging) await this.giveBack(row);
      else
        this.o.logger.error(
          { err, caseId: row.caseId, seq: row.seq },
          'applying a case event failed; it is tried again when its lease ends',
        );
    } finally {
      this.applying.delete(row.seq);
    }
  }

  private async apply(row: CaseOutboxRow): Promise<void> {
    for (let i = 0; i < TRIES; i++) {
      // Spread, so the next read does not meet the same burst of writes again at once.
      if (i > 0) await raceApart(i - 1);
      const c = await this.o.store.getCase(row.caseId);
      if (!c?.definition || !c.steps) return this.o.store.deleteCaseEvent(row.seq);
      const written = await this.applyTo(c, row.event, row.seq);
      if (written === true) return;
    }
    throw new CaseKeptChanging(`case ${row.caseId} kept changing while event ${row.seq} was applied`);
  }

  /**
   * Cuts the event's lease short to the backoff and wakes the worker then. Only this claim's lease is
   * cut (releaseCaseEvent): once it has ended another node may hold the event, and it stays theirs.
   */
  private async giveBack(row: Claimed): Promise<void> {
    const lost = (this.lostRaces.get(row.seq) ?? 0) + 1;
    this.lostRaces.delete(row.seq);
    this.lostRaces.set(row.seq, lost);
    if (this.lostRaces.size > LOST_RACE_REMEMBERED) this.lostRaces.delete(this.lostRaces.keys().next().value!);
    const most = Math.min(LOST_RACE_BACKOFF_MAX_MS, LOST_RACE_BACKOFF_MS * 2 ** Math.min(lost - 1, 10));
    // Jittered, so two nodes' workers (or events of one case's storm) do not come back together.
    const wait = Math.round(most / 2 + (Math.random() * most) / 2);
    let released = false;
    try {
      released = await this.o.store.releaseCaseEvent(row.seq, row.leaseUntil, this.o.clock.now() + wait);
    } catch (err) {
      this.o.logger.warn(
        { err, caseId: row.caseId, seq: row.seq },
        'a case event could not be given back; it is tried again when its lease ends',
      );
      return;
    }
    this.o.logger.debug(
      { caseId: row.caseId, seq: row.seq, lost, wait, released },
      'the case kept changing; its event is tried again soon',
    );
    if (!released || !this.running) return;
    const t = this.o.clock.setTimer(wait, () => {
      this.retryTimers.delete(t);
      this.wake();
    });
    this.retryTimers.add(t);
  }

  /**
   * Applies a person's command (an operator's retry of a step) to the case now, as an event from the
   * outbox is applied: in one write guarded by the case's version, with the actions it starts. A command
   * the runner refuses is thrown (NotFoundError, InvalidStateError) and changes nothing, as is a skip the
   * store refuses (its step's action retried meanwhile: CaseWrite.skippedAction).
   */
  async command(caseId: string, event: CaseEvent): Promise<void> {
    for (let i = 0; i < STORED_ATTEMPTS * 2; i++) {
      const c = await this.o.store.getCase(caseId);
      if (!c) throw new NotFoundError('Case', caseId);
      if (!c.definition || !c.steps) throw new CalloutError('NOT_FOUND', `Case ${JSON.stringify(caseId)} runs no process: it has no steps`);
      const written = await this.applyTo(c, event, undefined);
      if (written === true) return;
      if (written !== false) {
        const message = written.message.charAt(0).toUpperCase() + written.message.slice(1);
        throw written.code === 'NOT_FOUND' ? new CalloutError('NOT_FOUND', message) : new InvalidStateError(message);
      }
      // Spread so racers (a retry beside the worker's own write) do not meet again at once.
      await raceApart(i);
    }
    throw new ConflictError('The case kept changing while this request was applied; try again');
  }

  /**
   * One try: false when the case's version moved under us (read it again and apply anew). `seq`: the
   * outbox row the event is, deleted with the write; undefined for a command, whose refusal is returned.
   */
  private async applyTo(c: CaseRow, first: CaseEvent, seq: number | undefined): Promise<boolean | Extract<RunResult, { ok: false }>> {
    const def = c.definition!;
    const ctx = await this.o.launcher.context(def);
    let run: CaseRun = { status: c.status ?? 'open', data: c.data, escalated: c.escalated ?? false, steps: c.steps! };
    const events: CaseEvent[] = [first];
    const dataPatch: Record<string, unknown> = {};
    const launches: NewAction[] = [];
    const followUps: CaseEvent[] = [];
    const history: NewCaseHistoryEntry[] = [];
    let changed = false;
    let closedNow = false;
    /** Steps whose action escalated in this write: its owner is told of that already. */
    const escalatedSteps = new Set<string>();
    const now = this.o.clock.now();
    // A task this worker's write created: submitted to its provider before its follow-up goes.
    if (first.type === 'action_queued') await this.o.launcher.submit(first.actionId);
    for (let n = 0; n < events.length; n++) {
      const event = withStep(events[n]!, run);
      if (event === undefined) continue; // an action of the case that is no step's (launched by hand)
      const before = run;
      if (event.type === 'action_changed' && event.escalated) escalatedSteps.add(event.step);
      const r = await advance(def, run, event, ctx);
      if (!r.ok && n === 0 && seq === undefined) return r;
      if (!r.ok) {
        // An event that no longer belongs (a replay after the case moved on): nothing to do.
        this.o.logger.debug({ caseId: c.id, event: event.type, reason: r.message }, 'case event refused by the runner');
        continue;
      }
      run = r.run;
      changed ||= r.changed;
      // What the event did to the case, in words of its history: written with the change it records.
      history.push(...historyOfEvent(before, r.run, event, now));
      // A step an operator retried launches under a key of that retry (stepLaunchKey), not its first run's.
      const retries = (step: string): number => r.run.steps.find((s) => s.name === step)?.retried?.count ?? 0;
      for (const eff of r.effects) {
        const more = await this.perform(c.id, c.queue ?? null, eff, now, dataPatch, launches, followUps, retries);
        if (eff.type === 'close_case') closedNow = true;
        events.push(...more);
      }
    }
    if (!changed) {
      if (seq !== undefined) await this.o.store.deleteCaseEvent(seq);
      return true;
    }
    // case.closed in the write that closes the case: a failure or a crash just after it loses nothing.
    const closedEvents =
      closedNow && this.webhookEvents
        ? this.webhookEvents.forCase('closed', {
            id: c.id,
            process: await processNameOf(this.o.store, c),
            status: 'closed',
            owner: c.owner,
          })
        : undefined;
    // A skip of a step with an action is written only while that action has not changed since (retried).
    const skippedAction = first.type === 'step_skipped' ? c.steps!.find((s) => s.name === first.step)?.actionId : null;
    const stopped = await this.stopped(c, run, now, escalatedSteps);
    let written: boolean;
    try {
      written = await this.o.store.updateCase({
        id: c.id,
        expectedVersion: c.version ?? 1,
        at: now,
        status: run.status,
        escalated: run.escalated,
        steps: run.steps,
        ...(closedNow ? { closedAt: now } : {}),
        ...(Object.keys(dataPatch).length > 0 ? { dataPatch } : {}),
        ...(seq !== undefined ? { appliedEvent: seq } : {}),
        ...(launches.length > 0 ? { launches } : {}),
        ...(followUps.length > 0 ? { followUps } : {}),
        ...(history.length > 0 ? { history } : {}),
        ...(first.type === 'step_skipped' && skippedAction ? { skippedAction: { step: first.step, actionId: skippedAction } } : {}),
        stoppedAt: stopped.at,
        ...(closedEvents || stopped.events ? { events: [...(closedEvents ?? []), ...(stopped.events ?? [])] } : {}),
        ...(stopped.notice ? { notices: [stopped.notice] } : {}),
      });
    } catch (err) {
      // A step's launch key taken: another node applied this event first; read again, and its action is the step's.
      if (err instanceof ConflictError) return false;
      throw err;
    }
    if (written) this.o.launcher.launched(launches);
    if (written && followUps.length > 0) this.wake();
    return written;
  }

  /**
   * The case's stop after this write (case-stop.ts): when it began, and, in the write that stops it,
   * its owner's notification (unless the step's action escalated to them in it) and case.stopped.
   * Once per stop: a write that leaves it stopped where it was tells no one again.
   */
  private async stopped(
    c: CaseRow,
    run: CaseRun,
    now: number,
    escalatedSteps: ReadonlySet<string>,
  ): Promise<{ at: number | null; notice?: CaseNotice; events?: WebhookEventRow[] }> {
    const stop = caseStop(run.status, run.steps, c.definition!.steps);
    if (!isNewStop(caseStop(c.status, c.steps, c.definition!.steps), stop)) return { at: stop ? (c.stoppedAt ?? now) : null };
    const notice = c.owner !== null && !escalatedSteps.has(stop.step) ? stopNotice(c.owner, stop, now) : undefined;
    const summary = { id: c.id, process: await processNameOf(this.o.store, c), status: 'open' as const, owner: c.owner };
    const events = this.webhookEvents?.forCase('stopped', summary, stop);
    return { at: now, ...(notice ? { notice } : {}), ...(events ? { events } : {}) };
  }

  /**
   * Carries out one effect, or plans it for the case's write (a step's action, in `launches`); returns
   * the events it causes at once (the action queued for the step).
   */
  private async perform(
    caseId: string,
    caseQueue: string | null,
    eff: CaseEffect,
    now: number,
    dataPatch: Record<string, unknown>,
    launches: NewAction[],
    followUps: CaseEvent[],
    retries: (step: string) => number,
  ): Promise<CaseEvent[]> {
    const l = this.o.launcher;
    const planned = (s: StepLaunch, step: string, more: CaseEvent[]): CaseEvent[] => {
      const queued: CaseEvent = { type: 'action_queued', step, actionId: s.actionId };
      if (s.insert) launches.push(s.insert);
      // Heard again from the outbox after the write, which then submits the task (applyTo).
      if (s.insert && l.submits(s.insert)) followUps.push(queued);
      return [queued, ...more];
    };
    switch (eff.type) {
      case 'launch_action': {
        const s = await l.launch(caseId, eff.step, eff.actionType, eff.input, now, caseQueue, retries(eff.step));
        return planned(s, eff.step, s.events);
      }
      case 'launch_invalid_input': {
        const s = await l.invalidInput(caseId, eff.step, eff.actionType, eff.input, eff.errors, now, caseQueue, retries(eff.step));
        return planned(s, eff.step, []);
      }
      case 'create_task': {
        // A step that names no queue puts its task on the case's own (read with the case this write is guarded by).
        const s = await l.task(caseId, eff.step, eff.queue ?? caseQueue, eff.title, now, eff.dueMs ?? null, retries(eff.step));
        return planned(s, eff.step, []);
      }
      case 'merge_case_data':
        // Defined, not assigned: a "__proto__" key the step yielded (and merged into the run's data) is written too.
        for (const [k, v] of Object.entries(eff.data))
          Object.defineProperty(dataPatch, k, { value: v, enumerable: true, writable: true, configurable: true });
        return [];
      case 'mark_escalated':
      case 'close_case':
        // Written with the case's run (escalated, status) below.
        return [];
      default:
        return assertNever(eff);
    }
  }
}

/** Events from the outbox name the action; the step is the one whose action it is. */
function withStep(e: CaseEvent, run: CaseRun): CaseEvent | undefined {
  if (e.type !== 'action_changed' || e.step !== '') return e;
  const step = run.steps.find((s) => s.actionId === e.actionId);
  return step ? { ...e, step: step.name } : undefined;
}
