// `npm run bench`: workloads A–E (and issue 11's B-retry, B-timeout, E-takeover, D2) against Callout (SQLite, PostgreSQL) and its peers (graphile-worker,
// pg-boss, BullMQ), each system in its own process, the mock external system in another; medians of
// --runs runs printed as tables and written as JSON with the versions and settings.

import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { EXTRA_SYSTEMS, SYSTEMS, type SystemName } from './systems/types.ts';
import type { ChildMessage, Task } from './child.ts';
import type { ContextSettings } from './workloads/common.ts';
import { startMock, type MockSettings } from './lib/mock-process.ts';
import { ensureBenchDatabase, PG_BENCH_URL, pgVersion } from './lib/pg.ts';
import { machineInfo } from './lib/proc.ts';
import { latenessFromLog, medianOf, readDueFile, table, windowsFromLog, fmt } from './report.ts';
import type { DrainResult } from './workloads/drain.ts';
import type { TimersResult } from './workloads/timers.ts';
import { heldBacklog, ISSUE11_WORKLOADS, issue11Tables, lateTimers, takeover, type Harness } from './issue11.ts';

const USAGE = `usage: npm run bench -- [options]
  --workload A,B,C,D,E,N   workloads to run (default all; N = 1, 2, 3 nodes on PostgreSQL; also
                           B-retry, B-timeout, E-takeover, D2: see bench/issue11.ts)
  --systems LIST           ${SYSTEMS.join(',')} (default all); also ${EXTRA_SYSTEMS.join(',')}
  --runs N                 runs per measurement; the median is reported (default 3)
  --interleave             A: run the systems in turn (run 1 of each, then run 2 of each, …) rather than
                           all runs of one system before the next, so a change in the machine's load
                           falls on every system alike
  --count N                workload A: jobs per run (default 50000)
  --latency MS             mock latency for A and B (default 0)
  --jitter MS              mock jitter for A and B (default 0)
  --fail-rate R            share of 503s from the mock for A and B (default 0)
  --concurrency N          concurrent jobs per process, every system (default 128)
  --pg-pool N              PostgreSQL pool size, every system (default 20)
  --sqlite-sync full|normal  Callout's SQLite synchronous setting (default full, the product default)
  --claim-lead MS          Callout's claim lead: timers due within it are claimed ahead and sent when due
                           (default the product's, 50; 0 claims only what is due)
  --b-seconds N            workload B: seconds of launching per load (default 10)
  --b-rates-from FILE      workload B: take A's rates from an earlier results file
  --c-count N              workload C: waiting actions (default 1000000)
  --d-seconds N            workload D: seconds of offered load (default 10)
  --e-count N              workload E: actions per type (3 types; default 5000)
  --n-count N              workload N: actions per run (default 20000)
  --n-nodes LIST           workload N: engine node counts to measure (default 1,2,3)
  --quick                  small counts for a smoke run (A 2000, B 3 s, C 20000, D 4 s, E 300; 1 run;
                           D2 10,000 held; E-takeover 50 held with a 3 s lease)
  --out FILE               results JSON (default bench/results/<timestamp>.json)
  --cpu-prof-dir DIR       write a V8 CPU profile of each system process there (see bench/prof-summary.ts)`;

const BENCH_OPTIONS = {
  workload: { type: 'string', default: `A,B,C,D,E,N,${ISSUE11_WORKLOADS.join(',')}` },
  systems: { type: 'string', default: SYSTEMS.join(',') },
  runs: { type: 'string' },
  count: { type: 'string' },
  latency: { type: 'string', default: '0' },
  jitter: { type: 'string', default: '0' },
  'fail-rate': { type: 'string', default: '0' },
  concurrency: { type: 'string', default: '128' },
  'pg-pool': { type: 'string', default: '20' },
  'sqlite-sync': { type: 'string', default: 'full' },
  'claim-lead': { type: 'string' },
  'b-seconds': { type: 'string' },
  'b-rates-from': { type: 'string' },
  'c-count': { type: 'string' },
  'd-seconds': { type: 'string' },
  'e-count': { type: 'string' },
  'n-count': { type: 'string' },
  'n-nodes': { type: 'string', default: '1,2,3' },
  quick: { type: 'boolean', default: false },
  interleave: { type: 'boolean', default: false },
  out: { type: 'string' },
  'cpu-prof-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;
// A mistyped flag is a usage error like the others, not a TypeError with a stack trace.
const parsed = (() => {
  try {
    return parseArgs({ options: BENCH_OPTIONS });
  } catch (err) {
    if (!String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_')) throw err;
    return usageError((err as Error).message);
  }
})();
const { values: f } = parsed;
if (f.help) {
  console.log(USAGE);
  process.exit(0);
}

function int(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) usageError(`--${name} must be a number >= 0, not ${JSON.stringify(raw)}`);
  return n;
}

const quick = f.quick;
const workloads = f.workload
  .split(',')
  .map((w) => w.trim().toUpperCase())
  .filter(Boolean);
const systems = f.systems.split(',').map((s) => s.trim()) as SystemName[];
function usageError(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}
for (const s of systems) if (!SYSTEMS.includes(s) && !EXTRA_SYSTEMS.includes(s)) usageError(`unknown system ${s}`);
const KNOWN_WORKLOADS: readonly string[] = ['A', 'B', 'C', 'D', 'E', 'N', ...ISSUE11_WORKLOADS];
for (const w of workloads) if (!KNOWN_WORKLOADS.includes(w)) usageError(`unknown workload ${w}`);
if (f['sqlite-sync'] !== 'full' && f['sqlite-sync'] !== 'normal') usageError('--sqlite-sync must be full or normal');

const opts = {
  runs: int('runs', f.runs, quick ? 1 : 3),
  count: int('count', f.count, quick ? 2000 : 50_000),
  latencyMs: int('latency', f.latency, 0),
  jitterMs: int('jitter', f.jitter, 0),
  failRate: int('fail-rate', f['fail-rate'], 0),
  concurrency: int('concurrency', f.concurrency, 128),
  pgPoolSize: int('pg-pool', f['pg-pool'], 20),
  sqliteSynchronous: f['sqlite-sync'] as 'full' | 'normal',
  claimLeadMs: f['claim-lead'] === undefined ? undefined : int('claim-lead', f['claim-lead'], 0),
  bSeconds: int('b-seconds', f['b-seconds'], quick ? 3 : 10),
  bDelayMs: 2000,
  cCount: int('c-count', f['c-count'], quick ? 20_000 : 1_000_000),
  dSeconds: int('d-seconds', f['d-seconds'], quick ? 4 : 10),
  eCount: int('e-count', f['e-count'], quick ? 300 : 5000),
  nCount: int('n-count', f['n-count'], quick ? 3000 : 20_000),
  nNodes: f['n-nodes'].split(',').map((x) => int('n-nodes', x, 1)),
};
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const outFile = f.out ?? join('bench', 'results', `${stamp}.json`);

// ---- versions and machine ---------------------------------------------------------------------

const require = createRequire(import.meta.url);
const pkgVersion = (p: string): string => (require(`${p}/package.json`) as { version: string }).version;
function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function environment(): Promise<Record<string, unknown>> {
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(':memory:');
  const sqlite = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  db.close();
  let pg = 'unreachable';
  try {
    await ensureBenchDatabase();
    pg = await pgVersion();
  } catch (err) {
    pg = `unreachable (${(err as Error).message})`;
  }
  const redis = /redis_version:(\S+)/.exec(sh('redis-cli', ['-u', redisUrl, 'info', 'server']))?.[1] ?? 'unknown';
  const commit = sh('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = sh('git', ['status', '--porcelain', 'src']) !== '';
  return {
    machine: machineInfo(),
    versions: {
      callout: `${(JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version} ${commit}${dirty ? ' (with uncommitted changes in src/)' : ''}`,
      node: process.version,
      postgresql: pg,
      redis,
      sqlite,
      'better-sqlite3': pkgVersion('better-sqlite3'),
      pg: pkgVersion('pg'),
      undici: pkgVersion('undici'),
      'graphile-worker': pkgVersion('graphile-worker'),
      'pg-boss': pkgVersion('pg-boss'),
      bullmq: pkgVersion('bullmq'),
    },
  };
}

// ---- one child process per run ----------------------------------------------------------------

let seq = 0;
function runId(w: string): string {
  return `${w.toLowerCase()}${++seq}_${Date.now().toString(36)}`;
}

function context(id: string, workDir: string, mockUrl: string): ContextSettings {
  return {
    mockUrl,
    concurrency: opts.concurrency,
    pgUrl: PG_BENCH_URL,
    pgPoolSize: opts.pgPoolSize,
    redisUrl,
    runId: id,
    workDir,
    sqliteSynchronous: opts.sqliteSynchronous,
    ...(opts.claimLeadMs !== undefined ? { claimLeadMs: opts.claimLeadMs } : {}),
  };
}

function runChild<R>(task: Task): Promise<R> {
  return new Promise((resolve, reject) => {
    const child = fork(join(import.meta.dirname, 'child.ts'), [], {
      execArgv: ['--import', 'tsx', ...(f['cpu-prof-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${f['cpu-prof-dir']}`] : [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settled = false;
    const killer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(new Error(`${task.system} ${task.workload}: no result within ${Math.round((task.timeoutMs + 120_000) / 1000)} s; killed`));
    }, task.timeoutMs + 120_000);
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'progress') return void console.log(`    ${m.message}`);
      if (settled) return;
      settled = true;
      clearTimeout(killer);
      if (m.type === 'result') resolve(m.result as R);
      else reject(new Error(m.message));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      if (!settled) {
        settled = true;
        reject(new Error(`${task.system} ${task.workload}: child exited with ${code ?? signal} before answering`));
      }
    });
    child.send(task);
  });
}

interface Measured {
  runs: Record<string, unknown>[];
  errors: string[];
  median?: Record<string, unknown>;
}

/** Runs one measurement `runs` times, each with a fresh mock and work folder, and keeps the median. */
async function measure(
  label: string,
  runs: number,
  mockSettings: (workDir: string) => MockSettings,
  once: (ctx: { id: string; workDir: string; mockUrl: string; logFile?: string }) => Promise<Record<string, unknown>>,
): Promise<Measured> {
  const m: Measured = { runs: [], errors: [] };
  for (let r = 0; r < runs; r++) {
    const id = runId(label[0]!);
    const workDir = mkdtempSync(join(tmpdir(), `callout-bench-${id}-`));
    const ms = mockSettings(workDir);
    const mock = await startMock(ms);
    const cpu0 = mock.cpuSeconds();
    const load1 = loadavg()[0]!;
    try {
      const t0 = Date.now();
      const result = await once({ id, workDir, mockUrl: mock.url, ...(ms.logFile ? { logFile: ms.logFile } : {}) });
      const stats = await mock.stats();
      const mockCpu = mock.cpuSeconds() - cpu0;
      await mock.stop();
      // The load average says how busy the machine was with other work when the run began.
      const full = {
        ...result,
        mockRequests: stats.requests,
        mockCpuSeconds: mockCpu,
        wallSeconds: (Date.now() - t0) / 1000,
        loadAverageAtStart: load1,
      };
      m.runs.push(full);
      console.log(`  ${label} run ${r + 1}/${runs}: ${summary(full)}`);
    } catch (err) {
      await mock.stop();
      const msg = (err as Error).message;
      m.errors.push(msg);
      console.log(`  ${label} run ${r + 1}/${runs} FAILED: ${msg.split('\n').slice(0, 6).join('\n    ')}`);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }
  if (m.runs.length) m.median = medianOf(m.runs);
  return m;
}

function summary(r: Record<string, unknown>): string {
  const keys = [
    'completionsPerSecond',
    'cpuPercent',
    'peakRssMb',
    'p50',
    'p99',
    'p999',
    'callbacksPerSecond',
    'waitingRssMb',
    'maxPerSlidingSecond',
    'lost',
    'completedTwice',
    'duplicateSends',
    'recoveryMs',
    'allBackMs',
    'rowsWrittenPerSecond',
    'limitedSendsPerSecond',
    'otherBesidePerSecond',
  ];
  const flat: Record<string, unknown> = { ...r, ...(r.lateness as object), ...(r.limited as object) };
  return keys
    .filter((k) => typeof flat[k] === 'number')
    .map((k) => `${k}=${fmt(flat[k] as number)}`)
    .join(' ');
}

// ---- the workloads ----------------------------------------------------------------------------

const results: Record<string, Record<string, Measured>> = {};
const mockAB = (): MockSettings => ({ latencyMs: opts.latencyMs, jitterMs: opts.jitterMs, failRate: opts.failRate });

async function workloadA(): Promise<void> {
  console.log(`\nA. drain: ${opts.count} jobs, mock latency ${opts.latencyMs} ms, concurrency ${opts.concurrency}`);
  results.A = {};
  const timeoutMs = Math.max(120_000, opts.count * 10);
  const rounds = f.interleave ? opts.runs : 1;
  for (let round = 0; round < rounds; round++)
    for (const system of systems) {
      const m = await measureA(system, f.interleave ? 1 : opts.runs, timeoutMs);
      const so = results.A[system];
      if (!so) results.A[system] = m;
      else {
        so.runs.push(...m.runs);
        so.errors.push(...m.errors);
        if (so.runs.length) so.median = medianOf(so.runs);
      }
    }
}

function measureA(system: SystemName, runs: number, timeoutMs: number): Promise<Measured> {
  return measure(
    `A ${system}`,
    runs,
    mockAB,
    ({ id, workDir, mockUrl }) =>
      runChild<DrainResult>({
        workload: 'A',
        system,
        ctx: context(id, workDir, mockUrl),
        timeoutMs,
        count: opts.count,
      }) as unknown as Promise<Record<string, unknown>>,
  );
}

function rateOfA(system: SystemName): number | undefined {
  const fromHere = results.A?.[system]?.median?.completionsPerSecond;
  if (typeof fromHere === 'number') return fromHere;
  if (f['b-rates-from']) {
    const earlier = JSON.parse(readFileSync(f['b-rates-from'], 'utf8')) as { results: { A?: Record<string, Measured> } };
    const v = earlier.results.A?.[system]?.median?.completionsPerSecond;
    if (typeof v === 'number') return v;
  }
  return undefined;
}

const calibrated = new Map<SystemName, number | undefined>();
/** A's rate for `system`: from this run, --b-rates-from, or one calibration run of A (kept for later workloads). */
async function baseRate(system: SystemName): Promise<number | undefined> {
  const known = rateOfA(system);
  if (known !== undefined) return known;
  if (calibrated.has(system)) return calibrated.get(system);
  console.log(`  ${system}: calibrating with one run of A (${opts.count} jobs)`);
  const cal = await measure(`A(calibration) ${system}`, 1, mockAB, ({ id, workDir, mockUrl }) =>
    runChild({
      workload: 'A',
      system,
      ctx: context(id, workDir, mockUrl),
      timeoutMs: Math.max(120_000, opts.count * 10),
      count: opts.count,
    }),
  );
  const rate = cal.median?.completionsPerSecond as number | undefined;
  calibrated.set(system, rate);
  return rate;
}

async function workloadB(): Promise<void> {
  console.log(`\nB. open-loop timers: due ${opts.bDelayMs} ms after launch, ${opts.bSeconds} s of launches at 50 % and 80 % of A's rate`);
  results.B = {};
  for (const system of systems) {
    const base = await baseRate(system);
    if (base === undefined) {
      console.log(`  B ${system}: skipped, no rate from A`);
      continue;
    }
    for (const share of [0.5, 0.8]) {
      const rate = Math.max(1, Math.round(base * share));
      results.B[`${system}@${share * 100}%`] = await measure(
        `B ${system} ${share * 100}% (${rate}/s)`,
        opts.runs,
        (workDir) => ({ ...mockAB(), logFile: join(workDir, 'mock.log') }),
        async ({ id, workDir, mockUrl, logFile }) => {
          const dueFile = join(workDir, 'due.tsv');
          const r = await runChild<TimersResult>({
            workload: 'B',
            system,
            ctx: context(id, workDir, mockUrl),
            timeoutMs: 60_000,
            rate,
            seconds: opts.bSeconds,
            delayMs: opts.bDelayMs,
            dueFile,
          });
          await new Promise((res) => setTimeout(res, 300)); // the mock flushes its log every 100 ms
          const lateness = await latenessFromLog(logFile!, await readDueFile(dueFile));
          return { ...r, share, lateness } as unknown as Record<string, unknown>;
        },
      );
    }
  }
}

const CALLOUT_SYSTEMS = systems.filter((s) => s.startsWith('callout-'));

async function workloadC(): Promise<void> {
  console.log(`\nC. waiting at scale: ${opts.cCount} actions awaiting callbacks (SQLite store)`);
  results.C = {};
  const system: SystemName = 'callout-sqlite';
  if (!systems.includes(system)) return void console.log('  skipped: callout-sqlite not selected');
  const timeoutMs = Math.max(300_000, opts.cCount * 2);
  results.C[system] = await measure(
    `C ${system}`,
    opts.runs,
    () => ({ latencyMs: 0, jitterMs: 0, failRate: 0 }),
    ({ id, workDir, mockUrl }) => runChild({ workload: 'C', system, ctx: context(id, workDir, mockUrl), timeoutMs, count: opts.cCount }),
  );
}

/** N. several engine nodes on one PostgreSQL database: throughput with 1, 2 and 3 nodes. */
async function workloadN(): Promise<void> {
  console.log(`\nN. nodes: ${opts.nCount} actions drained by ${opts.nNodes.join(', ')} engine processes sharing PostgreSQL`);
  if (!systems.includes('callout-postgres')) return void console.log('  skipped: callout-postgres not selected');
  const { runNodes } = await import('./nodes.ts');
  const measured = await runNodes({
    count: opts.nCount,
    nodes: opts.nNodes,
    runs: opts.runs,
    latencyMs: opts.latencyMs,
    concurrency: opts.concurrency,
  });
  results.N = Object.fromEntries(
    measured.map((m) => [
      `callout-postgres×${m.nodes}`,
      { runs: m.runs as unknown as Record<string, unknown>[], errors: [], median: { nodes: m.nodes, completionsPerSecond: m.median } },
    ]),
  );
}

async function workloadD(): Promise<void> {
  console.log(`\nD. rate limit: a connector limited to 50/s offered 200/s for ${opts.dSeconds} s, an unlimited one beside it at 200/s`);
  results.D = {};
  for (const system of CALLOUT_SYSTEMS) {
    results.D[system] = await measure(
      `D ${system}`,
      opts.runs,
      (workDir) => ({
        latencyMs: opts.latencyMs,
        jitterMs: opts.jitterMs,
        failRate: 0,
        rateLimit: { limit: 50, perMs: 1000 },
        logFile: join(workDir, 'mock.log'),
      }),
      async ({ id, workDir, mockUrl, logFile }) => {
        const dueFile = join(workDir, 'due.tsv');
        const r = await runChild<Record<string, unknown>>({
          workload: 'D',
          system,
          ctx: context(id, workDir, mockUrl),
          timeoutMs: 120_000,
          limit: 50,
          offeredPerSecond: 200,
          seconds: opts.dSeconds,
          observeSeconds: opts.dSeconds,
          dueFile,
        });
        await new Promise((res) => setTimeout(res, 300));
        const limited = await windowsFromLog(logFile!, '/ratelimited');
        const unlimited = await latenessFromLog(logFile!, await readDueFile(dueFile), '/ok');
        return { ...r, limited, unlimitedLatency: unlimited };
      },
    );
  }
}

async function workloadE(): Promise<void> {
  console.log(`\nE. crash: SIGKILL of \`callout serve\` mid-run, ${opts.eCount} actions of each of 3 types`);
  results.E = {};
  for (const system of CALLOUT_SYSTEMS) {
    results.E[system] = await measure(
      `E ${system}`,
      opts.runs,
      () => ({ latencyMs: 0, jitterMs: 0, failRate: 0 }),
      ({ id, workDir, mockUrl }) =>
        runChild({ workload: 'E', system, ctx: context(id, workDir, mockUrl), timeoutMs: 300_000, perType: opts.eCount }),
    );
  }
}

const harness: Harness = {
  systems,
  runs: opts.runs,
  quick,
  bSeconds: opts.bSeconds,
  measure,
  runChild,
  context,
  rateOfA: baseRate,
};

// ---- tables -----------------------------------------------------------------------------------

function num(m: Measured | undefined, path: string): number {
  let v: unknown = m?.median;
  for (const k of path.split('.')) v = (v as Record<string, unknown> | undefined)?.[k];
  return typeof v === 'number' ? v : NaN;
}

/**
 * The CPU one job costs the machine in the median run: the system's process, its database server and
 * the mock, over the drain. On two cores the sum bounds the drain rate (2 s / this), whatever the
 * scheduling, and it moves less than the rate when other tenants slow the machine down.
 */
function cpuPerJob(m: Measured | undefined): number {
  const total = num(m, 'cpuSeconds') + (num(m, 'dbServerCpuSeconds') || 0) + num(m, 'mockCpuSeconds');
  return (total * 1e6) / num(m, 'completed');
}

function printTables(): string {
  const out: string[] = [];
  if (results.N) {
    const rows = Object.values(results.N).map((m) => [String(m.median?.nodes), num(m, 'completionsPerSecond')]);
    out.push(`N. nodes on PostgreSQL, ${opts.nCount} actions (median of ${opts.runs})\n` + table(['nodes', 'completions/s'], rows));
  }
  if (results.A) {
    const rows = Object.entries(results.A).map(([s, m]) => [
      s,
      num(m, 'completionsPerSecond'),
      num(m, 'cpuPercent'),
      num(m, 'dbServerCpuSeconds'),
      cpuPerJob(m),
      num(m, 'peakRssMb'),
      num(m, 'enqueuePerSecond'),
      `${m.runs.length}/${m.runs.length + m.errors.length}${m.runs.some((r) => r.timedOut) ? ' TIMED OUT' : ''}`,
    ]);
    out.push(
      `A. drain ${opts.count} (median of ${opts.runs})\n` +
        table(['system', 'completions/s', 'CPU %', 'DB server CPU s', 'CPU µs/job, all', 'peak RSS MB', 'enqueue/s', 'runs ok'], rows),
    );
    const peers = Object.keys(results.A).filter((s) => !s.startsWith('callout-'));
    const callouts = Object.keys(results.A).filter((s) => s.startsWith('callout-'));
    if (peers.length && callouts.length) {
      const ratioRows = callouts.map((c) => [
        c,
        ...peers.map((p) => `${fmt(num(results.A![c], 'completionsPerSecond') / num(results.A![p], 'completionsPerSecond'))}×`),
      ]);
      out.push('A. ratio Callout / peer (completions per second)\n' + table(['', ...peers], ratioRows));
    }
  }
  if (results.B) {
    const rows = Object.entries(results.B).map(([s, m]) => [
      s,
      num(m, 'rate'),
      num(m, 'lateness.p50'),
      num(m, 'lateness.p99'),
      num(m, 'lateness.p999'),
      num(m, 'lateness.max'),
      num(m, 'lateness.missing'),
      num(m, 'cpuPercent'),
    ]);
    out.push(
      `B. lateness (ms, mock arrival − due; median of ${opts.runs})\n` +
        table(['system@load', 'rate/s', 'p50', 'p99', 'p99.9', 'max', 'missing', 'CPU %'], rows),
    );
  }
  if (results.C) {
    const rows = Object.entries(results.C).map(([s, m]) => [
      s,
      num(m, 'count'),
      num(m, 'launchPerSecond'),
      num(m, 'waitingRssMb'),
      num(m, 'waitingRssMaxMb'),
      num(m, 'storeMb'),
      num(m, 'callbacksPerSecond'),
      num(m, 'peakRssMb'),
    ]);
    out.push(
      'C. waiting at scale\n' +
        table(
          ['system', 'actions', 'launch+send/s', 'RSS waiting MB', 'RSS waiting max MB', 'store MB', 'callbacks/s', 'peak RSS MB'],
          rows,
        ),
    );
  }
  if (results.D) {
    const rows = Object.entries(results.D).map(([s, m]) => [
      s,
      num(m, 'limited.requests'),
      num(m, 'limited.maxPerAlignedSecond'),
      num(m, 'limited.maxPerSlidingSecond'),
      num(m, 'limited.status429'),
      num(m, 'unlimitedLatency.p50'),
      num(m, 'unlimitedLatency.p99'),
    ]);
    out.push(
      'D. rate limit 50/s offered 200/s\n' +
        table(['system', 'limited sends', 'max/aligned s', 'max/any 1 s', '429s', 'unlimited p50 ms', 'unlimited p99 ms'], rows),
    );
  }
  if (results.E) {
    const rows = Object.entries(results.E).map(([s, m]) => [
      s,
      num(m, 'actions'),
      num(m, 'inFlightAtKill'),
      num(m, 'lost'),
      num(m, 'completedTwice'),
      num(m, 'duplicateSends'),
      num(m, 'restartMs'),
      num(m, 'recoveryMs'),
    ]);
    out.push(
      'E. crash (SIGKILL mid-run)\n' +
        table(['system', 'actions', 'sends before kill', 'lost', 'completed twice', 'duplicate sends', 'restart ms', 'recovery ms'], rows),
    );
  }
  out.push(...issue11Tables(results, opts.runs));
  return out.join('\n\n');
}

// ---- main -------------------------------------------------------------------------------------

const env = await environment();
console.log(`Callout benchmarks — ${JSON.stringify(env.versions)}\nmachine: ${JSON.stringify(env.machine)}`);
const startedAt = new Date().toISOString();
for (const w of KNOWN_WORKLOADS) {
  if (!workloads.includes(w)) continue;
  if (w === 'A') await workloadA();
  if (w === 'B') await workloadB();
  if (w === 'C') await workloadC();
  if (w === 'D') await workloadD();
  if (w === 'E') await workloadE();
  if (w === 'N') await workloadN();
  if (w === 'B-RETRY') results['B-retry'] = await lateTimers(harness, 'B-retry');
  if (w === 'B-TIMEOUT') results['B-timeout'] = await lateTimers(harness, 'B-timeout');
  if (w === 'E-TAKEOVER') results['E-takeover'] = await takeover(harness);
  if (w === 'D2') results.D2 = await heldBacklog(harness);
  // Partial results survive a later failure.
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(
    outFile,
    JSON.stringify({ startedAt, command: `npm run bench -- ${process.argv.slice(2).join(' ')}`, ...env, settings: opts, results }, null, 2),
  );
}
const tables = printTables();
console.log(`\n${tables}\n\nresults: ${outFile}`);
