// One system under test in its own process: receives one task from bench/run.ts over IPC, runs it,
// answers with the result (CPU and peak RSS are this process's alone), and exits.

import type { DrainTask } from './workloads/drain.ts';
import type { TimersTask } from './workloads/timers.ts';
import type { WaitingTask } from './workloads/waiting.ts';
import type { RateLimitTask } from './workloads/rate-limit.ts';
import type { CrashTask } from './workloads/crash.ts';
import type { LateTimersTask } from './workloads/late-timers.ts';
import type { TakeoverTask } from './workloads/takeover.ts';
import type { HeldBacklogTask } from './workloads/held-backlog.ts';

export type Task = DrainTask | TimersTask | WaitingTask | RateLimitTask | CrashTask | LateTimersTask | TakeoverTask | HeldBacklogTask;

export type ChildMessage = { type: 'result'; result: unknown } | { type: 'error'; message: string } | { type: 'progress'; message: string };

async function runTask(task: Task): Promise<unknown> {
  switch (task.workload) {
    case 'A':
      return (await import('./workloads/drain.ts')).runDrain(task);
    case 'B':
      return (await import('./workloads/timers.ts')).runTimers(task);
    case 'C':
      return (await import('./workloads/waiting.ts')).runWaiting(task);
    case 'D':
      return (await import('./workloads/rate-limit.ts')).runRateLimit(task);
    case 'E':
      return (await import('./workloads/crash.ts')).runCrash(task);
    case 'B-retry':
    case 'B-timeout':
      return (await import('./workloads/late-timers.ts')).runLateTimers(task);
    case 'E-takeover':
      return (await import('./workloads/takeover.ts')).runTakeover(task);
    case 'D2':
      return (await import('./workloads/held-backlog.ts')).runHeldBacklog(task);
  }
}

function send(m: ChildMessage): Promise<void> {
  return new Promise((resolve) => process.send!(m, undefined, {}, () => resolve()));
}

process.once('message', (task: Task) => {
  runTask(task).then(
    async (result) => {
      await send({ type: 'result', result });
      process.exit(0);
    },
    async (err: unknown) => {
      await send({ type: 'error', message: (err as Error).stack ?? String(err) });
      process.exit(1);
    },
  );
});
