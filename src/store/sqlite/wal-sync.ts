// Group fsync of the write-ahead log, off the event loop. With `synchronous = FULL` SQLite fsyncs the
// log inside every commit, and better-sqlite3 runs that on the event loop: about half a millisecond
// per commit here, during which nothing else moves (bench A: ≈18 % of the loop in commits). The hot
// writes (launches, outcomes) commit with `NORMAL` instead, which writes the log without syncing it,
// and their promises resolve only once a datasync of the log file, on libuv's thread pool, has
// covered them: as durable as FULL for whoever awaits the write, and one sync serves every commit
// made while the previous one ran.
//
// Sound because the log is one file appended in order: a datasync writes every page of it that the
// commit touched, whichever descriptor it is called on. Checkpoints keep syncing themselves
// (NORMAL syncs the log before and the database after each one, and the log's header when the log
// is reused), so a commit already copied into the database is on disk too.

import { open } from 'node:fs/promises';

export class WalSync {
  /** The sync under way: it may have started before the caller's commit. */
  private current: Promise<void> | null = null;
  /** The next sync, not started yet: it covers every commit made before it starts. */
  private next: Promise<void> | null = null;
  /** Syncs run, for tests and benchmarks. */
  syncs = 0;

  /**
   * @param dbPath the database file's real path (symbolic links resolved: SQLite keeps the log beside
   * the file the link points to)
   */
  constructor(readonly dbPath: string) {
    this.walPath = `${dbPath}-wal`;
  }

  readonly walPath: string;

  /** Resolves when everything committed before the call is on disk; rejects when the sync failed. */
  sync(): Promise<void> {
    if (this.next) return this.next;
    const after = this.current ?? Promise.resolve();
    const next = after
      .catch(() => undefined)
      .then(() => {
        this.next = null;
        const run = this.datasync();
        this.current = run;
        run.then(
          () => this.settle(run),
          () => this.settle(run),
        );
        return run;
      });
    this.next = next;
    return next;
  }

  private settle(run: Promise<void>): void {
    if (this.current === run) this.current = null;
  }

  protected async datasync(): Promise<void> {
    this.syncs++;
    let fh;
    try {
      fh = await open(this.walPath, 'r+');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      // No log (SQLite removes it once all of it is copied into the database): the database, then.
      fh = await open(this.dbPath, 'r+');
    }
    try {
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }
}
