// Webhook delivery at scale: `npx tsx bench/webhooks.ts [actions=10000] [sqlite|postgres]`.
// Runs the same launch of N actions (each answered 200 at once by a loopback system) twice: without
// any subscription, then with one subscription to `action.*` (two events per action: launched and
// state_changed) on a loopback receiver. Prints the actions' own rate in both runs and the delivery
// rate of the second, as JSON. The receiver and the target run in this process too, so they share
// its CPU with the engine. BENCH_NO_WORKER=1 stops the delivery worker: the outbox's own cost alone.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Callout } from '../src/callout.ts';
import { createLogger } from '../src/logger.ts';
import { PostgresStore } from '../src/store/postgres/store.ts';

const N = Number(process.argv[2] ?? 10_000);
const STORE = (process.argv[3] ?? 'sqlite') as 'sqlite' | 'postgres';
const PG_URL = process.env.CALLOUT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function listen(handler: (body: string) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      handler(Buffer.concat(parts).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":"EXT-1"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function open(): Promise<{ c: Callout; cleanup: () => Promise<void> }> {
  const logger = createLogger({ level: 'warn' });
  if (STORE === 'sqlite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'callout-bench-wh-'));
    const c = await Callout.open({
      dataDir,
      allowPrivateNetworks: true,
      logger,
      sqliteSynchronous: 'normal',
      webhooks: { pollIntervalMs: 100 },
    });
    return { c, cleanup: async () => (await c.close(), rmSync(dataDir, { recursive: true, force: true })) };
  }
  const schema = `bench_wh_${randomBytes(4).toString('hex')}`;
  const store = new PostgresStore({ connectionString: PG_URL, schema });
  const c = await Callout.open({
    store,
    secretKey: randomBytes(32).toString('hex'),
    allowPrivateNetworks: true,
    logger,
    webhooks: { pollIntervalMs: 100 },
  });
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

async function run(subscribe: boolean, target: string): Promise<Record<string, number>> {
  const { c, cleanup } = await open();
  try {
    await c.connectors.create({ name: 'target', baseUrl: target, rateLimits: [] });
    await c.actionTypes.create({ name: 'ping', connector: 'target', method: 'POST', path: '/ok' });
    let delivered = 0;
    let lastDeliveryAt = 0;
    const rx = await listen(() => {
      delivered++;
      lastDeliveryAt = performance.now();
    });
    if (subscribe) await c.webhooks.create({ url: `${rx.url}/hook`, events: ['action.*'] });
    for (let i = 0; i < N; i += 1000)
      await c.actions.launchMany(Array.from({ length: Math.min(1000, N - i) }, () => ({ actionType: 'ping', input: {} })));
    const started = performance.now();
    c.start();
    if (process.env.BENCH_NO_WORKER) await c.webhookWorker.stop();
    let closedAt = 0;
    for (;;) {
      const closed = await c.store.countActions({ state: 'closed' });
      if (closed >= N && !closedAt) closedAt = performance.now();
      if (closedAt && (!subscribe || delivered >= 2 * N || process.env.BENCH_NO_WORKER)) break;
      if (performance.now() - started > 600_000) throw new Error(`stuck: ${closed} closed, ${delivered} delivered`);
      await new Promise((r) => setTimeout(r, 20));
    }
    rx.server.close();
    const actionSeconds = (closedAt - started) / 1000;
    const out: Record<string, number> = {
      actions: N,
      actionSeconds: +actionSeconds.toFixed(2),
      actionsPerSecond: Math.round(N / actionSeconds),
    };
    if (subscribe) {
      const deliverySeconds = (lastDeliveryAt - started) / 1000;
      Object.assign(out, {
        deliveries: delivered,
        deliverySeconds: +deliverySeconds.toFixed(2),
        deliveriesPerSecond: Math.round(delivered / deliverySeconds),
      });
    }
    return out;
  } finally {
    await cleanup();
  }
}

const target = await listen(() => undefined);
const without = await run(false, target.url);
const withSub = await run(true, target.url);
target.server.close();
console.log(JSON.stringify({ store: STORE, node: process.version, withoutSubscriber: without, withSubscriber: withSub }, null, 2));
