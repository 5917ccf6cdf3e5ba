// The scheduler loop: a timer to the next due schedule and a poll (schedules written on other nodes).
// A tick is claimed by inserting (schedule, tick) under a unique key in the transaction that advances
// `next_run_at`, so one node claims each tick; the launch carries the key `schedule:<id>@<tick>`, so a
// tick whose node died between the claim and the launch is launched by another node later, once.

import type { Clock, TimerHandle } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { CalloutError } from '../errors.ts';
import { RepeatedFailure } from '../repeated-failure.ts';
import type { ScheduleRow, ScheduleTick, TickPlan } from '../store/bulk-schedule-types.ts';
import type { Store } from '../store/types.ts';
import type { CaseLauncher, Launcher } from '../bulk-launches/ports.ts';
import { dueTick, nextRunAt, tickId } from './schedule.ts';

export type SchedulerStore = Pick<Store, 'claimScheduleTicks' | 'listOpenTicks' | 'recordTick' | 'nextScheduleAt' | 'getSchedule'>;

export interface SchedulerOptions {
  store: SchedulerStore;
  clock: Clock;
  launcher: Pick<Launcher, 'launch'>;
  cases: CaseLauncher;
  logger: Logger;
  nodeId: string;
  /** Longest wait between two looks at the store. @default 5000 */
  pollIntervalMs?: number;
  /** A claimed tick still without its launch after this long is launched by whichever node sees it. @default 15000 */
  staleTickMs?: number;
}

/** What a claim does with a due schedule: launch the latest tick due (missed ones collapse into it), run next after now. */
export function planTick(s: ScheduleRow, now: number): TickPlan {
  const spec = { cron: s.cron, timezone: s.timezone };
  // next_run_at is the earliest tick not yet claimed: look from just before it.
  const tickAt = s.nextRunAt === null ? null : dueTick(spec, s.nextRunAt - 1, now);
  return { tickAt, nextRunAt: nextRunAt(spec, now) };
}

/** The launch key of a tick's action or case: the same on every node. */
export const tickLaunchKey = (t: Pick<ScheduleTick, 'scheduleId' | 'tickAt'>): string => `schedule:${tickId(t.scheduleId, t.tickAt)}`;

export class Scheduler {
  private readonly o: Required<SchedulerOptions>;
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  /**
   * Refused launches per schedule, logged once and then once a minute: a per-second schedule broken by
   * a later change of its action type wrote a line every tick (86,400 a day). Each tick records its error.
   */
  private readonly refusals = new Map<string, RepeatedFailure>();

  private refusalsOf(id: string, name: string): RepeatedFailure {
    let r = this.refusals.get(id);
    if (!r) {
      r = new RepeatedFailure(this.o.logger, `scheduler: the launches of schedule ${JSON.stringify(name)} are refused`, 'warn', () =>
        this.o.clock.now(),
      );
      this.refusals.set(id, r);
    }
    return r;
  }

  constructor(opts: SchedulerOptions) {
    this.o = { pollIntervalMs: 5000, staleTickMs: 15_000, ...opts };
  }

  start(): void {
    this.stopped = false;
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
  }

  /** Looks at the store now (a schedule changed): re-arms the timer after. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.timer?.cancel();
    this.running = this.runOnce()
      .catch((err: unknown) =>
        this.o.logger.warn({ err: (err as Error).message }, 'scheduler: a pass failed; trying again at the next poll'),
      )
      .then(() => this.arm())
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Resolves when the pass in progress (if any) is over: for tests driving a FakeClock. */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** One pass: claim due ticks and launch them, then launch ticks other nodes claimed and never launched. */
  async runOnce(): Promise<void> {
    const now = this.o.clock.now();
    // A read first: the claim is a write transaction, and on a shared SQLite file every node's poll
    // would otherwise take the writer lock from the engine's sends.
    const due = await this.o.store.nextScheduleAt();
    if (due !== null && due <= now) {
      const claimed = await this.o.store.claimScheduleTicks({ now, owner: this.o.nodeId, limit: 100 }, (s) => planTick(s, now));
      for (const t of claimed) await this.launch(t);
    }
    const stale = await this.o.store.listOpenTicks(now - this.o.staleTickMs, 50);
    for (const t of stale) {
      this.o.logger.info(
        { schedule: t.scheduleId, tick: new Date(t.tickAt).toISOString(), claimedBy: t.claimedBy },
        'scheduler: launching a tick claimed but not launched',
      );
      await this.launch(t);
    }
  }

  private async arm(): Promise<void> {
    if (this.stopped) return;
    const now = this.o.clock.now();
    const next = await this.o.store.nextScheduleAt().catch(() => null);
    const stale = now + this.o.pollIntervalMs;
    const at = Math.min(next ?? Infinity, stale);
    this.timer?.cancel();
    this.timer = this.o.clock.setTimer(Math.max(0, at - now), () => this.wake());
  }

  /**
   * Launches one tick under its launch key. A refusal (the action type is gone, the input no longer
   * fits it) is written on the tick and not retried; any other failure leaves the tick open, and a node
   * launches it later.
   */
  private async launch(t: ScheduleTick): Promise<void> {
    const s = await this.o.store.getSchedule(t.scheduleId);
    if (!s) return; // deleted since: its ticks went with it
    const key = tickLaunchKey(t);
    try {
      const l = s.launch;
      const id =
        typeof l.actionType === 'string'
          ? (
              await this.o.launcher.launch(
                { actionType: l.actionType, input: (l.input as Record<string, unknown>) ?? {} },
                { idempotencyKey: key, actor: 'system' },
              )
            ).action.id
          : (
              await this.o.cases.create(
                {
                  process: l.process as string,
                  title: (l.title as string | null) ?? null,
                  data: (l.data as Record<string, unknown>) ?? {},
                  owner: (l.owner as string | null) ?? null,
                },
                { idempotencyKey: key, actor: 'system' },
              )
            ).id;
      await this.o.store.recordTick(t.scheduleId, t.tickAt, { launchedId: id });
      this.refusals.get(s.id)?.succeeded();
      this.refusals.delete(s.id);
    } catch (err) {
      if (err instanceof CalloutError && err.status < 500) {
        this.refusalsOf(s.id, s.name).failed(err.message);
        await this.o.store.recordTick(t.scheduleId, t.tickAt, { error: err.message });
        return;
      }
      this.o.logger.warn({ schedule: s.name, err: (err as Error).message }, 'scheduler: a launch failed; the tick stays open');
    }
  }
}
