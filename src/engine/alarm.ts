// The loop's sleep: it ends at the earliest due time known (from the store, or announced by this
// process since the store was asked), at the poll interval, or at once when work is announced now.

import type { Clock, TimerHandle } from '../clock.ts';

export class Alarm {
  private wakeUp: (() => void) | null = null;
  private timer: TimerHandle | null = null;
  /** When the current sleep ends. */
  private until = Infinity;
  /** The earliest due time announced since the loop last asked the store. */
  private noticed = Infinity;
  private rung = false;

  constructor(private readonly clock: Clock) {}

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
    if (at <= this.clock.now()) return this.wake();
    this.noticed = Math.min(this.noticed, at);
    if (this.wakeUp && at < this.until) this.ringAt(at);
  }

  /** Sleeps until `next` (the store's answer), an announced due time or `latest`, whichever is first. */
  async sleep(next: number | null, latest: number): Promise<void> {
    const until = Math.min(next ?? Infinity, this.noticed, latest);
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
