// The embedded store with its SQLite work on a thread of its own. better-sqlite3 is synchronous: on the
// event loop, every claim, write and launch (with its fsync) stops HTTP, timers and the engine's own
// logic for as long as it runs — about half the thread under load. Here a worker thread holds a second
// connection to the same file and runs the store's operations; the event loop only posts them and
// awaits the answer, so store work and HTTP use both cores.
//
// The store's methods are async already, so this is a Proxy over an ordinary SqliteStore that forwards
// each call by name. What cannot cross a thread stays on this side's connection: migrations (before any
// call is forwarded), and `claimScheduleTicks`, which runs a function inside its transaction (rare: a
// schedule's tick). The claim's dueTimes callback is replaced by a list the worker returns.

import { Worker, type WorkerOptions } from 'node:worker_threads';
import { CalloutError, ConflictError, InvalidStateError, NotFoundError, SetupError, ValidationError } from '../../errors.ts';
import type { ActionWrite, ClaimParams, NewAction } from '../types.ts';
import type { Phase } from '../../lifecycle/states.ts';
import { prepareWrite } from './write-actions.ts';
import { prepareInserts } from './insert-actions.ts';
import { actionFromValues } from '../rows.ts';
import { SqliteStore, type SqliteStoreOptions } from './store.ts';
import { OutcomeUnknownError, StoreStoppedError } from '../failures.ts';
import type { Reply, Request, SyncFailed, ThreadData, ThreadError } from './thread-protocol.ts';

/** Run on this side's connection: they take functions, or manage the connection itself. */
const LOCAL = new Set<PropertyKey>(['migrate', 'claimScheduleTicks']);

/**
 * Operations whose arguments and results are plain JSON records (no Map, no undefined inside arrays),
 * which cross as JSON text. The claim, the write and the launch cross as arrays of strings and numbers instead,
 * prepared on this side (claimDueValues, writePrepared, insertPrepared), which the structured clone copies cheaply.
 */
export const JSON_OPS = new Set(['getAction']);

const ERROR_CLASSES: Record<string, { prototype: object }> = {
  CalloutError,
  ConflictError,
  InvalidStateError,
  NotFoundError,
  SetupError,
  ValidationError,
};

/** An error thrown on the thread as it would have been thrown here: same class, message and fields (e.g. `code`). */
function revive(e: ThreadError): Error {
  const err = Object.create((ERROR_CLASSES[e.name] ?? Error).prototype) as Error;
  Object.assign(err, e.props);
  Object.defineProperty(err, 'message', { value: e.message, writable: true, configurable: true });
  Object.defineProperty(err, 'name', { value: e.name, writable: true, configurable: true });
  Object.defineProperty(err, 'stack', { value: e.stack, writable: true, configurable: true });
  return err;
}

/** The process's Node options, less those that only make sense for a script given inline (`node -e`). */
function threadExecArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--input-type')) continue;
    if (['-e', '--eval', '-p', '--print'].includes(a)) {
      i++;
      continue;
    }
    if (/^--(eval|print)=/.test(a)) continue;
    out.push(a);
  }
  return out;
}

/**
 * A worker given the process's Node options that a thread can take. Node refuses a thread named V8's and
 * the process's own options (`--max-old-space-size`, `--title`: `node --max-old-space-size=4096 callout
 * serve` failed to start); they are the process's anyway, so they are left out, as Node lists them.
 */
function startWorker(url: URL, options: WorkerOptions): Worker {
  let execArgv = threadExecArgv(process.execArgv);
  for (;;) {
    try {
      return new Worker(url, { ...options, execArgv });
    } catch (err) {
      const refused = (err as { code?: string }).code === 'ERR_WORKER_INVALID_EXEC_ARGV' && /flags: (.*)$/.exec((err as Error).message);
      const names = refused ? refused[1]!.split(', ') : [];
      const rest = execArgv.filter((a) => !names.includes(a));
      if (rest.length === execArgv.length) throw err;
      execArgv = rest;
    }
  }
}

/** Replies awaited from the thread, by request id. */
type Pending = Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>;

/**
 * The worker thread and the calls waiting on it. A thread that dies (a native fault, out of memory)
 * fails the calls it held, as a dropped PostgreSQL connection would, and is started again: a store
 * that stopped answering would stop the engine. Five deaths in a minute and it stays down.
 *
 * What a dead thread knew is not lost with it: the calls it held may have committed (their outcome is
 * unknown, and they say so), its commits not yet synced are synced by its successor before anything is
 * claimed or read (a new store trusts no earlier commit: SqliteStore.onDisk), and a failed sync, which
 * stops the store until the process restarts, is kept here and handed to every later thread.
 */
class StoreThread {
  /** Started by the first call: a process that never calls (e.g. `callout migrate`) never waits on one booting. */
  private worker: Worker | undefined;
  private readonly pending: Pending = new Map();
  private nextId = 1;
  private down: Error | null = null;
  private deaths: number[] = [];
  /** A thread's log sync failed: the store stays stopped (wal-sync.ts), whichever thread runs it. */
  private syncFailure: string | null = null;

  constructor(
    private readonly data: Omit<ThreadData, 'syncFailure'>,
    private readonly logger: SqliteStoreOptions['logger'],
    private readonly onWorker?: (w: Worker) => void,
  ) {}

  private spawn(): Worker {
    const w = startWorker(new URL('./thread-boot.mjs', import.meta.url), {
      workerData: { ...this.data, syncFailure: this.syncFailure } satisfies ThreadData,
    });
    // The thread keeps the process alive only while a call is waiting for it.
    w.unref();
    this.worker = w;
    w.on('message', (m: Reply) => this.answer(m));
    w.on('error', (e) => this.lost(w, `failed: ${e.message}`));
    // An answer that could not be read here: which call it answered is unknown, so every call the
    // thread holds fails as if it had died, and it is replaced (the calls would otherwise wait forever).
    w.on('messageerror', (e) => {
      this.logger?.warn(`an answer from the SQLite thread could not be read (${e.message}); stopping the thread`);
      void w.terminate();
    });
    w.on('exit', (code) => this.lost(w, `stopped (exit code ${code})`));
    this.onWorker?.(w);
    return w;
  }

  private answer(m: Reply | SyncFailed): void {
    if ('syncFailed' in m) {
      this.syncFailure ??= m.syncFailed;
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker?.unref();
    if ('error' in m) p.reject(revive(m.error));
    else p.resolve('json' in m ? (m.json === undefined ? undefined : JSON.parse(m.json)) : m.value);
  }

  private lost(w: Worker, why: string): void {
    if (w !== this.worker) return; // its 'error' came first, and a new thread runs already
    const err = new OutcomeUnknownError(`the SQLite thread ${why}; what it was doing may or may not have been committed`);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    if (this.down) return;
    const now = Date.now();
    this.deaths = [...this.deaths.filter((t) => now - t < 60_000), now];
    if (this.deaths.length >= 5) {
      this.down = new StoreStoppedError(`the SQLite thread ${why}, five times in a minute: the store is unavailable until restarted`);
      this.logger?.warn(this.down.message);
      return;
    }
    this.logger?.warn(`the SQLite thread ${why}; starting it again`);
    this.spawn();
  }

  // The hot operations travel as JSON text: a string crosses by copy, and JSON.stringify/parse of
  // plain records costs less than the structured clone of the same objects (measured with bench A).
  call(op: string, args: unknown[]): Promise<unknown> {
    if (this.down) return Promise.reject(this.down);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const w = (this.worker ??= this.spawn());
      if (this.pending.size === 1) w.ref();
      w.postMessage(JSON_OPS.has(op) ? ({ id, op, json: JSON.stringify(args) } satisfies Request) : ({ id, op, args } satisfies Request));
    });
  }

  async close(): Promise<void> {
    if (this.down) return;
    if (!this.worker) {
      this.down = new StoreStoppedError('the store is closed');
      return;
    }
    await this.call('$close', []).catch(() => undefined);
    this.down = new StoreStoppedError('the store is closed');
    await this.worker?.terminate();
  }
}

/**
 * Opens the store on `opts.file` with its operations on a worker thread. The result is a SqliteStore
 * (same methods, same `db` for this side's connection), so it replaces one anywhere. `onWorker` sees
 * each thread started (tests stop one to see it replaced).
 */
export function openThreadedSqliteStore(opts: SqliteStoreOptions, onWorker?: (w: Worker) => void): SqliteStore {
  // The thread's connection does the writes, so its store is the one whose checkpoints move off it.
  const { backgroundCheckpoints = false, ...localOpts } = opts;
  const local = new SqliteStore(localOpts);
  const thread = new StoreThread(
    { file: opts.file, synchronous: opts.synchronous ?? 'full', backgroundCheckpoints, notificationsPerUser: opts.notificationsPerUser },
    opts.logger,
    onWorker,
  );
  const call = (op: string, args: unknown[]): Promise<unknown> => thread.call(op, args);

  const claimDue = async (p: ClaimParams): Promise<unknown> => {
    const { dueTimes, ...rest } = p;
    const r = (await call('claimDueValues', [{ ...rest, wantDueTimes: dueTimes !== undefined }])) as {
      rows: unknown[][];
      dues: number[];
      phases: Array<Phase | null>;
    };
    if (dueTimes) r.dues.forEach((d, i) => dueTimes(d, i, r.phases[i] ?? null));
    return r.rows.map(actionFromValues);
  };

  const close = async (): Promise<void> => {
    await thread.close();
    await local.close();
  };

  // What a write carries across: the values its statements bind (write-actions.ts), not the records.
  const writeActions = (writes: ActionWrite[]): Promise<unknown> => call('writePrepared', [writes.map(prepareWrite)]);
  const insertActions = (items: NewAction[]): Promise<unknown> => call('insertPrepared', [prepareInserts(items)]);

  // /health asks both connections: this side's and the thread's.
  const ping = async (): Promise<void> => {
    await local.ping();
    await call('ping', []);
  };

  // The store's own operations as they were at opening; one replaced later (a test's fault injection)
  // is called as it now is, here.
  const own = new Map<string, unknown>();
  for (let o: object | null = local; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null)
    for (const k of Object.getOwnPropertyNames(o)) if (!own.has(k)) own.set(k, (local as unknown as Record<string, unknown>)[k]);
  const forwarders = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  const overrides: Record<string, unknown> = { onThread: true, close, claimDue, ping, writeActions, insertActions };
  return new Proxy(local, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || LOCAL.has(prop)) return v;
      if (!own.has(prop) || own.get(prop) !== v) return v;
      if (prop in overrides) return overrides[prop];
      if (typeof v !== 'function') return v;
      let f = forwarders.get(prop);
      if (!f) forwarders.set(prop, (f = (...args: unknown[]) => call(prop, args)));
      return f;
    },
  });
}
