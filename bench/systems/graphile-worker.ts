// graphile-worker 0.17 under test: addJobs in bulk, a runner with `concurrency` workers; "batched" turns
// on the options its performance guide names (a local queue, batched completions, Node's clock).

import { createRequire } from 'node:module';
import { Logger, makeWorkerUtils, run, type Runner, type WorkerUtils } from 'graphile-worker';
import { JobCall } from '../lib/job-call.ts';
import { dropSchema, pgQuery } from '../lib/pg.ts';
import { ENQUEUE_CHUNK, type BenchSystem, type JobSpec, type SystemContext } from './types.ts';

const version = (createRequire(import.meta.url)('graphile-worker/package.json') as { version: string }).version;
const quiet = new Logger(() => (level, message) => {
  if (level === 'error') process.stderr.write(`graphile-worker: ${message}\n`);
});

export async function createGraphileWorker(ctx: SystemContext, batched: boolean): Promise<BenchSystem> {
  const schema = `gw_${ctx.runId}`;
  const call = new JobCall(ctx.mockUrl, ctx.concurrency);
  const utils: WorkerUtils = await makeWorkerUtils({ connectionString: ctx.pgUrl, schema, logger: quiet });
  await utils.migrate();
  const worker = batched
    ? { localQueue: { size: ctx.concurrency }, completeJobBatchDelay: 0, failJobBatchDelay: 0, useNodeTime: true }
    : {};
  let runner: Runner | undefined;
  return {
    library: `graphile-worker ${version}`,
    settings: {
      concurrency: ctx.concurrency,
      maxPoolSize: ctx.pgPoolSize,
      pollInterval: 2000,
      ...worker,
      enqueue: `addJobs, ${ENQUEUE_CHUNK} per call`,
    },
    async enqueue(jobs: readonly JobSpec[]): Promise<string[]> {
      for (let i = 0; i < jobs.length; i += ENQUEUE_CHUNK) {
        const chunk = jobs.slice(i, i + ENQUEUE_CHUNK);
        await utils.addJobs(
          chunk.map((j) => ({
            identifier: 'call',
            payload: { key: j.key },
            ...(j.dueAt !== undefined ? { runAt: new Date(j.dueAt) } : {}),
          })),
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
        preset: { worker },
        taskList: {
          call: async (payload) => {
            const key = (payload as { key: string }).key;
            await call.send(key);
            ctx.onComplete(key);
          },
        },
      });
    },
    async pending() {
      const [r] = await pgQuery<{ n: string }>(`SELECT count(*) AS n FROM ${schema}._private_jobs`);
      return Number(r?.n ?? 0);
    },
    async close() {
      await runner?.stop();
      await utils.release();
      await call.close();
      await dropSchema(schema);
    },
  };
}
