// BullMQ under test on the local Redis: addBulk in chunks, one Worker with `concurrency`.

import { createRequire } from 'node:module';
import { Queue, Worker } from 'bullmq';
import { JobCall } from '../lib/job-call.ts';
import { ENQUEUE_CHUNK, type BenchSystem, type JobSpec, type SystemContext } from './types.ts';

const version = (createRequire(import.meta.url)('bullmq/package.json') as { version: string }).version;

export async function createBullmq(ctx: SystemContext): Promise<BenchSystem> {
  const u = new URL(ctx.redisUrl);
  const connection = { host: u.hostname, port: Number(u.port || 6379), maxRetriesPerRequest: null };
  const name = `bench-${ctx.runId}`;
  const queue = new Queue(name, { connection });
  const call = new JobCall(ctx.mockUrl, ctx.concurrency);
  let worker: Worker | undefined;
  return {
    library: `bullmq ${version}`,
    settings: { concurrency: ctx.concurrency, removeOnComplete: 'default (kept)', enqueue: `addBulk, ${ENQUEUE_CHUNK} per call` },
    async enqueue(jobs: readonly JobSpec[]): Promise<string[]> {
      for (let i = 0; i < jobs.length; i += ENQUEUE_CHUNK) {
        const chunk = jobs.slice(i, i + ENQUEUE_CHUNK);
        const now = Date.now();
        await queue.addBulk(
          chunk.map((j) => ({
            name: 'call',
            data: { key: j.key },
            opts: j.dueAt !== undefined ? { delay: Math.max(0, j.dueAt - now) } : {},
          })),
        );
      }
      return jobs.map((j) => j.key);
    },
    async start() {
      worker = new Worker(
        name,
        async (job) => {
          const key = (job.data as { key: string }).key;
          await call.send(key);
          ctx.onComplete(key);
        },
        { connection, concurrency: ctx.concurrency },
      );
      worker.on('error', (err) => process.stderr.write(`bullmq: ${err.message}\n`));
      await worker.waitUntilReady();
    },
    async pending() {
      const c = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children');
      return Object.values(c).reduce((a, b) => a + b, 0);
    },
    async close() {
      await worker?.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await call.close();
    },
  };
}
