// Runs one workload A drain in this process (no IPC), for profiling the system under test:
//   node --cpu-prof --cpu-prof-dir=.tmp/prof --import tsx bench/profile.ts --system callout-sqlite --count 20000
// The mock runs in its own process as in the benchmark; the profile holds only the system's work.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startMock } from './lib/mock-process.ts';
import { ensureBenchDatabase, PG_BENCH_URL } from './lib/pg.ts';
import { runDrain } from './workloads/drain.ts';
import type { SystemName } from './systems/types.ts';

const { values: f } = parseArgs({
  options: {
    system: { type: 'string', default: 'callout-sqlite' },
    count: { type: 'string', default: '20000' },
    latency: { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '128' },
    'sqlite-sync': { type: 'string', default: 'full' },
    'trace-store': { type: 'boolean', default: false },
  },
});

/** Counts calls, rows and time of every store method (wrapping the class's prototype, bench-side only). */
const trace = new Map<string, { calls: number; rows: number; ms: number }>();
if (f['trace-store']) {
  const protos: object[] = [(await import('../src/store/sqlite/store.ts')).SqliteStore.prototype];
  if (f.system === 'callout-postgres') protos.push((await import('../src/store/postgres/store.ts')).PostgresStore.prototype);
  for (const proto of protos) {
    const obj = proto as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const orig = obj[name];
      if (name === 'constructor' || typeof orig !== 'function') continue;
      obj[name] = async function (this: unknown, ...args: unknown[]) {
        const t0 = performance.now();
        const r: unknown = await (orig as (...a: unknown[]) => unknown).apply(this, args);
        const e = trace.get(name) ?? { calls: 0, rows: 0, ms: 0 };
        e.calls++;
        e.ms += performance.now() - t0;
        e.rows += Array.isArray(r) ? r.length : Array.isArray(args[0]) ? (args[0] as unknown[]).length : 1;
        trace.set(name, e);
        return r;
      };
    }
  }
}
await ensureBenchDatabase();
const mock = await startMock({ latencyMs: Number(f.latency), jitterMs: 0, failRate: 0 });
const workDir = mkdtempSync(join(tmpdir(), 'callout-bench-profile-'));
try {
  const r = await runDrain({
    workload: 'A',
    system: f.system as SystemName,
    timeoutMs: 600_000,
    count: Number(f.count),
    ctx: {
      mockUrl: mock.url,
      concurrency: Number(f.concurrency),
      pgUrl: PG_BENCH_URL,
      pgPoolSize: 20,
      redisUrl: 'redis://127.0.0.1:6379',
      runId: `prof_${Date.now().toString(36)}`,
      workDir,
      sqliteSynchronous: f['sqlite-sync'] as 'full' | 'normal',
    },
  });
  console.log(JSON.stringify({ ...r, mockCpuSeconds: mock.cpuSeconds() }, null, 2));
  if (trace.size) {
    console.log('store calls during the run (enqueue and drain): method, calls, rows per call, ms per call, total ms');
    for (const [k, e] of [...trace].sort((a, b) => b[1].ms - a[1].ms))
      console.log(
        `  ${k.padEnd(22)} ${String(e.calls).padStart(7)} ${(e.rows / e.calls).toFixed(1).padStart(8)} ${(e.ms / e.calls).toFixed(2).padStart(8)} ${e.ms.toFixed(0).padStart(8)}`,
      );
  }
} finally {
  await mock.stop();
  rmSync(workDir, { recursive: true, force: true });
}
