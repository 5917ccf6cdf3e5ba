// Launches and outcomes on the embedded store commit without an fsync on the event loop and resolve
// once a grouped sync of the write-ahead log covers them (src/store/sqlite/wal-sync.ts). The disk's
// timing cannot be steered, so the ordering tests hold each sync open by hand (a subclass); the rest
// runs on a real file.

import { afterEach, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { WalSync } from '../../src/store/sqlite/wal-sync.ts';
import { launched } from './stores.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function fresh(): string {
  const d = mkdtempSync(join(tmpdir(), 'callout-walsync-'));
  dirs.push(d);
  return d;
}

/** A sync that runs only when the test lets it. */
class HeldSync extends WalSync {
  readonly started: Array<() => void> = [];
  protected override datasync(): Promise<void> {
    this.syncs++;
    return new Promise((resolve) => this.started.push(resolve));
  }
}
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

it('one sync serves every commit made before it starts; a commit made while one runs waits for the next', async () => {
  const s = new HeldSync(join(fresh(), 'x.db'));
  const done: string[] = [];
  // Three commits in one turn: one sync.
  const first = ['a', 'b', 'c'].map((k) => s.sync().then(() => done.push(k)));
  await turn();
  expect(s.started).toHaveLength(1);
  // Committed after that sync began: it cannot count on it.
  const late = s.sync().then(() => done.push('late'));
  await turn();
  expect(s.started).toHaveLength(1);
  s.started[0]!();
  await Promise.all(first);
  await turn();
  expect(done).toEqual(['a', 'b', 'c']);
  // Its own sync starts once the first ends, and it resolves only with that one.
  expect(s.started).toHaveLength(2);
  s.started[1]!();
  await late;
  expect(done).toEqual(['a', 'b', 'c', 'late']);
  expect(s.syncs).toBe(2);
});

it('a sync that fails rejects the writes waiting on it, and the next one runs again', async () => {
  const dir = fresh();
  const db = join(dir, 'db');
  writeFileSync(db, '');
  // A folder where the log should be: opening it for writing fails (EISDIR).
  const wal = join(dir, 'db-wal');
  mkdirSync(wal);
  const s = new WalSync(db);
  await expect(s.sync()).rejects.toThrow(/EISDIR/);
  rmSync(wal, { recursive: true });
  // No log at all (all of it was copied into the database): the database file is synced instead.
  await expect(s.sync()).resolves.toBeUndefined();
  rmSync(db);
  await expect(s.sync()).rejects.toThrow(/ENOENT/);
  expect(s.syncs).toBe(3);
});

it('on a real file: concurrent launches share syncs, the store keeps fsyncing its other commits, and what resolved reads back', async () => {
  const store = new SqliteStore({ file: join(fresh(), 'callout.db') });
  try {
    await store.migrate();
    const items = Array.from({ length: 40 }, (_, i) => launched({ createdAt: 1_000 + i }));
    await Promise.all(items.map((it) => store.insertActions([it])));
    // Forty commits, one at a time on the connection; far fewer syncs, each after the commits it covers.
    expect(store.walSync!.syncs).toBeGreaterThanOrEqual(1);
    expect(store.walSync!.syncs).toBeLessThan(40);
    for (const it of items) expect((await store.getAction(it.action.id))?.id).toBe(it.action.id);
    // Every other commit (configuration, keys, people) still syncs inside SQLite: FULL is 2.
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
  } finally {
    await store.close();
  }
});

it('a store opened through a symbolic link syncs the log SQLite keeps beside the real file', async () => {
  const real = join(fresh(), 'real.db');
  const link = join(fresh(), 'link.db');
  writeFileSync(real, '');
  symlinkSync(real, link);
  const store = new SqliteStore({ file: link });
  try {
    await store.migrate();
    await store.insertActions([launched()]);
    expect(existsSync(`${realpathSync(real)}-wal`)).toBe(true);
    expect(existsSync(`${link}-wal`)).toBe(false);
    expect(store.walSync!.walPath).toBe(`${realpathSync(real)}-wal`);
  } finally {
    await store.close();
  }
});

it('with synchronous normal nothing is synced beside SQLite', async () => {
  const store = new SqliteStore({ file: join(fresh(), 'callout.db'), synchronous: 'normal' });
  try {
    await store.migrate();
    await store.insertActions([launched()]);
    expect(store.walSync).toBeNull();
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
  } finally {
    await store.close();
  }
});
