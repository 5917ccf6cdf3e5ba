// A hanging external system's backlog beside a healthy one, on one node with the default maxInFlight:
// how long the healthy system's actions wait (engine/bulkhead.ts), and what holding the backlog costs.
//   npx tsx bench/slow-system.ts [--store sqlite|postgres] [--slow 3000] [--healthy 2000] [--hang-ms 20000]
// The mock runs in this process on loopback; the healthy actions are launched 2 s after the slow ones,
// once the slow system's first wave has been in flight for a second.

import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Callout } from '../src/callout.ts';
import { createLogger } from '../src/logger.ts';
import { startMockServer } from '../src/mock/server.ts';
import { PostgresStore } from '../src/store/postgres/store.ts';
import { dropSchema, ensureBenchDatabase, PG_BENCH_URL } from './lib/pg.ts';

const { values: f } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    slow: { type: 'string', default: '3000' },
    healthy: { type: 'string', default: '2000' },
    'hang-ms': { type: 'string', default: '20000' },
  },
});
const logger = createLogger({ level: 'silent' });
const mock = await startMockServer();
const dataDir = mkdtempSync(join(tmpdir(), 'callout-bench-slow-'));
const schema = `bench_slow_${process.pid}`;
let store: PostgresStore | undefined;
if (f.store === 'postgres') {
  await ensureBenchDatabase();
  store = new PostgresStore({ connectionString: PG_BENCH_URL, schema, logger });
}
const c = await Callout.open({
  ...(store ? { store, secretKey: randomBytes(32).toString('hex') } : { dataDir }),
  allowPrivateNetworks: true,
  publicUrl: 'http://127.0.0.1:9',
  logger,
});
try {
  await c.connectors.create({ name: 'hanging', baseUrl: mock.url });
  await c.connectors.create({ name: 'healthy', baseUrl: mock.url });
  await c.actionTypes.create({ name: 'slow', connector: 'hanging', path: `/slow?ms=${Number(f['hang-ms'])}` });
  await c.actionTypes.create({ name: 'quick', connector: 'healthy', path: '/ok' });
  const slow = await c.actions.launchMany(Array.from({ length: Number(f.slow) }, () => ({ actionType: 'slow' })));
  c.start();
  await new Promise((r) => setTimeout(r, 2000));
  const t0 = Date.now();
  const quick = await c.actions.launchMany(Array.from({ length: Number(f.healthy) }, () => ({ actionType: 'quick' })));
  let closed = 0;
  while (closed < quick.length && Date.now() - t0 < 120_000) {
    await new Promise((r) => setTimeout(r, 100));
    closed = (await Promise.all(quick.map((id) => c.store.getAction(id)))).filter((a) => a?.state === 'closed').length;
  }
  const healthyMs = Date.now() - t0;
  const slowStates = await Promise.all(slow.map((id) => c.store.getAction(id)));
  console.log(
    JSON.stringify(
      {
        store: f.store,
        slowActions: slow.length,
        hangMs: Number(f['hang-ms']),
        healthyActions: quick.length,
        healthyClosed: closed,
        healthyAllClosedAfterMs: healthyMs,
        slowHeldThrottled: slowStates.filter((a) => a?.phase === 'throttled').length,
        // Every version is a write of the action's row: launch, claims, holds, the attempt.
        slowRowWritesMax: Math.max(...slowStates.map((a) => a?.version ?? 0)),
      },
      null,
      2,
    ),
  );
} finally {
  await c.close();
  await mock.close();
  rmSync(dataDir, { recursive: true, force: true });
  if (store) await dropSchema(schema);
}
process.exit(0);
