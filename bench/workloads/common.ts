// What every workload driver shares: the task a child receives, completion tracking, resource readings.

import type { SystemContext, SystemName } from '../systems/types.ts';
import { cpuSecondsOfCommands, peakRssMb } from '../lib/proc.ts';

export type ContextSettings = Omit<SystemContext, 'onComplete'>;

export interface TaskBase {
  system: SystemName;
  ctx: ContextSettings;
  /** Hard limit for the measured phase; past it the run reports what it got, marked timedOut. */
  timeoutMs: number;
}

/** Counts completions and resolves when `target` have come in. */
export class Completions {
  count = 0;
  private target = Infinity;
  private waiter: (() => void) | null = null;
  readonly keys = new Set<string>();
  duplicates = 0;

  constructor(private readonly trackKeys = false) {}

  readonly onComplete = (key: string): void => {
    if (this.trackKeys) {
      if (this.keys.has(key)) this.duplicates++;
      else this.keys.add(key);
    }
    this.count++;
    if (this.count >= this.target && this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w();
    }
  };

  /** Resolves true when `target` completions arrived, false at the deadline. */
  waitFor(target: number, timeoutMs: number): Promise<boolean> {
    if (this.count >= target) return Promise.resolve(true);
    this.target = target;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve(false);
      }, timeoutMs);
      this.waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }
}

/** Polls until the store says nothing is pending, or the deadline passes. */
export async function waitUntilDrained(pending: () => Promise<number>, deadline: number): Promise<boolean> {
  for (;;) {
    if ((await pending()) === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** CPU and database-server CPU over a measured phase. */
export class ResourceMeter {
  private cpu0 = process.cpuUsage();
  private servers0 = cpuSecondsOfCommands(['postgres', 'redis-server']);
  private t0 = performance.now();

  read(): { elapsedMs: number; cpuSeconds: number; cpuPercent: number; dbServerCpuSeconds: number; peakRssMb: number } {
    const elapsedMs = performance.now() - this.t0;
    const c = process.cpuUsage(this.cpu0);
    const cpuSeconds = (c.user + c.system) / 1e6;
    return {
      elapsedMs,
      cpuSeconds,
      cpuPercent: (cpuSeconds / (elapsedMs / 1000)) * 100,
      dbServerCpuSeconds: cpuSecondsOfCommands(['postgres', 'redis-server']) - this.servers0,
      peakRssMb: peakRssMb(),
    };
  }
}
