// Workload B, open-loop timers: jobs launched at a fixed rate, each due `delayMs` after its planned
// launch time, whatever the system does meanwhile (no coordinated omission). The keys and due times go
// to a file; the parent joins them with the mock's arrival log: lateness = arrival − due.

import { createWriteStream } from 'node:fs';
import { createSystem, type JobSpec } from '../systems/types.ts';
import { Completions, ResourceMeter, waitUntilDrained, type TaskBase } from './common.ts';

export interface TimersTask extends TaskBase {
  workload: 'B';
  /** Launches per second. */
  rate: number;
  seconds: number;
  delayMs: number;
  /** Where to write `key<TAB>dueAt` lines. */
  dueFile: string;
}

export interface TimersResult {
  library: string;
  settings: Record<string, unknown>;
  rate: number;
  launched: number;
  completed: number;
  timedOut: boolean;
  /** How far the launcher fell behind its schedule at worst (ms). */
  maxLaunchLagMs: number;
  cpuPercent: number;
  dbServerCpuSeconds: number;
  peakRssMb: number;
}

const TICK_MS = 5;

export async function runTimers(task: TimersTask): Promise<TimersResult> {
  const done = new Completions();
  const sys = await createSystem(task.system, { ...task.ctx, onComplete: done.onComplete });
  const out = createWriteStream(task.dueFile);
  try {
    await sys.start();
    // Warm-up, the same for every system and not measured: one second's worth of jobs due at once,
    // so connections are open and code is compiled before the schedule (JMH-style).
    const warm = Math.max(1, Math.round(task.rate));
    const warmDue = Date.now();
    await sys.enqueue(Array.from({ length: warm }, (_, i) => ({ key: `${task.ctx.runId}-warm-${i}`, dueAt: warmDue })));
    await done.waitFor(warm, task.timeoutMs);
    // Let the workers settle into their idle loop before the schedule begins.
    await new Promise((r) => setTimeout(r, 500));
    const total = Math.round(task.rate * task.seconds);
    const meter = new ResourceMeter();
    const t0 = Date.now();
    let launched = 0;
    let maxLag = 0;
    while (launched < total) {
      const now = Date.now();
      const target = Math.min(total, Math.floor(((now - t0) / 1000) * task.rate) + 1);
      if (target > launched) {
        const jobs: JobSpec[] = [];
        for (let i = launched; i < target; i++) {
          const planned = t0 + (i * 1000) / task.rate;
          jobs.push({ key: `${task.ctx.runId}-${i}`, dueAt: Math.round(planned + task.delayMs) });
        }
        maxLag = Math.max(maxLag, now - (t0 + (launched * 1000) / task.rate));
        const keys = await sys.enqueue(jobs);
        out.write(keys.map((k, j) => `${k}\t${jobs[j]!.dueAt}`).join('\n') + '\n');
        launched = target;
      }
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    const deadline = Date.now() + task.delayMs + task.timeoutMs;
    const all = await done.waitFor(warm + total, deadline - Date.now());
    const drained = all && (await waitUntilDrained(() => sys.pending(), deadline));
    const m = meter.read();
    return {
      library: sys.library,
      settings: sys.settings,
      rate: task.rate,
      launched,
      completed: done.count - warm,
      timedOut: !drained,
      maxLaunchLagMs: maxLag,
      cpuPercent: m.cpuPercent,
      dbServerCpuSeconds: m.dbServerCpuSeconds,
      peakRssMb: m.peakRssMb,
    };
  } finally {
    await new Promise<void>((r) => out.end(() => r()));
    await sys.close();
  }
}
