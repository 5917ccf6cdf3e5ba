// Workloads B-retry and B-timeout: timers that a system writes itself (a retry after a failure, a
// completion timeout), not launches with a start time. Launches come open loop at `rate` a second for
// `seconds`, each with an interval from `intervalsMs` in turn (100 ms to 5 s). Lateness = when the
// timer fired − when it was due:
//   retry: the mock's second arrival − (its first arrival + interval), computed by the parent from
//          the mock's log (the same clock for every system), `key<TAB>interval` in `dueFile`;
//   timeout: the moment the system reports the timeout − the due time it computed, measured here.

import { createWriteStream } from 'node:fs';
import { createTimerDriver, type TimerJob, type TimerKind } from '../systems/timer-drivers.ts';
import { percentiles } from '../lib/stats.ts';
import { Completions, ResourceMeter, type TaskBase } from './common.ts';

export interface LateTimersTask extends TaskBase {
  workload: 'B-retry' | 'B-timeout';
  rate: number;
  seconds: number;
  intervalsMs: number[];
  dueFile: string;
}

export interface LateTimersResult {
  library: string;
  settings: Record<string, unknown>;
  rate: number;
  launched: number;
  completed: number;
  timedOut: boolean;
  maxLaunchLagMs: number;
  cpuPercent: number;
  dbServerCpuSeconds: number;
  peakRssMb: number;
  /** B-timeout only (B-retry's comes from the mock's log). */
  lateness?: { samples: number; missing: number; p50: number; p99: number; p999: number; max: number };
  /** B-timeout only: p99 per interval, ms. */
  p99ByInterval?: Record<string, number>;
}

const TICK_MS = 5;

export async function runLateTimers(task: LateTimersTask): Promise<LateTimersResult> {
  const kind: TimerKind = task.workload === 'B-retry' ? 'retry' : 'timeout';
  const done = new Completions();
  const measured = new Map<string, number>(); // key → interval, for the scheduled (not warm-up) jobs
  // Every timeout that fired, warm-up included: a peer's may fire before its launch call returns.
  const late = new Map<string, number>();
  const sys = await createTimerDriver(task.system, kind, task.intervalsMs, task.ctx, (key, firedAt, dueAt) => {
    if (kind === 'timeout') late.set(key, firedAt - dueAt);
    done.onComplete(key);
  });
  const out = createWriteStream(task.dueFile);
  try {
    await sys.start();
    // Unmeasured warm-up, as in B: a second's worth at the shortest interval.
    const warm = Math.max(1, Math.round(task.rate));
    const shortest = Math.min(...task.intervalsMs);
    await sys.launch(Array.from({ length: warm }, (_, i) => ({ key: `${task.ctx.runId}-warm-${i}`, intervalMs: shortest })));
    await done.waitFor(warm, task.timeoutMs);
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
        const jobs: TimerJob[] = [];
        for (let i = launched; i < target; i++)
          jobs.push({ key: `${task.ctx.runId}-${i}`, intervalMs: task.intervalsMs[i % task.intervalsMs.length]! });
        maxLag = Math.max(maxLag, now - (t0 + (launched * 1000) / task.rate));
        // Callout's keys are the action ids it returns: record them before any can fire.
        const keys = await sys.launch(jobs);
        keys.forEach((k, j) => measured.set(k, jobs[j]!.intervalMs));
        out.write(keys.map((k, j) => `${k}\t${jobs[j]!.intervalMs}`).join('\n') + '\n');
        launched = target;
      }
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    const all = await done.waitFor(warm + total, Math.max(...task.intervalsMs) + task.timeoutMs);
    const m = meter.read();
    const result: LateTimersResult = {
      library: sys.library,
      settings: { ...sys.settings, intervalsMs: task.intervalsMs.join(',') },
      rate: task.rate,
      launched,
      completed: done.count - warm,
      timedOut: !all,
      maxLaunchLagMs: maxLag,
      cpuPercent: m.cpuPercent,
      dbServerCpuSeconds: m.dbServerCpuSeconds,
      peakRssMb: m.peakRssMb,
    };
    if (kind === 'timeout') {
      const fired = [...measured].filter(([k]) => late.has(k)).map(([k, iv]) => ({ iv, ms: late.get(k)! }));
      const p = percentiles(
        fired.map((l) => l.ms),
        [50, 99, 99.9],
      );
      result.lateness = { samples: fired.length, missing: total - fired.length, p50: p.p50!, p99: p.p99!, p999: p['p99.9']!, max: p.max! };
      result.p99ByInterval = {};
      for (const iv of task.intervalsMs)
        result.p99ByInterval[String(iv)] = percentiles(
          fired.filter((l) => l.iv === iv).map((l) => l.ms),
          [99],
        ).p99!;
    }
    return result;
  } finally {
    await new Promise<void>((r) => out.end(() => r()));
    await sys.close();
  }
}
