// Whether this node is busy with the engine's work now, for work beside it (webhook delivery) that
// yields then: the engine has a backlog (Engine.saturated) and the event loop was mostly busy over
// the last sample. A full window of attempts waiting on slow systems leaves the loop idle; nothing
// need yield to that.

import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { Clock } from '../clock.ts';

export interface LoadGaugeOptions {
  /** Whether the engine has more due work than it takes at once. */
  saturated: () => boolean;
  clock: Clock;
  /** The share of time the event loop was busy since the previous call (0–1). @default node's eventLoopUtilization */
  utilisation?: () => number;
  /** Busy from this share of the loop's time. @default 0.7 */
  threshold?: number;
  /** The loop is sampled at most this often; the answer holds in between. @default 100 */
  sampleMs?: number;
}

export class LoadGauge {
  private readonly utilisation: () => number;
  private readonly threshold: number;
  private readonly sampleMs: number;
  private sampledAt = -Infinity;
  private loopBusy = false;

  constructor(private readonly o: LoadGaugeOptions) {
    this.utilisation = o.utilisation ?? loopUtilisation();
    this.threshold = o.threshold ?? 0.7;
    this.sampleMs = o.sampleMs ?? 100;
  }

  busy(): boolean {
    const now = this.o.clock.now();
    if (now - this.sampledAt >= this.sampleMs) {
      this.sampledAt = now;
      this.loopBusy = this.utilisation() >= this.threshold;
    }
    return this.loopBusy && this.o.saturated();
  }
}

/** The event loop's utilisation since the previous call (the first call: since the process started). */
function loopUtilisation(): () => number {
  let last: EventLoopUtilization | undefined;
  return () => {
    const now = performance.eventLoopUtilization();
    const share = last ? performance.eventLoopUtilization(now, last).utilization : now.utilization;
    last = now;
    return share;
  };
}
