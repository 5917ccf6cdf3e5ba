// Throughput with one, two and three engine nodes sharing one PostgreSQL database (issue: several
// nodes). The parent launches N actions into a fresh schema, then starts K engine processes
// (bench/node-engine.ts) at once and times until every action is closed, counting in SQL.
//   npx tsx bench/nodes.ts --count 20000 --nodes 1,2,3 --runs 3 [--latency 0]

import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Callout } from '../src/callout.ts';
import { PostgresStore } from '../src/store/postgres/store.ts';
import { createLogger } from '../src/logger.ts';
import { startMock } from './lib/mock-process.ts';
import { PG_BENCH_URL, dropSchema, ensureBenchDatabase, pgQuery } from './lib/pg.ts';
import { median } from './lib/stats.ts';

export interface NodesResult {
  nodes: number;
  count: number;
  completionsPerSecond: number;
  drainMs: number;
  mockRequests: number;
}

const ENGINE = fileURLToPath(new URL('./node-engine.ts', import.meta.url));

async function oneRun(count: number, nodes: number, latencyMs: number, concurrency: number): Promise<NodesResult> {
  await ensureBenchDatabase();
  const schema = `bench_nodes_${randomBytes(4).toString('hex')}`;
  const secretKey = randomBytes(32).toString('hex');
  const mock = await startMock({ latencyMs, jitterMs: 0, failRate: 0 });
  const children: ChildProcess[] = [];
  try {
    const store = new PostgresStore({ connectionString: PG_BENCH_URL, schema });
    const callout = await Callout.open({ store, secretKey, allowPrivateNetworks: true, logger: createLogger({ level: 'warn' }) });
    await callout.connectors.create({ name: 'mock', baseUrl: mock.url, auth: { type: 'none' }, timeout: '10s' });
    await callout.actionTypes.create({
      name: 'call',
      connector: 'mock',
      path: '/ok',
      body: { format: 'json', template: '{"n": "{{ N }}"}' },
      fields: { N: { type: 'integer' } },
    });
    for (let i = 0; i < count; i += 5000)
      await callout.actions.launchMany(
        Array.from({ length: Math.min(5000, count - i) }, (_, j) => ({ actionType: 'call', input: { N: i + j } })),
      );
    await callout.close();

    const t0 = performance.now();
    for (let i = 0; i < nodes; i++) {
      children.push(
        fork(ENGINE, [], {
          execArgv: ['--import', 'tsx'],
          env: { ...process.env, BENCH_SCHEMA: schema, BENCH_SECRET: secretKey, BENCH_CONCURRENCY: String(concurrency) },
          stdio: 'inherit',
        }),
      );
    }
    for (;;) {
      const [r] = await pgQuery<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.actions WHERE state = 'closed'`);
      if (Number(r!.n) >= count) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    const drainMs = performance.now() - t0;
    const stats = await mock.stats();
    return { nodes, count, drainMs, completionsPerSecond: (count / drainMs) * 1000, mockRequests: stats.requests };
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    await mock.stop();
    await dropSchema(schema);
  }
}

export async function runNodes(opts: {
  count: number;
  nodes: number[];
  runs: number;
  latencyMs: number;
  concurrency: number;
}): Promise<Array<{ nodes: number; median: number; runs: NodesResult[] }>> {
  const out = [];
  for (const n of opts.nodes) {
    const runs: NodesResult[] = [];
    for (let r = 0; r < opts.runs; r++) {
      const res = await oneRun(opts.count, n, opts.latencyMs, opts.concurrency);
      console.log(
        `  ${n} node(s), run ${r + 1}/${opts.runs}: ${res.completionsPerSecond.toFixed(0)} actions/s (${res.count} in ${res.drainMs.toFixed(0)} ms)`,
      );
      runs.push(res);
    }
    out.push({ nodes: n, median: median(runs.map((x) => x.completionsPerSecond)), runs });
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '20000' },
      nodes: { type: 'string', default: '1,2,3' },
      runs: { type: 'string', default: '3' },
      latency: { type: 'string', default: '0' },
      concurrency: { type: 'string', default: '256' },
    },
  });
  const res = await runNodes({
    count: Number(values.count),
    nodes: values.nodes!.split(',').map(Number),
    runs: Number(values.runs),
    latencyMs: Number(values.latency),
    concurrency: Number(values.concurrency),
  });
  console.log('\nnodes  actions/s (median)');
  for (const r of res) console.log(`${String(r.nodes).padEnd(6)} ${r.median.toFixed(0)}`);
}
