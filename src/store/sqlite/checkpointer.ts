// WAL checkpoints on a thread of their own. SQLite copies its write-ahead log back into the database
// file once the log passes 1,000 pages, inside whichever commit crosses the mark: under load that is
// the writer's thread (the event loop, or the SQLite thread) stopped for a copy of 4 MB and an fsync
// of the file every second or so, and every timer due meanwhile waits for it. Here a worker thread
// with its own connection runs a PASSIVE checkpoint every CHECKPOINT_INTERVAL_MS: it copies what it
// can without waiting for the writer or blocking it, and the writer rewinds the log at its next
// commit once all of it is copied. The writer's own automatic checkpoint stays as a fallback, at
// FALLBACK_CHECKPOINT_PAGES, should this thread fall behind or stop.

import { Worker } from 'node:worker_threads';

/** How often the checkpoint runs: a few hundred pages each time under full load. */
export const CHECKPOINT_INTERVAL_MS = 100;
/** The writer's own automatic checkpoint while this one runs (64 MB of log). */
export const FALLBACK_CHECKPOINT_PAGES = 16_000;

export interface CheckpointerOptions {
  file: string;
  synchronous: 'full' | 'normal';
  intervalMs?: number;
  /** Told when a checkpoint fails (the file went away, a disk error); the next one is tried anyway. */
  onError?: (message: string) => void;
  /** Told once if the thread ends before `stop()` (it could not open the file, it crashed): the writer checkpoints again. */
  onLost?: () => void;
}

export class WalCheckpointer {
  private readonly worker: Worker;
  private stopped: Promise<void> | null = null;
  private exited = false;

  constructor(o: CheckpointerOptions) {
    // Plain JavaScript with better-sqlite3 alone: none of the process's Node options (a TypeScript
    // loader to boot; `--input-type`, which a thread started from a file refuses).
    this.worker = new Worker(new URL('./checkpointer-worker.mjs', import.meta.url), {
      workerData: { file: o.file, synchronous: o.synchronous, intervalMs: o.intervalMs ?? CHECKPOINT_INTERVAL_MS },
      execArgv: [],
    });
    // Never what keeps a process alive.
    this.worker.unref();
    this.worker.on('message', (m: { error?: string }) => {
      if (m.error) o.onError?.(m.error);
    });
    this.worker.on('error', (e) => o.onError?.(`the checkpoint thread failed: ${e.message}`));
    this.worker.on('exit', () => {
      this.exited = true;
      if (!this.stopped) o.onLost?.();
    });
  }

  /** Stops the thread after the checkpoint under way, if any; its connection closes. */
  stop(): Promise<void> {
    if (this.exited) this.stopped ??= Promise.resolve();
    this.stopped ??= new Promise<void>((resolve) => {
      // Held until it has exited: an unref'd thread alone would let the process end before.
      this.worker.ref();
      this.worker.once('exit', () => resolve());
      this.worker.postMessage('stop');
      // A thread that does not answer (stuck in a checkpoint of a dead disk) is ended.
      setTimeout(() => void this.worker.terminate(), 2000).unref();
    });
    return this.stopped;
  }
}
