// The parent's side of issue 11's workloads (B-retry, B-timeout, E-takeover, D2): which runs to make,
// with what settings, and their tables. bench/run.ts owns the processes, the mock and the medians and
// hands them in as `Harness`.

import { join } from 'node:path';
import type { SystemName } from './systems/types.ts';
import type { Task } from './child.ts';
import type { MockSettings } from './lib/mock-process.ts';
import { readMockLog } from './lib/mock-process.ts';
import { percentiles } from './lib/stats.ts';
import { readDueFile, table } from './report.ts';
import type { LateTimersResult } from './workloads/late-timers.ts';
import type { ContextSettings } from './workloads/common.ts';

export const ISSUE11_WORKLOADS = ['B-RETRY', 'B-TIMEOUT', 'E-TAKEOVER', 'D2'] as const;

/** Retry and timeout intervals, 100 ms to 5 s, given to the launches in turn. */
export const INTERVALS_MS = [100, 250, 500, 1000, 2500, 5000];

export interface Measured {
  runs: Record<string, unknown>[];
  errors: string[];
  median?: Record<string, unknown>;
}

type RunCtx = { id: string; workDir: string; mockUrl: string; logFile?: string };

export interface Harness {
  systems: SystemName[];
  runs: number;
  quick: boolean;
  bSeconds: number;
  measure(
    label: string,
    runs: number,
    mock: (workDir: string) => MockSettings,
    once: (c: RunCtx) => Promise<Record<string, unknown>>,
  ): Promise<Measured>;
  runChild<R>(task: Task): Promise<R>;
  context(id: string, workDir: string, mockUrl: string): ContextSettings;
  /** Workload A's completions per second for a system (from this run, a results file, or a calibration run). */
  rateOfA(system: SystemName): Promise<number | undefined>;
}

const TIMER_SYSTEMS: SystemName[] = ['callout-sqlite', 'callout-postgres', 'bullmq', 'graphile-worker', 'graphile-worker-batched'];
const quiet: MockSettings = { latencyMs: 0, jitterMs: 0, failRate: 0 };

/** Retry lateness from the mock's log: second arrival − (first arrival + interval), per key. */
export async function retryLatenessFromLog(logFile: string, intervals: Map<string, number>, path = '/fail-then-ok') {
  const arrivals = new Map<string, number[]>();
  await readMockLog(logFile, (l) => {
    if (l.path !== path || l.key === null || !intervals.has(l.key)) return;
    const a = arrivals.get(l.key);
    if (a) a.push(l.at);
    else arrivals.set(l.key, [l.at]);
  });
  const all: number[] = [];
  const byInterval = new Map<number, number[]>();
  for (const [key, at] of arrivals) {
    if (at.length < 2) continue;
    const iv = intervals.get(key)!;
    const late = at[1]! - (at[0]! + iv);
    all.push(late);
    const b = byInterval.get(iv);
    if (b) b.push(late);
    else byInterval.set(iv, [late]);
  }
  const p = percentiles(all, [50, 99, 99.9]);
  const p99ByInterval: Record<string, number> = {};
  for (const [iv, xs] of [...byInterval].sort((a, b) => a[0] - b[0])) p99ByInterval[String(iv)] = percentiles(xs, [99]).p99!;
  return {
    samples: all.length,
    missing: intervals.size - all.length,
    p50: p.p50!,
    p99: p.p99!,
    p999: p['p99.9']!,
    max: p.max!,
    p99ByInterval,
  };
}

/** B-retry and B-timeout: at 50 % and 80 % of the system's A rate, counted in executions (two per action), and sparse. */
export async function lateTimers(h: Harness, kind: 'B-retry' | 'B-timeout'): Promise<Record<string, Measured>> {
  const out: Record<string, Measured> = {};
  console.log(
    `\n${kind}: ${kind === 'B-retry' ? 'a 503, then a retry' : 'a send never answered, then its completion timeout'} after ${INTERVALS_MS.join('/')} ms, ${h.bSeconds} s of launches at 50 % and 80 % of A's rate`,
  );
  for (const system of h.systems.filter((s) => TIMER_SYSTEMS.includes(s))) {
    const base = await h.rateOfA(system);
    if (base === undefined) {
      console.log(`  ${kind} ${system}: skipped, no rate from A`);
      continue;
    }
    // Each action is two executions (two sends; or a send and a timer), so half A's rate is 100 %.
    // "sparse" is one action every 2 s: nothing else wakes the system, so its timers alone are seen.
    const loads = [
      { label: '50%', share: 0.5, rate: Math.max(1, Math.round((base * 0.5) / 2)), seconds: h.bSeconds },
      { label: '80%', share: 0.8, rate: Math.max(1, Math.round((base * 0.8) / 2)), seconds: h.bSeconds },
      { label: 'sparse', share: 0, rate: 0.5, seconds: h.quick ? 6 : 30 },
    ];
    for (const { label, share, rate, seconds } of loads) {
      out[`${system}@${label}`] = await h.measure(
        `${kind} ${system} ${label} (${rate} actions/s)`,
        h.runs,
        (workDir) => ({ ...quiet, logFile: join(workDir, 'mock.log') }),
        async ({ id, workDir, mockUrl, logFile }) => {
          const dueFile = join(workDir, 'due.tsv');
          const r = await h.runChild<LateTimersResult>({
            workload: kind,
            system,
            ctx: h.context(id, workDir, mockUrl),
            timeoutMs: 60_000,
            rate,
            seconds,
            intervalsMs: INTERVALS_MS,
            dueFile,
          });
          if (kind === 'B-timeout') return { ...r, share } as unknown as Record<string, unknown>;
          await new Promise((res) => setTimeout(res, 300)); // the mock flushes its log every 100 ms
          const intervals = await readDueFile(dueFile);
          const { p99ByInterval, ...lateness } = await retryLatenessFromLog(logFile!, intervals);
          return { ...r, share, lateness, p99ByInterval } as unknown as Record<string, unknown>;
        },
      );
    }
  }
  return out;
}

/** E-takeover: restart on both stores; a node's death with a second node alive on PostgreSQL. */
export async function takeover(h: Harness): Promise<Record<string, Measured>> {
  const out: Record<string, Measured> = {};
  // Quick: a short connector timeout and margin, so the lease (and the run) is 6 s, not 45 s.
  // The hold outlasts the launches and a second node's start, and stays under the connector timeout;
  // 120 stay under the 128 connections Callout's sender opens to one origin, so all are in flight at once.
  const settings = h.quick ? { held: 50, holdMs: 4000, connectorTimeout: '5s', leaseMargin: '1s' } : { held: 120, holdMs: 15_000 };
  console.log(`\nE-takeover: ${settings.held} actions in flight at a SIGKILL; time until each is sent again (${JSON.stringify(settings)})`);
  for (const system of h.systems.filter((s) => s.startsWith('callout-'))) {
    for (const mode of system === 'callout-postgres' ? (['restart', 'death'] as const) : (['restart'] as const)) {
      out[`${system} ${mode}`] = await h.measure(
        `E-takeover ${system} ${mode}`,
        h.runs,
        () => quiet,
        ({ id, workDir, mockUrl }) =>
          h.runChild({ workload: 'E-takeover', system, ctx: h.context(id, workDir, mockUrl), timeoutMs: 120_000, mode, ...settings }),
      );
    }
  }
  return out;
}

/** D2: a large backlog held behind a 50/s limit; store rows written per second, RSS, another connector. */
export async function heldBacklog(h: Harness): Promise<Record<string, Measured>> {
  const out: Record<string, Measured> = {};
  const s = h.quick ? { held: 10_000, windowSeconds: 6, otherCount: 2000 } : { held: 100_000, windowSeconds: 30, otherCount: 20_000 };
  console.log(
    `\nD2: ${s.held} actions behind a 50/s limit, watched ${s.windowSeconds} s; ${s.otherCount} on an unlimited connector before and beside`,
  );
  for (const system of h.systems.filter((x) => x.startsWith('callout-'))) {
    out[system] = await h.measure(
      `D2 ${system}`,
      h.runs,
      () => ({ ...quiet, rateLimit: { limit: 50, perMs: 1000 } }),
      ({ id, workDir, mockUrl }) =>
        h.runChild({ workload: 'D2', system, ctx: h.context(id, workDir, mockUrl), timeoutMs: 300_000, limit: 50, ...s }),
    );
  }
  return out;
}

function num(m: Measured | undefined, path: string): number {
  let v: unknown = m?.median;
  for (const k of path.split('.')) v = (v as Record<string, unknown> | undefined)?.[k];
  return typeof v === 'number' ? v : NaN;
}

export function issue11Tables(results: Record<string, Record<string, Measured> | undefined>, runs: number): string[] {
  const out: string[] = [];
  for (const kind of ['B-retry', 'B-timeout']) {
    const r = results[kind];
    if (!r) continue;
    const rows = Object.entries(r).map(([s, m]) => [
      s,
      num(m, 'rate'),
      num(m, 'lateness.p50'),
      num(m, 'lateness.p99'),
      num(m, 'lateness.p999'),
      num(m, 'lateness.max'),
      num(m, 'lateness.missing'),
      INTERVALS_MS.map((iv) => String(Math.round(num(m, `p99ByInterval.${iv}`)))).join(' / '),
      num(m, 'cpuPercent'),
    ]);
    out.push(
      `${kind}: lateness ms (fired − due; median of ${runs})\n` +
        table(
          ['system@load', 'actions/s', 'p50', 'p99', 'p99.9', 'max', 'missing', `p99 by interval ${INTERVALS_MS.join('/')} ms`, 'CPU %'],
          rows,
        ),
    );
  }
  if (results['E-takeover']) {
    const rows = Object.entries(results['E-takeover']).map(([s, m]) => [
      s,
      num(m, 'held'),
      num(m, 'resent'),
      num(m, 'servingMs'),
      num(m, 'firstBackMs'),
      num(m, 'allBackMs'),
      num(m, 'allBackFromServingMs'),
    ]);
    out.push(
      'E-takeover: SIGKILL with actions in flight (ms)\n' +
        table(
          ['system mode', 'held', 'resent', 'kill → serving', 'kill → first resent', 'kill → all resent', 'serving → all resent'],
          rows,
        ),
    );
  }
  if (results.D2) {
    const rows = Object.entries(results.D2).map(([s, m]) => [
      s,
      num(m, 'held'),
      num(m, 'limitedSendsPerSecond'),
      num(m, 'rowsWrittenPerSecond'),
      num(m, 'rowsPerSend'),
      num(m, 'throttledWritesPerSecond'),
      num(m, 'rssMedianMb'),
      num(m, 'rssGrowthMb'),
      num(m, 'otherAlonePerSecond'),
      num(m, 'otherBesidePerSecond'),
    ]);
    out.push(
      'D2: held backlog behind 50/s\n' +
        table(
          [
            'system',
            'held',
            'sends/s',
            'rows written/s',
            'rows/send',
            'throttled writes/s',
            'RSS MB',
            'RSS growth MB',
            'other alone/s',
            'other beside/s',
          ],
          rows,
        ),
    );
  }
  return out;
}
