// Group fsync of the write-ahead log, off the event loop. With `synchronous = FULL` SQLite fsyncs the
// log inside every commit, and better-sqlite3 runs that on the event loop: about half a millisecond
// per commit here, during which nothing else moves. The hot writes (launches, outcomes) commit with
// `NORMAL` instead, which writes the log without syncing it, and their promises resolve only once a
// datasync of the log file, on libuv's thread pool, has covered them; one sync serves every commit
// made while the previous one ran.
//
// What that guarantees, and what it does not:
// - Whoever awaits a launch or an outcome has it on disk, as with FULL: the log is one file written
//   in order, and a datasync of it writes every page a commit touched. SQLite still syncs the log
//   before each checkpoint, the database after it and a restarted log's header before reuse.
// - Between the commit and its sync the rows are visible to this store's readers. A claim that finds
//   an action written by such a commit waits for its sync before sending (SqliteStore.claimDueValues), and any FULL commit (configuration, webhook
//   deliveries) syncs everything before it; a page read in that window may show what a power cut
//   would take back. A process crash loses nothing: the log is in the kernel's cache.
// - A failed sync stops the store (fail-stop, as PostgreSQL does): the commit it covered is visible
//   but may not be on disk, and no later write could be trusted to be either. Every later sync, and
//   so every later launch and outcome, fails with the same error until the process restarts.
//
// One descriptor, opened at the first sync and kept: Linux reports a writeback error once per open
// file, so a descriptor opened after another one saw the error would be told nothing.

import { closeSync, fdatasync, openSync } from 'node:fs';
import { StoreStoppedError } from '../failures.ts';

export class WalSync {
  /** The sync under way: it may have started before the caller's commit. */
  private current: Promise<void> | null = null;
  /** The next sync, not started yet: it covers every commit made before it starts. */
  private next: Promise<void> | null = null;
  private fd: number | null = null;
  /** Commits made, and how many of them the last sync that ended covered. */
  private committed = 0;
  private synced = 0;
  /** Set by the first failed sync: the store stops. */
  failed: Error | null = null;
  /** Syncs run, for tests and benchmarks. */
  syncs = 0;
  readonly walPath: string;

  /**
   * @param dbPath the database file's real path (symbolic links resolved: SQLite keeps the log beside
   * the file the link points to)
   */
  constructor(readonly dbPath: string) {
    this.walPath = `${dbPath}-wal`;
  }

  /** A commit without its own fsync was made: the next sync covers it. */
  noteCommit(): void {
    this.committed++;
  }

  /** Commits made so far: the number of the last one. */
  get commitCount(): number {
    return this.committed;
  }

  /** Whether the commit numbered `n` (commitCount after it) is known to be on disk. */
  covers(n: number): boolean {
    return n <= this.synced;
  }

  /** Some commit is not known to be on disk yet. */
  get behind(): boolean {
    return this.synced < this.committed;
  }

  /** Resolves when everything committed before the call is on disk; rejects when the sync failed. */
  sync(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.next) return this.next;
    const after = this.current ?? Promise.resolve();
    const next = after
      .catch(() => undefined)
      .then(() => {
        this.next = null;
        const upTo = this.committed;
        let run: Promise<void>;
        try {
          run = this.failed ? Promise.reject(this.failed) : this.datasync();
        } catch (e) {
          run = Promise.reject(e as Error);
        }
        this.current = run;
        run.then(
          () => {
            this.synced = Math.max(this.synced, upTo);
            this.settle(run);
          },
          (e: unknown) => {
            this.failed ??= new StoreStoppedError(
              `the store could not make its writes durable (${(e as Error).message}); restart the process`,
              {
                cause: e,
              },
            );
            this.settle(run);
          },
        );
        return run.catch(() => Promise.reject(this.failed));
      });
    this.next = next;
    return next;
  }

  /** Waits for the syncs under way or about to start (before closing the file). */
  async idle(): Promise<void> {
    while (this.next || this.current) await (this.next ?? this.current)!.catch(() => undefined);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private settle(run: Promise<void>): void {
    if (this.current === run) this.current = null;
  }

  protected datasync(): Promise<void> {
    this.syncs++;
    // The log exists once anything was committed in WAL mode, and SQLite removes it only when the last
    // connection closes: this store's stays open while it syncs.
    this.fd ??= openSync(this.walPath, 'r+');
    const fd = this.fd;
    return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
  }
}
