// Response mapping: JSONata expressions compiled when an action type is saved (a syntax error is
// refused with its position) and evaluated against a response or callback body.
//
// Expressions are written by builders but run over data from outside, and JSONata can loop forever,
// recurse, build huge values or backtrack in a regex. So they never run on the main thread: a small
// pool of worker threads evaluates them under limits on time, depth and size (mapping-worker.mjs),
// and a worker that overruns the hard deadline or its memory is terminated and replaced. A broken
// limit fails that one evaluation with a MappingLimitError naming the limit; the process goes on.

import { Worker } from 'node:worker_threads';
import jsonata from 'jsonata';
import { CalloutError, type Problems } from '../errors.ts';
import { MAX_JSON_DEPTH, MAX_OUTPUT_BYTES, jsonProblem } from '../json-limits.ts';

/** Longest one evaluation may run (JSONata's own timeout, checked between steps). */
export const EXPRESSION_TIME_LIMIT_MS = 250;
/** Deepest nesting of evaluation (recursion) in one evaluation. */
export const EXPRESSION_DEPTH_LIMIT = 200;
/** Most items in one sequence an expression builds (`[1..5000000]` is refused). */
export const EXPRESSION_SEQUENCE_LIMIT = 100_000;
/** Largest result, as JSON; also the largest string built on the way. */
export const EXPRESSION_RESULT_LIMIT_BYTES = MAX_OUTPUT_BYTES;
/**
 * A native step JSONata cannot interrupt (a regex, a huge `$pad`) is stopped by terminating its worker
 * at this point. Wall time seen from the main thread, so it leaves room for a busy machine.
 */
const HARD_DEADLINE_MS = 4 * EXPRESSION_TIME_LIMIT_MS;
/** Heap of one worker: a value that outgrows it ends the worker, not the process. */
const WORKER_HEAP_MB = 128;
const POOL_SIZE = 2;

export interface ResponseMappingSpec {
  /** Condition on the response body that must hold for success (response mode). */
  successWhen: string | null;
  /** Expression whose result becomes the action's output and is merged into case data. */
  output: string | null;
  /** Expression giving the external system's reference from the accepting response. */
  externalReference: string | null;
  /** Expression giving the rejected reason when successWhen fails. */
  rejectedReason: string | null;
}

/** A checked expression: its text (evaluated in a worker) and the field it came from, for messages. */
export interface CompiledExpression {
  readonly source: string;
  readonly field: string;
}
export type CompiledMapping = { [K in keyof ResponseMappingSpec]: CompiledExpression | null };

export const MAPPING_KEYS = ['successWhen', 'output', 'externalReference', 'rejectedReason'] as const;

export function compileExpression(p: Problems, text: string | null, field: string): CompiledExpression | null {
  if (text === null) return null;
  try {
    jsonata(text);
    return { source: text, field };
  } catch (e) {
    const err = e as { position?: number; message?: string };
    p.add(field, `is not a valid JSONata expression at position ${err.position ?? 0}: ${err.message ?? String(e)}`);
    return null;
  }
}

export interface MappingContext {
  status?: number;
  headers?: Record<string, string>;
  input: Record<string, unknown>;
}

export type MappingLimit = 'time' | 'depth' | 'size' | 'memory';

/** An expression failed: `limit` says which limit it broke, if it broke one. The message starts with the field. */
export class MappingError extends CalloutError {
  constructor(
    message: string,
    readonly limit: MappingLimit | undefined,
  ) {
    super('MAPPING_FAILED', message);
    this.name = 'MappingError';
  }
}

const LIMIT_TEXT: Record<MappingLimit, string> = {
  time: `exceeded the time limit of ${EXPRESSION_TIME_LIMIT_MS} ms`,
  depth: `exceeded the depth limit of ${EXPRESSION_DEPTH_LIMIT} nested evaluations`,
  size: `exceeded the size limit`,
  memory: `exceeded the memory limit of ${WORKER_HEAP_MB} MB`,
};

function failure(expr: CompiledExpression, limit: MappingLimit | undefined, detail: string, timeLimitMs?: number): MappingError {
  if (limit === undefined) return new MappingError(`${expr.field} failed: ${detail}`, undefined);
  const why =
    limit === 'size'
      ? `${LIMIT_TEXT.size} (${detail})`
      : limit === 'time' && timeLimitMs !== undefined
        ? `exceeded the time limit of ${timeLimitMs} ms`
        : LIMIT_TEXT[limit];
  return new MappingError(`${expr.field} ${why}`, limit);
}

/**
 * Evaluates one expression with `$status`, `$headers` and `$input` bound; undefined when it yields
 * nothing. Throws a MappingError when the expression fails or breaks a limit; the result is plain
 * JSON within the size and depth limits.
 */
export async function evaluate(expr: CompiledExpression, body: unknown, ctx: MappingContext): Promise<unknown> {
  return evaluateLimited(expr, body, { status: ctx.status, headers: ctx.headers, input: ctx.input });
}

/** Tighter limits for one evaluation than the pool's (never looser: the pool's stay the ceiling). */
export interface EvaluationLimits {
  timeLimitMs?: number;
  depthLimit?: number;
  sequenceLimit?: number;
  /** Refuse a result holding a function instead of dropping it silently (process expressions). */
  refuseFunctions?: boolean;
}

/** Evaluates `expr` over `input` in the worker pool with these bindings; see evaluate(). */
export async function evaluateLimited(
  expr: CompiledExpression,
  input: unknown,
  bindings: Record<string, unknown>,
  limits: EvaluationLimits = {},
): Promise<unknown> {
  const json = await pool.run(expr, input ?? {}, bindings, {
    timeLimitMs: Math.min(limits.timeLimitMs ?? EXPRESSION_TIME_LIMIT_MS, EXPRESSION_TIME_LIMIT_MS),
    depthLimit: Math.min(limits.depthLimit ?? EXPRESSION_DEPTH_LIMIT, EXPRESSION_DEPTH_LIMIT),
    sequenceLimit: Math.min(limits.sequenceLimit ?? EXPRESSION_SEQUENCE_LIMIT, EXPRESSION_SEQUENCE_LIMIT),
    refuseFunctions: limits.refuseFunctions ?? false,
  });
  if (json === undefined) return undefined;
  const value: unknown = JSON.parse(json);
  const problem = jsonProblem(value, { maxDepth: MAX_JSON_DEPTH, maxBytes: EXPRESSION_RESULT_LIMIT_BYTES });
  if (problem) {
    const limit = problem.includes('deeper') ? 'depth' : 'size';
    throw new MappingError(`${expr.field} exceeded the ${limit} limit: its result ${problem}`, limit);
  }
  return value;
}

interface JobLimits {
  timeLimitMs: number;
  depthLimit: number;
  sequenceLimit: number;
  refuseFunctions: boolean;
}

interface Job {
  id: number;
  expr: CompiledExpression;
  input: unknown;
  bindings: Record<string, unknown>;
  limits: JobLimits;
  resolve: (json: string | undefined) => void;
  reject: (err: unknown) => void;
}

interface Slot {
  worker: Worker;
  /** The worker has loaded JSONata and takes jobs. */
  ready: boolean;
  job: Job | null;
  timer: NodeJS.Timeout | null;
}

type Reply = { id: number; json?: string; error?: { message: string; limit?: MappingLimit }; retire?: boolean };

/** How long an expression that ran into the time limit may hold only one worker. */
const SLOW_FOR_MS = 60_000;

/**
 * Workers made on first use; each runs one job at a time, so a job's time is its own. Jobs wait in one
 * queue per expression, served in turn, and an expression that recently ran into the time limit holds
 * at most one worker: forty launches of one slow mapping (a regex that backtracks) once kept every
 * other mapping and process expression of the node waiting 24 s; now they wait for one job at most.
 */
class WorkerPool {
  private slots: Slot[] = [];
  /** Waiting jobs by expression source; the Map's order is the turn (served ones go to the back). */
  private queues = new Map<string, Job[]>();
  private running = new Map<string, number>();
  private slowUntil = new Map<string, number>();
  private nextId = 0;
  private startFailed = false;

  run(expr: CompiledExpression, input: unknown, bindings: Record<string, unknown>, limits: JobLimits): Promise<string | undefined> {
    // A thread that could not start is tried again for each new evaluation, not in a loop.
    this.startFailed = false;
    return new Promise((resolve, reject) => {
      const job = { id: this.nextId++, expr, input, bindings, limits, resolve, reject };
      const q = this.queues.get(expr.source);
      if (q) q.push(job);
      else this.queues.set(expr.source, [job]);
      this.pump();
    });
  }

  /** The next job in turn, skipping an expression that is slow and already running. */
  private take(): Job | undefined {
    const now = performance.now();
    for (const [source, q] of this.queues) {
      const slow = (this.slowUntil.get(source) ?? 0) > now;
      if (slow && (this.running.get(source) ?? 0) > 0) continue;
      const job = q.shift()!;
      this.queues.delete(source);
      if (q.length > 0) this.queues.set(source, q);
      this.running.set(source, (this.running.get(source) ?? 0) + 1);
      return job;
    }
    return undefined;
  }

  private pump(): void {
    while (this.queues.size > 0) {
      const slot = this.slots.find((s) => s.ready && s.job === null);
      if (!slot) {
        // Still starting workers are counted: the job waits for one to say it is ready.
        if (this.slots.length < POOL_SIZE && !this.startFailed) this.spawn();
        return;
      }
      const job = this.take();
      if (!job) return;
      try {
        slot.worker.postMessage({ id: job.id, source: job.expr.source, input: job.input, bindings: job.bindings, limits: job.limits });
      } catch (err) {
        // A value too deep to pass to the worker (a response body nested thousands deep): this job fails, not the pool.
        const deep = err instanceof RangeError;
        this.finished(job, undefined);
        job.reject(failure(job.expr, deep ? 'depth' : undefined, deep ? 'the value to map is nested too deeply' : (err as Error).message));
        continue;
      }
      slot.job = job;
      slot.worker.ref();
      slot.timer = setTimeout(() => this.kill(slot, 'time', 'still running at the hard deadline'), HARD_DEADLINE_MS);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./mapping-worker.mjs', import.meta.url), {
      workerData: {
        timeLimitMs: EXPRESSION_TIME_LIMIT_MS,
        depthLimit: EXPRESSION_DEPTH_LIMIT,
        sequenceLimit: EXPRESSION_SEQUENCE_LIMIT,
        resultLimitBytes: EXPRESSION_RESULT_LIMIT_BYTES,
      },
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
      // Plain JavaScript: none of the process's Node options. Inherited, `--input-type` (an embedder's
      // `node --input-type=module -e`) made every thread fail to start, and each evaluation wait for ever.
      execArgv: [],
    });
    const slot: Slot = { worker, ready: false, job: null, timer: null };
    // Referenced while starting with jobs waiting, so a short-lived program does not exit under them.
    if (this.queues.size === 0) worker.unref();
    worker.on('message', (reply: Reply | { ready: true }) => {
      if ('ready' in reply) {
        slot.ready = true;
        worker.unref();
        return this.pump();
      }
      const job = slot.job;
      if (!job || reply.id !== job.id) return;
      this.settle(slot);
      this.finished(job, reply.error?.limit);
      if (reply.error) job.reject(failure(job.expr, reply.error.limit, reply.error.message, job.limits.timeLimitMs));
      else job.resolve(reply.json);
      if (reply.retire) this.retire(slot);
      this.pump();
    });
    worker.on('error', (err: Error & { code?: string }) => {
      const memory = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.kill(slot, memory ? 'memory' : undefined, memory ? 'out of memory' : err.message);
    });
    worker.on('exit', () => this.kill(slot, undefined, 'the evaluating thread stopped'));
    this.slots.push(slot);
    return slot;
  }

  private settle(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.job = null;
    slot.worker.unref();
  }

  /** Ends an idle worker that asked not to be used again; the next evaluation starts another. */
  private retire(slot: Slot): void {
    this.slots = this.slots.filter((s) => s !== slot);
    void slot.worker.terminate();
  }

  /** Ends a worker (overrun, out of memory, crashed): its job fails with the limit, the others go on. */
  private kill(slot: Slot, limit: MappingLimit | undefined, detail: string): void {
    if (!this.slots.includes(slot)) return;
    this.slots = this.slots.filter((s) => s !== slot);
    const job = slot.job;
    this.settle(slot);
    void slot.worker.terminate();
    if (job) {
      this.finished(job, limit);
      job.reject(failure(job.expr, limit, detail));
    }
    // One that died starting (its module would not load) would die again: starting another at once
    // spun for ever while the jobs waited. None is started until the next evaluation asks; the waiting
    // jobs fail unless a running thread can take them.
    if (!slot.ready) {
      this.startFailed = true;
      if (!this.slots.some((s) => s.ready)) {
        const waiting = [...this.queues.values()].flat();
        this.queues.clear();
        for (const j of waiting) j.reject(failure(j.expr, undefined, `the evaluating thread could not start (${detail})`));
        return;
      }
    }
    this.pump();
  }

  /** A job is done: its expression runs one fewer, and is slow for a while if it ran out of time. */
  private finished(job: Job, limit: MappingLimit | undefined): void {
    const source = job.expr.source;
    const n = (this.running.get(source) ?? 1) - 1;
    if (n > 0) this.running.set(source, n);
    else this.running.delete(source);
    if (limit === 'time') this.slowUntil.set(source, performance.now() + SLOW_FOR_MS);
    // Forgotten once cool: the map holds only expressions that were slow in the last minute.
    for (const [s, until] of this.slowUntil) if (until <= performance.now()) this.slowUntil.delete(s);
  }
}

const pool = new WorkerPool();
