// Webhook delivery at scale: `npx tsx bench/webhooks.ts [actions=10000] [sqlite|postgres|sqlite,postgres]`.
// For each store: N actions (each answered 200 at once by a loopback system) without any
// subscription, then N with one subscription to `action.*` (two events per action: launched and
// state_changed) on a loopback receiver; BENCH_PAIRS (default 3) such pairs, alternating so a machine
// whose load drifts weighs on both sides alike, after a warm-up run of 2,000 that is not reported.
// Prints, as JSON, per run: the actions' own rate, this process's CPU time per action (steadier than
// rates on a shared machine) and how busy its event loop was; with the subscriber, the deliveries made
// while the actions ran and their rate, the rate after, and how long the backlog took to drain once
// the last action closed. Per store, the medians. Every delivery is checked after the clock stops:
// signed (standardwebhooks), each action's events in order, none missing or repeated.
// The receiver and the target run in this process too, so they share its CPU with the engine.
// BENCH_NO_WORKER=1: this node does not deliver (CALLOUT_WEBHOOK_DELIVERY=off), the outbox's own cost
// alone. BENCH_NO_YIELD=1: the delivery worker does not yield to the engine (the old behaviour).
// BENCH_PROFILE=dir: a CPU profile of each run's action phase (start to last action closed) in dir.

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Webhook } from 'standardwebhooks';
import { Session } from 'node:inspector/promises';
import { Callout, type CalloutOptions } from '../src/callout.ts';
import { createLogger } from '../src/logger.ts';
import { PostgresStore } from '../src/store/postgres/store.ts';

const ACTIONS = Number(process.argv[2] ?? 10_000);
const STORES = (process.argv[3] ?? 'sqlite').split(',') as Array<'sqlite' | 'postgres'>;
const PG_URL = process.env.CALLOUT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const NO_WORKER = Boolean(process.env.BENCH_NO_WORKER);
const NO_YIELD = Boolean(process.env.BENCH_NO_YIELD);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 3);
const PROFILE = process.env.BENCH_PROFILE;
const inspector = PROFILE ? new Session() : undefined;
if (inspector) {
  inspector.connect();
  await inspector.post('Profiler.enable');
  mkdirSync(PROFILE!, { recursive: true });
}
let profiles = 0;

interface Got {
  headers: IncomingHttpHeaders;
  body: string;
}

async function listen(handler: (got: Got) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      handler({ headers: req.headers, body: Buffer.concat(parts).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":"EXT-1"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function open(store: 'sqlite' | 'postgres'): Promise<{ c: Callout; cleanup: () => Promise<void> }> {
  const logger = createLogger({ level: 'warn' });
  const webhooks: CalloutOptions['webhooks'] = {
    pollIntervalMs: 100,
    ...(NO_WORKER ? { delivery: false } : {}),
    ...(NO_YIELD ? { yieldToEngine: false } : {}),
  };
  if (store === 'sqlite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'callout-bench-wh-'));
    const c = await Callout.open({ dataDir, allowPrivateNetworks: true, logger, sqliteSynchronous: 'normal', webhooks });
    return { c, cleanup: async () => (await c.close(), rmSync(dataDir, { recursive: true, force: true })) };
  }
  const schema = `bench_wh_${randomBytes(4).toString('hex')}`;
  const pg = new PostgresStore({ connectionString: PG_URL, schema });
  const c = await Callout.open({ store: pg, secretKey: randomBytes(32).toString('hex'), allowPrivateNetworks: true, logger, webhooks });
  return {
    c,
    cleanup: async () => {
      await c.close();
      const admin = new PostgresStore({ connectionString: PG_URL });
      await admin.pool.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    },
  };
}

/** Every delivery signed with the secret; each action's events in sequence, none missing or repeated. */
function check(got: Got[], secret: string, N: number): { signed: number; inOrder: boolean } {
  const wh = new Webhook(secret);
  const seqs = new Map<string, number[]>();
  for (const g of got) {
    const e = wh.verify(g.body, g.headers as Record<string, string>) as { data: { actionId: string; sequence: number } };
    const list = seqs.get(e.data.actionId) ?? [];
    list.push(e.data.sequence);
    seqs.set(e.data.actionId, list);
  }
  const inOrder = seqs.size === N && [...seqs.values()].every((s) => s.length === 2 && s[0] === 1 && s[1] === 2);
  return { signed: got.length, inOrder };
}

async function run(store: 'sqlite' | 'postgres', subscribe: boolean, target: string, N: number): Promise<Record<string, number | boolean>> {
  const { c, cleanup } = await open(store);
  try {
    await c.connectors.create({ name: 'target', baseUrl: target, rateLimits: [] });
    await c.actionTypes.create({ name: 'ping', connector: 'target', method: 'POST', path: '/ok' });
    const got: Got[] = [];
    let lastDeliveryAt = 0;
    const rx = await listen((g) => {
      got.push(g);
      lastDeliveryAt = performance.now();
    });
    const secret = subscribe ? (await c.webhooks.create({ url: `${rx.url}/hook`, events: ['action.*'] })).secret : '';
    for (let i = 0; i < N; i += 1000)
      await c.actions.launchMany(Array.from({ length: Math.min(1000, N - i) }, () => ({ actionType: 'ping', input: {} })));
    const started = performance.now();
    const cpu = process.cpuUsage();
    const elu = performance.eventLoopUtilization();
    await inspector?.post('Profiler.start');
    c.start();
    let closedAt = 0;
    let deliveredWhileActions = 0;
    let cpuMsPerAction = 0;
    let loopBusy = 0;
    const wait = NO_WORKER || !subscribe ? 0 : 2 * N;
    for (;;) {
      if (!closedAt && (await c.store.countActions({ state: 'closed' })) >= N) {
        closedAt = performance.now();
        deliveredWhileActions = got.length;
        const used = process.cpuUsage(cpu);
        cpuMsPerAction = (used.user + used.system) / 1000 / N;
        loopBusy = performance.eventLoopUtilization(elu).utilization;
        if (inspector) {
          const { profile } = await inspector.post('Profiler.stop');
          writeFileSync(
            join(PROFILE!, `${++profiles}-${store}-${N}-${subscribe ? 'with' : 'without'}.cpuprofile`),
            JSON.stringify(profile),
          );
        }
      }
      if (closedAt && got.length >= wait) break;
      if (performance.now() - started > 600_000) throw new Error(`stuck: ${got.length} delivered`);
      await new Promise((r) => setTimeout(r, 10));
    }
    rx.server.close();
    const actionSeconds = (closedAt - started) / 1000;
    const out: Record<string, number | boolean> = {
      actions: N,
      actionSeconds: +actionSeconds.toFixed(2),
      actionsPerSecond: Math.round(N / actionSeconds),
      cpuMsPerAction: +cpuMsPerAction.toFixed(3),
      /** The share of the action phase this process's event loop was busy. */
      eventLoopUtilisation: +loopBusy.toFixed(2),
    };
    if (subscribe && !NO_WORKER) {
      const drainSeconds = Math.max(0, (lastDeliveryAt - closedAt) / 1000);
      const after = got.length - deliveredWhileActions;
      Object.assign(out, {
        deliveries: got.length,
        deliveredWhileActions,
        deliveriesPerSecondWhileActions: Math.round(deliveredWhileActions / actionSeconds),
        deliveriesPerSecondAfter: drainSeconds > 0 ? Math.round(after / drainSeconds) : 0,
        drainSecondsAfterActions: +drainSeconds.toFixed(2),
        deliveriesPerSecondOverall: Math.round(got.length / ((lastDeliveryAt - started) / 1000)),
        ...check(got, secret, N),
      });
    }
    return out;
  } finally {
    await cleanup();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const target = await listen(() => undefined);
const results = [];
for (const store of STORES) {
  const without: Array<Record<string, number | boolean>> = [];
  const withSub: Array<Record<string, number | boolean>> = [];
  // A warm-up (not reported): the first run of a process also pays for compiling its code.
  await run(store, true, target.url, Math.min(2000, ACTIONS));
  for (let i = 0; i < PAIRS; i++) {
    without.push(await run(store, false, target.url, ACTIONS));
    withSub.push(await run(store, true, target.url, ACTIONS));
  }
  const m = (runs: typeof without, key: string): number => median(runs.map((r) => r[key] as number));
  results.push({
    store,
    withoutSubscriber: without,
    withSubscriber: withSub,
    median: {
      actionsPerSecondWithout: m(without, 'actionsPerSecond'),
      actionsPerSecondWith: m(withSub, 'actionsPerSecond'),
      held: +(m(withSub, 'actionsPerSecond') / m(without, 'actionsPerSecond')).toFixed(2),
      cpuMsPerActionWithout: m(without, 'cpuMsPerAction'),
      cpuMsPerActionWith: m(withSub, 'cpuMsPerAction'),
      ...(NO_WORKER
        ? {}
        : {
            deliveriesPerSecondWhileActions: m(withSub, 'deliveriesPerSecondWhileActions'),
            deliveriesPerSecondAfter: m(withSub, 'deliveriesPerSecondAfter'),
            drainSecondsAfterActions: m(withSub, 'drainSecondsAfterActions'),
          }),
    },
  });
}
target.server.close();
console.log(
  JSON.stringify({ node: process.version, actions: ACTIONS, pairs: PAIRS, noWorker: NO_WORKER, noYield: NO_YIELD, results }, null, 2),
);
