// The loop's sleep: it ends at the earliest due time known (from the store, or announced by this
// process since the store was asked), at the poll interval, or at once when work is announced now.
// With a claim lead, it ends that much before a due time (the engine claims ahead and sends on time),
// but not sooner than half a lead after a claim that took everything within its lead: timers due
// a fraction of a millisecond apart are then claimed a batch at a time.

import type { Clock, TimerHandle } from '../clock.ts';

export class Alarm {
  private wakeUp: (() => void) | null = null;
  private timer: TimerHandle | null = null;
  /** When the current sleep ends. */
  private until = Infinity;
  /** The earliest due time announced since the loop last asked the store. */
  private noticed = Infinity;
  private rung = false;
  /** No sleep ends before this (unless a due time itself comes first): set by claimedAhead. */
  private notBefore = -Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly leadMs = 0,
  ) {}

  /** The loop claimed, at `at`, everything due within the lead: the next claim can wait half a lead. */
  claimedAhead(at: number): void {
    this.notBefore = at + this.leadMs / 2;
  }

  /** When to look for work due at `due`: a lead before it, not before notBefore, and never after it. */
  private wakeFor(due: number): number {
    return Math.min(due, Math.max(due - this.leadMs, this.notBefore));
  }

  /** True when work was announced since `reset()`: the loop should look again rather than sleep. */
  get woken(): boolean {
    return this.rung;
  }

  /** The loop is about to look for work: announcements from here on count. */
  reset(): void {
    this.rung = false;
  }

  /** The loop is about to ask the store when work is next due: announcements from here on may be missed by it. */
  watch(): void {
    this.noticed = Infinity;
  }

  /** Work is due now: ends the sleep, or keeps the next one from starting. */
  wake(): void {
    this.rung = true;
    this.timer?.cancel();
    this.end();
  }

  /** Work is due at `at`: the sleep ends then if that is sooner. Work due now wakes the loop now. */
  dueAt(at: number): void {
    const wakeAt = this.wakeFor(at);
    if (wakeAt <= this.clock.now()) return this.wake();
    this.noticed = Math.min(this.noticed, at);
    if (this.wakeUp && wakeAt < this.until) this.ringAt(wakeAt);
  }

  /** Sleeps until `next` (the store's answer), an announced due time or `latest`, whichever is first. */
  async sleep(next: number | null, latest: number): Promise<void> {
    const due = Math.min(next ?? Infinity, this.noticed);
    const until = Math.min(due === Infinity ? Infinity : this.wakeFor(due), latest);
    if (until <= this.clock.now()) return;
    await new Promise<void>((resolve) => {
      this.wakeUp = resolve;
      this.ringAt(until);
    });
  }

  private ringAt(until: number): void {
    this.timer?.cancel();
    this.until = until;
    this.timer = this.clock.setTimer(until - this.clock.now(), () => this.end());
  }

  private end(): void {
    this.timer = null;
    this.until = Infinity;
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }
}
