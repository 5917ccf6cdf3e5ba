// Callout under test, as a library in this process, on the embedded SQLite store or on PostgreSQL.

import { join } from 'node:path';
import { SQLITE_THREAD_DEFAULT } from '../../src/settings.ts';
import { Callout } from '../../src/callout.ts';
import { createLogger } from '../../src/logger.ts';
import { dropSchema } from '../lib/pg.ts';
import { ENQUEUE_CHUNK, type BenchSystem, type JobSpec, type SystemContext } from './types.ts';

/** A fixed key: tokens and secrets are not what is measured. */
export const BENCH_SECRET_KEY = '6c0f3e1b9a4d27c85e1f0a3b6d9c2e4f7a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d';

export interface CalloutUnderTest {
  callout: Callout;
  settings: Record<string, unknown>;
  /** The schema a PostgreSQL run uses (dropped by close). */
  schema?: string;
  close(): Promise<void>;
}

/** Opens Callout for a run: a fresh SQLite folder, or a fresh PostgreSQL schema. */
export async function openCallout(
  ctx: Omit<SystemContext, 'onComplete'>,
  store: 'sqlite' | 'postgres',
  extra: { publicUrl?: string; maxInFlight?: number } = {},
): Promise<CalloutUnderTest> {
  const engine = {
    maxInFlight: extra.maxInFlight ?? ctx.concurrency,
    batchSize: 256,
    pollIntervalMs: 1000,
    ...(ctx.claimLeadMs !== undefined ? { claimLeadMs: ctx.claimLeadMs } : {}),
  };
  const logger = createLogger({ level: process.env.CALLOUT_LOG_LEVEL ?? 'warn' });
  const common = {
    secretKey: BENCH_SECRET_KEY,
    publicUrl: extra.publicUrl ?? 'http://127.0.0.1:3000',
    allowPrivateNetworks: true,
    logger,
    engine,
  };
  // Errors the engine recovers from (a dropped PostgreSQL connection) are worth seeing in a benchmark's output.
  const listenErrors = (c: Callout): void =>
    void c.engine.on('failure', (err) => process.stderr.write(`callout engine failure (recovering): ${(err as Error).message}\n`));
  if (store === 'sqlite') {
    const dataDir = join(ctx.workDir, 'callout');
    const sqliteThread = ctx.sqliteThread ?? SQLITE_THREAD_DEFAULT;
    const callout = await Callout.open({ ...common, dataDir, sqliteSynchronous: ctx.sqliteSynchronous, sqliteThread });
    listenErrors(callout);
    return {
      callout,
      settings: { store: 'sqlite', synchronous: ctx.sqliteSynchronous, sqliteThread, ...engine },
      close: () => callout.close(),
    };
  }
  // Loaded only when asked for, so the SQLite runs work while the PostgreSQL store is being written.
  const { PostgresStore } = await import('../../src/store/postgres/store.ts');
  const schema = `co_${ctx.runId}`;
  const pgStore = new PostgresStore({ connectionString: ctx.pgUrl, schema, poolSize: ctx.pgPoolSize, logger });
  const callout = await Callout.open({ ...common, store: pgStore });
  listenErrors(callout);
  return {
    callout,
    schema,
    settings: { store: 'postgres', poolSize: ctx.pgPoolSize, ...engine },
    close: async () => {
      await callout.close();
      await dropSchema(schema);
    },
  };
}

/** The benchmark's connector and action type: POST /ok with `{"a": "<action id>"}`. */
export async function defineBenchActionType(callout: Callout, mockUrl: string, name = 'bench-ok', path = '/ok'): Promise<void> {
  await callout.connectors.create({ name: `${name}-mock`, baseUrl: mockUrl, auth: { type: 'none' }, timeout: '10s' });
  await callout.actionTypes.create({
    name,
    connector: `${name}-mock`,
    method: 'POST',
    path,
    body: { format: 'json', template: '{"a":"{{ $actionId }}"}' },
  });
}

export async function createCallout(ctx: SystemContext, store: 'sqlite' | 'postgres'): Promise<BenchSystem> {
  const u = await openCallout(ctx, store);
  const { callout } = u;
  await defineBenchActionType(callout, ctx.mockUrl);
  let closed = 0;
  let launched = 0;
  callout.engine.on('action', (a) => {
    if (a.state === 'closed') {
      closed++;
      ctx.onComplete(a.id);
    }
  });
  return {
    library: `callout ${process.env.npm_package_version ?? ''}`.trim(),
    settings: { ...u.settings, launch: `launchMany, ${ENQUEUE_CHUNK} per transaction` },
    async enqueue(jobs: readonly JobSpec[]): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < jobs.length; i += ENQUEUE_CHUNK) {
        const chunk = jobs.slice(i, i + ENQUEUE_CHUNK);
        // Timers (workload B) are launches with startAt, as an integrator would schedule them.
        ids.push(
          ...(await callout.actions.launchMany(
            chunk.map((j) => ({ actionType: 'bench-ok', input: {}, ...(j.dueAt !== undefined ? { startAt: j.dueAt } : {}) })),
          )),
        );
      }
      launched += ids.length;
      return ids;
    },
    async start() {
      callout.start();
    },
    async pending() {
      return launched - closed;
    },
    close: () => u.close(),
  };
}
