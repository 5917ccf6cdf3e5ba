// Workloads B-retry and B-timeout, per system: each schedules the same timers with its own public
// feature. Retry: the first send gets a 503 (the mock's /fail-then-ok), the second is due `intervalMs`
// after it. Timeout: a send that is never answered (/callback?never=1), and a timer `intervalMs` after
// the launch that marks it timed out.
//   Callout: an action type per interval (`retry` fixed, maxRetries 1; `completion.timeout`).
//   BullMQ: `attempts: 2` with a fixed `backoff` (a delayed job); the timeout is a job with `delay`.
//   graphile-worker: its own retries back off exponentially (not settable), so a failed job adds its
//   retry as a new job with `runAt`; the timeout is a job with `runAt`.

import { createRequire } from 'node:module';
import { Queue, Worker } from 'bullmq';
import { Logger, makeWorkerUtils, run, type Runner } from 'graphile-worker';
import { JobCall } from '../lib/job-call.ts';
import { dropSchema } from '../lib/pg.ts';
import { facade } from '../lib/facade.ts';
import { openCallout } from './callout.ts';
import { ENQUEUE_CHUNK, type SystemContext, type SystemName } from './types.ts';

export type TimerKind = 'retry' | 'timeout';
export const RETRY_PATH = '/fail-then-ok?times=1';
const NEVER_PATH = '/callback?never=1';

export interface TimerJob {
  /** The peers' Idempotency-Key; Callout uses the action id it creates. */
  key: string;
  intervalMs: number;
}

export interface TimerDriver {
  library: string;
  settings: Record<string, unknown>;
  /** Launches now; returns the keys the mock will see, in order. */
  launch(jobs: readonly TimerJob[]): Promise<string[]>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `onDone(key, firedAt, dueAt)`: retry — the second send succeeded (firedAt and dueAt NaN: the parent
 * takes both from the mock's log); timeout — the system's timer fired, against the due time it was given.
 */
export type OnDone = (key: string, firedAt: number, dueAt: number) => void;

export async function createTimerDriver(
  system: SystemName,
  kind: TimerKind,
  intervalsMs: readonly number[],
  ctx: Omit<SystemContext, 'onComplete'>,
  onDone: OnDone,
): Promise<TimerDriver> {
  if (system === 'callout-sqlite' || system === 'callout-postgres')
    return calloutDriver(system === 'callout-sqlite' ? 'sqlite' : 'postgres', kind, intervalsMs, ctx, onDone);
  if (system === 'bullmq') return bullmqDriver(kind, ctx, onDone);
  if (system === 'graphile-worker' || system === 'graphile-worker-batched')
    return graphileDriver(kind, ctx, onDone, system === 'graphile-worker-batched');
  throw new Error(`B-${kind}: ${system} is not measured (Callout, BullMQ and graphile-worker are)`);
}

async function calloutDriver(
  store: 'sqlite' | 'postgres',
  kind: TimerKind,
  intervalsMs: readonly number[],
  ctx: Omit<SystemContext, 'onComplete'>,
  onDone: OnDone,
): Promise<TimerDriver> {
  const u = await openCallout(ctx, store);
  const c = u.callout;
  // 503s by design: the circuit breaker would hold the connector, which is not what is measured.
  await facade.createConnector(c, { name: 'timers', baseUrl: ctx.mockUrl, auth: { type: 'none' }, timeout: '10s', circuitBreaker: false });
  const typeOf = new Map<number, string>();
  const intervalOfType = new Map<string, number>();
  for (const ms of intervalsMs) {
    const name = `${kind}-${ms}`;
    await facade.createActionType(c, {
      name,
      connector: 'timers',
      method: 'POST',
      path: kind === 'retry' ? RETRY_PATH : NEVER_PATH,
      body: { format: 'json', template: '{"a":"{{ $actionId }}"}' },
      ...(kind === 'retry'
        ? { retry: { maxRetries: 1, interval: `${ms}ms`, backoff: 'fixed' } }
        : { completion: { mode: 'callback', timeout: `${ms}ms` } }),
    });
    typeOf.set(ms, name);
    intervalOfType.set(await facade.actionTypeId(c, name), ms);
  }
  facade.onAction(c, (a) => {
    if (kind === 'retry' && a.state === 'closed') onDone(a.id, NaN, NaN);
    // The engine's own due time: the completion deadline, launch + timeout.
    if (kind === 'timeout' && a.state === 'todo')
      onDone(a.id, Date.now(), a.timeoutAt ?? a.createdAt + (intervalOfType.get(a.actionTypeId ?? '') ?? NaN));
  });
  return {
    library: 'callout',
    settings: { ...u.settings, kind, perInterval: 'one action type each', circuitBreaker: false },
    async launch(jobs) {
      const ids: string[] = [];
      for (let i = 0; i < jobs.length; i += ENQUEUE_CHUNK)
        ids.push(
          ...(await facade.launchMany(
            c,
            jobs.slice(i, i + ENQUEUE_CHUNK).map((j) => ({ actionType: typeOf.get(j.intervalMs)!, input: {} })),
          )),
        );
      return ids;
    },
    async start() {
      facade.start(c);
    },
    close: () => u.close(),
  };
}

async function bullmqDriver(kind: TimerKind, ctx: Omit<SystemContext, 'onComplete'>, onDone: OnDone): Promise<TimerDriver> {
  const version = (createRequire(import.meta.url)('bullmq/package.json') as { version: string }).version;
  const u = new URL(ctx.redisUrl);
  const connection = { host: u.hostname, port: Number(u.port || 6379), maxRetriesPerRequest: null };
  const name = `bench-${kind}-${ctx.runId}`;
  const queue = new Queue(name, { connection });
  const call = new JobCall(ctx.mockUrl, ctx.concurrency);
  let worker: Worker | undefined;
  return {
    library: `bullmq ${version}`,
    settings: {
      concurrency: ctx.concurrency,
      kind,
      how: kind === 'retry' ? 'attempts 2, backoff fixed' : 'the send, and a job with delay = timeout',
    },
    async launch(jobs) {
      for (let i = 0; i < jobs.length; i += ENQUEUE_CHUNK) {
        const now = Date.now();
        const chunk = jobs.slice(i, i + ENQUEUE_CHUNK);
        await queue.addBulk(
          kind === 'retry'
            ? chunk.map((j) => ({
                name: 'call',
                data: { key: j.key },
                opts: { attempts: 2, backoff: { type: 'fixed', delay: j.intervalMs } },
              }))
            : chunk.flatMap((j) => [
                { name: 'call', data: { key: j.key } },
                { name: 'timeout', data: { key: j.key, due: now + j.intervalMs }, opts: { delay: j.intervalMs } },
              ]),
        );
      }
      return jobs.map((j) => j.key);
    },
    async start() {
      worker = new Worker(
        name,
        async (job) => {
          const d = job.data as { key: string; due?: number };
          if (job.name === 'timeout') return void onDone(d.key, Date.now(), d.due!);
          await call.send(d.key, kind === 'retry' ? RETRY_PATH : NEVER_PATH);
          if (kind === 'retry') onDone(d.key, NaN, NaN);
        },
        { connection, concurrency: ctx.concurrency },
      );
      // The first attempt's 503 is expected: BullMQ reports it as a failed attempt, not an error.
      worker.on('error', (err) => process.stderr.write(`bullmq: ${err.message}\n`));
      await worker.waitUntilReady();
    },
    async close() {
      await worker?.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await call.close();
    },
  };
}

async function graphileDriver(
  kind: TimerKind,
  ctx: Omit<SystemContext, 'onComplete'>,
  onDone: OnDone,
  batched: boolean,
): Promise<TimerDriver> {
  const version = (createRequire(import.meta.url)('graphile-worker/package.json') as { version: string }).version;
  const quiet = new Logger(() => (level, message) => {
    if (level === 'error') process.stderr.write(`graphile-worker: ${message}\n`);
  });
  const schema = `gw_${ctx.runId}`;
  const call = new JobCall(ctx.mockUrl, ctx.concurrency);
  const utils = await makeWorkerUtils({ connectionString: ctx.pgUrl, schema, logger: quiet });
  await utils.migrate();
  const preset = batched
    ? { localQueue: { size: ctx.concurrency }, completeJobBatchDelay: 0, failJobBatchDelay: 0, useNodeTime: true }
    : {};
  let runner: Runner | undefined;
  type Payload = { key: string; intervalMs?: number; retried?: boolean; due?: number };
  return {
    library: `graphile-worker ${version}`,
    settings: {
      concurrency: ctx.concurrency,
      maxPoolSize: ctx.pgPoolSize,
      pollInterval: 2000,
      ...preset,
      kind,
      how:
        kind === 'retry'
          ? 'on a 503 the job adds its retry with runAt = now + interval'
          : 'the send, and a job with runAt = launch + timeout',
    },
    async launch(jobs) {
      for (let i = 0; i < jobs.length; i += ENQUEUE_CHUNK) {
        const now = Date.now();
        const chunk = jobs.slice(i, i + ENQUEUE_CHUNK);
        await utils.addJobs(
          kind === 'retry'
            ? chunk.map((j) => ({ identifier: 'call', payload: { key: j.key, intervalMs: j.intervalMs } }))
            : chunk.flatMap((j) => [
                { identifier: 'call', payload: { key: j.key } },
                { identifier: 'timeout', payload: { key: j.key, due: now + j.intervalMs }, runAt: new Date(now + j.intervalMs) },
              ]),
        );
      }
      return jobs.map((j) => j.key);
    },
    async start() {
      runner = await run({
        connectionString: ctx.pgUrl,
        schema,
        concurrency: ctx.concurrency,
        maxPoolSize: ctx.pgPoolSize,
        noHandleSignals: true,
        logger: quiet,
        preset: { worker: preset },
        taskList: {
          call: async (payload, helpers) => {
            const p = payload as Payload;
            if (kind === 'timeout') return void (await call.send(p.key, NEVER_PATH));
            try {
              await call.send(p.key, RETRY_PATH);
              onDone(p.key, NaN, NaN);
            } catch (err) {
              if (p.retried) throw err;
              await helpers.addJob('call', { ...p, retried: true }, { runAt: new Date(Date.now() + p.intervalMs!) });
            }
          },
          timeout: async (payload) => {
            const p = payload as Payload;
            onDone(p.key, Date.now(), p.due!);
          },
        },
      });
    },
    async close() {
      await runner?.stop();
      await utils.release();
      await call.close();
      await dropSchema(schema);
    },
  };
}
