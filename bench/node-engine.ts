// One engine node for bench/nodes.ts: Callout on the shared PostgreSQL schema, engine only, until SIGTERM.

import { Callout } from '../src/callout.ts';
import { PostgresStore } from '../src/store/postgres/store.ts';
import { createLogger } from '../src/logger.ts';
import { PG_BENCH_URL } from './lib/pg.ts';

const store = new PostgresStore({ connectionString: PG_BENCH_URL, schema: process.env.BENCH_SCHEMA! });
const callout = await Callout.open({
  store,
  secretKey: process.env.BENCH_SECRET!,
  allowPrivateNetworks: true,
  logger: createLogger({ level: 'warn' }),
  engine: { maxInFlight: Number(process.env.BENCH_CONCURRENCY ?? 256), pollIntervalMs: 200 },
});
callout.start();
process.once('SIGTERM', () => void callout.close().then(() => process.exit(0)));
