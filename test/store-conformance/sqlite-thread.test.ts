// The embedded store with its SQLite work on a worker thread (src/store/sqlite/thread.ts): what only
// that arrangement can get wrong. Everything else it is held to by the rest of this suite, which runs
// it as a third store ("SqliteStore (thread)").

import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConflictError } from '../../src/errors.ts';
import { isOutcomeUnknown } from '../../src/store/failures.ts';
import { openThreadedSqliteStore } from '../../src/store/sqlite/thread.ts';
import type { SqliteStore } from '../../src/store/sqlite/store.ts';
import { T0, launched } from './stores.ts';

describe('SqliteStore on its thread', () => {
  let dir: string;
  let store: SqliteStore;
  const workers: Worker[] = [];
  const warnings: string[] = [];
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'callout-thread-'));
    workers.length = 0;
    warnings.length = 0;
    const logger = { warn: (m: unknown) => void warnings.push(String(m)) } as unknown as Parameters<
      typeof openThreadedSqliteStore
    >[0]['logger'];
    store = openThreadedSqliteStore({ file: join(dir, 'callout.db'), synchronous: 'normal', logger }, (w) => workers.push(w));
    await store.migrate();
    // The thread starts with the first call.
    expect(workers).toHaveLength(0);
    await store.ping();
    expect(workers).toHaveLength(1);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an error thrown on the thread arrives as the same class, with its message', async () => {
    await store.insertActions([launched({}, { launchKey: 'k', launchHash: 'h1' })]);
    const e = await store.insertActions([launched({}, { launchKey: 'k', launchHash: 'h2' })]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConflictError);
    expect((e as ConflictError).code).toBe('CONFLICT');
    expect((e as Error).message).toMatch(/key/i);
  });

  it('a thread that dies is started again, and the store answers with everything committed before', async () => {
    const item = launched({ dueAt: T0 });
    await store.insertActions([item]);
    await workers[0]!.terminate();
    // The replacement is there at once: the next call goes to it.
    expect(workers).toHaveLength(2);
    expect((await store.getAction(item.action.id))?.id).toBe(item.action.id);
    expect(warnings.join('\n')).toMatch(/SQLite thread stopped .*starting it again/);
    await store.ping();
  });

  it('a call the thread held when it died fails saying its outcome is unknown, so the engine does not write it again', async () => {
    // Long enough on the thread to be under way when it stops.
    const items = Array.from({ length: 20_000 }, (_, i) => launched({ createdAt: 1_000 + i }));
    const big = store.insertActions(items).then(
      () => 'answered',
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 20));
    await workers[0]!.terminate();
    const e = await big;
    expect(isOutcomeUnknown(e)).toBe(true);
    expect((e as Error).message).toMatch(/SQLite thread stopped.*may or may not have been committed/);
    await store.ping();
  });

  it('an answer the event loop cannot read replaces the thread, so no call is left waiting on it forever', async () => {
    const pending = store.getAction('x').then(
      () => 'answered',
      (e: unknown) => e,
    );
    // What the worker emits when a message from the thread fails to deserialise.
    workers[0]!.emit('messageerror', new Error('could not deserialise'));
    const e = await pending;
    if (e !== 'answered') expect(isOutcomeUnknown(e)).toBe(true);
    // The thread is replaced when the stopped one has exited, which a loaded machine takes a while to do.
    await vi.waitFor(() => expect(workers).toHaveLength(2), { timeout: 10_000 });
    expect(warnings.join('\n')).toMatch(/could not be read .*stopping the thread/);
    await store.ping();
  });

  it('five deaths in a minute leave the store down with a message that says so, not restarting forever', async () => {
    for (let i = 0; i < 5; i++) await workers[i]!.terminate();
    expect(workers).toHaveLength(5);
    await expect(store.ping()).rejects.toThrow(/five times in a minute/);
  });

  it('closing stops the thread: it exits, and later calls are refused', async () => {
    const exited = new Promise((r) => workers[0]!.once('exit', r));
    await store.close();
    await exited;
    await expect(store.getAction('anything')).rejects.toThrow(/closed/);
  });

  it('does not keep a process alive once nothing waits on it', () => {
    // A script that opens the store, uses it and never closes it still ends.
    const script = `
      import { openThreadedSqliteStore } from ${JSON.stringify(new URL('../../src/store/sqlite/thread.ts', import.meta.url).pathname)};
      const s = openThreadedSqliteStore({ file: ${JSON.stringify(join(mkdtempSync(join(tmpdir(), 'callout-thread-')), 'c.db'))} });
      await s.migrate();
      await s.ping();
      console.log('pinged');`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      timeout: 20_000,
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('pinged');
  });

  it("starts under Node options a thread refuses when named (V8's heap sizes, the process title)", () => {
    // `node --max-old-space-size=4096 bin/callout.js serve` with the thread on: the thread is started with
    // the process's options, and Node refuses these for a thread; the store failed at its first call.
    const file = join(mkdtempSync(join(tmpdir(), 'callout-thread-')), 'c.db');
    const script = `
      import { openThreadedSqliteStore } from ${JSON.stringify(new URL('../../src/store/sqlite/thread.ts', import.meta.url).pathname)};
      const s = openThreadedSqliteStore({ file: ${JSON.stringify(file)} });
      await s.migrate();
      await s.ping();
      await s.close();
      console.log('pinged');`;
    const options = ['--max-old-space-size=1024', '--max-semi-space-size=16', '--title=callout-test'];
    const out = execFileSync(process.execPath, [...options, '--import', 'tsx', '--input-type=module', '-e', script], {
      timeout: 20_000,
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('pinged');
  });

  it("a failed sync of the log stops the store, and a thread started after the failing one's death stays stopped", async () => {
    const file = join(dir, 'full.db');
    const full = openThreadedSqliteStore({ file, synchronous: 'full' }, (w) => workers.push(w));
    try {
      await full.migrate();
      await full.ping(); // the thread runs; its log descriptor is opened at its first sync
      const failing = workers.at(-1)!;
      // The disk goes bad: the log's path cannot be opened for syncing (EISDIR stands for EIO here).
      // SQLite keeps writing to the log it has open, renamed aside.
      renameSync(`${file}-wal`, `${file}-wal.aside`);
      mkdirSync(`${file}-wal`);
      await expect(full.insertActions([launched()])).rejects.toThrow(/could not make its writes durable \(EISDIR/);
      // The disk is back; the thread dies and a new one opens a new descriptor, which would be told nothing.
      rmSync(`${file}-wal`, { recursive: true });
      renameSync(`${file}-wal.aside`, `${file}-wal`);
      await failing.terminate();
      expect(workers.at(-1)).not.toBe(failing);
      const refused = launched();
      await expect(full.insertActions([refused])).rejects.toThrow(/could not make its writes durable \(EISDIR/);
      await expect(full.claimDue({ now: T0 + 1e9, owner: 'n', leaseUntil: T0 + 2e9, limit: 10 })).rejects.toThrow(
        /could not make its writes durable/,
      );
      await expect(full.ping()).rejects.toThrow(/could not make its writes durable/);
    } finally {
      await full.close();
    }
  });
});
