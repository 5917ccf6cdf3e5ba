// Workload A, drain: N jobs enqueued in bulk, then the workers started; completions per second from
// the start of the workers until the store confirms the last one, with CPU and peak RSS of the process.

import { createSystem } from '../systems/types.ts';
import { Completions, ResourceMeter, waitUntilDrained, type TaskBase } from './common.ts';

export interface DrainTask extends TaskBase {
  workload: 'A';
  count: number;
}

export interface DrainResult {
  library: string;
  settings: Record<string, unknown>;
  count: number;
  completed: number;
  timedOut: boolean;
  enqueueMs: number;
  enqueuePerSecond: number;
  drainMs: number;
  completionsPerSecond: number;
  cpuSeconds: number;
  cpuPercent: number;
  dbServerCpuSeconds: number;
  peakRssMb: number;
}

export async function runDrain(task: DrainTask): Promise<DrainResult> {
  const done = new Completions();
  const sys = await createSystem(task.system, { ...task.ctx, onComplete: done.onComplete });
  try {
    const jobs = Array.from({ length: task.count }, (_, i) => ({ key: `${task.ctx.runId}-${i}` }));
    const e0 = performance.now();
    await sys.enqueue(jobs);
    const enqueueMs = performance.now() - e0;
    const meter = new ResourceMeter();
    const deadline = Date.now() + task.timeoutMs;
    await sys.start();
    const all = await done.waitFor(task.count, task.timeoutMs);
    const drained = all && (await waitUntilDrained(() => sys.pending(), deadline));
    const m = meter.read();
    const completed = drained ? task.count : done.count;
    return {
      library: sys.library,
      settings: sys.settings,
      count: task.count,
      completed,
      timedOut: !drained,
      enqueueMs,
      enqueuePerSecond: task.count / (enqueueMs / 1000),
      drainMs: m.elapsedMs,
      completionsPerSecond: completed / (m.elapsedMs / 1000),
      cpuSeconds: m.cpuSeconds,
      cpuPercent: m.cpuPercent,
      dbServerCpuSeconds: m.dbServerCpuSeconds,
      peakRssMb: m.peakRssMb,
    };
  } finally {
    await sys.close();
  }
}
