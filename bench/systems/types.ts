// The interface every system under test implements, so one workload driver measures them all alike.

export interface JobSpec {
  /** The job's Idempotency-Key for peers; Callout uses the action id it generates instead. */
  key: string;
  /** When the job is due (epoch ms); absent means now. */
  dueAt?: number;
}

export interface SystemContext {
  mockUrl: string;
  /** Concurrent jobs (HTTP calls) in this process. */
  concurrency: number;
  /** The benchmark database (PostgreSQL). */
  pgUrl: string;
  /** Connections in each system's PostgreSQL pool. */
  pgPoolSize: number;
  redisUrl: string;
  /** Unique per run: names schemas, queues and folders. */
  runId: string;
  /** A fresh folder for this run. */
  workDir: string;
  sqliteSynchronous: 'full' | 'normal';
  /** Callout on SQLite: the store's work on its own thread, or on the event loop; unset, the product's default. */
  sqliteThread?: boolean;
  /** Callout's engine claim lead (ms); unset, the product's default. */
  claimLeadMs?: number;
  /** Called once per job when it has completed (for Callout: after the closing write committed). */
  onComplete: (key: string) => void;
}

export interface BenchSystem {
  /** e.g. "graphile-worker 0.17.3". */
  readonly library: string;
  /** The settings used, as reported with the results. */
  readonly settings: Record<string, unknown>;
  /** Adds jobs in bulk the way the library recommends; returns the keys the jobs will send. */
  enqueue(jobs: readonly JobSpec[]): Promise<string[]>;
  /** Starts the workers (jobs enqueued before wait until now). */
  start(): Promise<void>;
  /** Jobs not yet recorded as complete in the store: confirms the end of a drain. */
  pending(): Promise<number>;
  /** Stops the workers, then drops the run's schema, queue or files. */
  close(): Promise<void>;
}

export type SystemName =
  | 'callout-sqlite'
  | 'callout-sqlite-thread'
  | 'callout-sqlite-loop'
  | 'callout-postgres'
  | 'graphile-worker'
  | 'graphile-worker-batched'
  | 'pg-boss'
  | 'bullmq';

export const SYSTEMS: readonly SystemName[] = [
  'callout-sqlite',
  'callout-postgres',
  'graphile-worker',
  'graphile-worker-batched',
  'pg-boss',
  'bullmq',
];

/** Asked for by name only (A, B): Callout on SQLite with the store's work on its own thread (CALLOUT_SQLITE_THREAD=1) or on the event loop (=0); callout-sqlite is the default. */
export const EXTRA_SYSTEMS: readonly SystemName[] = ['callout-sqlite-thread', 'callout-sqlite-loop'];

/** Bulk enqueue chunk for every system: Callout's launchMany, addJobs, insert and addBulk alike. */
export const ENQUEUE_CHUNK = 5000;

export async function createSystem(name: SystemName, ctx: SystemContext): Promise<BenchSystem> {
  switch (name) {
    case 'callout-sqlite':
    case 'callout-postgres':
      return (await import('./callout.ts')).createCallout(ctx, name === 'callout-sqlite' ? 'sqlite' : 'postgres');
    case 'callout-sqlite-thread':
      return (await import('./callout.ts')).createCallout({ ...ctx, sqliteThread: true }, 'sqlite');
    case 'callout-sqlite-loop':
      return (await import('./callout.ts')).createCallout({ ...ctx, sqliteThread: false }, 'sqlite');
    case 'graphile-worker':
    case 'graphile-worker-batched':
      return (await import('./graphile-worker.ts')).createGraphileWorker(ctx, name === 'graphile-worker-batched');
    case 'pg-boss':
      return (await import('./pg-boss.ts')).createPgBoss(ctx);
    case 'bullmq':
      return (await import('./bullmq.ts')).createBullmq(ctx);
  }
}
