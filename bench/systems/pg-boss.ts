// pg-boss 10 under test: insert in bulk, workers fetching batches. pg-boss 10 has no LISTEN/NOTIFY:
// its workers poll, at most every 0.5 s, and wait out the rest of the interval after each batch.

import { createRequire } from 'node:module';
import PgBoss from 'pg-boss';
import { JobCall } from '../lib/job-call.ts';
import { dropSchema, pgQuery } from '../lib/pg.ts';
import { ENQUEUE_CHUNK, type BenchSystem, type JobSpec, type SystemContext } from './types.ts';

const version = (createRequire(import.meta.url)('pg-boss/package.json') as { version: string }).version;
/** Workers (polling loops); each fetches concurrency / WORKERS jobs and runs them at once. */
const WORKERS = 4;
const QUEUE = 'call';

export async function createPgBoss(ctx: SystemContext): Promise<BenchSystem> {
  const schema = `pgb_${ctx.runId}`;
  const call = new JobCall(ctx.mockUrl, ctx.concurrency);
  const boss = new PgBoss({ connectionString: ctx.pgUrl, schema, max: ctx.pgPoolSize, supervise: true, schedule: false, migrate: true });
  boss.on('error', (err: Error) => process.stderr.write(`pg-boss: ${err.message}\n`));
  await boss.start();
  await boss.createQueue(QUEUE);
  const batchSize = Math.max(1, Math.round(ctx.concurrency / WORKERS));
  return {
    library: `pg-boss ${version}`,
    settings: {
      workers: WORKERS,
      batchSize,
      pollingIntervalSeconds: 0.5,
      supervise: true,
      max: ctx.pgPoolSize,
      listenNotify: 'not in pg-boss 10 (polling)',
      enqueue: `insert, ${ENQUEUE_CHUNK} per call`,
    },
    async enqueue(jobs: readonly JobSpec[]): Promise<string[]> {
      for (let i = 0; i < jobs.length; i += ENQUEUE_CHUNK) {
        const chunk = jobs.slice(i, i + ENQUEUE_CHUNK);
        await boss.insert(
          chunk.map((j) => ({ name: QUEUE, data: { key: j.key }, ...(j.dueAt !== undefined ? { startAfter: new Date(j.dueAt) } : {}) })),
        );
      }
      return jobs.map((j) => j.key);
    },
    async start() {
      for (let w = 0; w < WORKERS; w++) {
        await boss.work<{ key: string }>(QUEUE, { batchSize, pollingIntervalSeconds: 0.5 }, async (jobs) => {
          await Promise.all(
            jobs.map(async (job) => {
              await call.send(job.data.key);
              ctx.onComplete(job.data.key);
            }),
          );
        });
      }
    },
    async pending() {
      const [r] = await pgQuery<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.job WHERE name = $1 AND state < 'completed'`, [QUEUE]);
      return Number(r?.n ?? 0);
    },
    async close() {
      await boss.stop({ graceful: true, wait: true, timeout: 5000 });
      await call.close();
      await dropSchema(schema);
    },
  };
}
