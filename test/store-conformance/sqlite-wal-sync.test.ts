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
import { T0, launched, write } from './stores.ts';
import { openThreadedSqliteStore } from '../../src/store/sqlite/thread.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function fresh(): string {
  const d = mkdtempSync(join(tmpdir(), 'callout-walsync-'));
  dirs.push(d);
  return d;
}

/** Runs `fn` on a migrated store on a fresh file, closed afterwards. */
async function onStore(fn: (store: SqliteStore) => Promise<void>, opts: { synchronous?: 'full' | 'normal' } = {}): Promise<void> {
  const store = new SqliteStore({ file: join(fresh(), 'callout.db'), ...opts });
  try {
    await store.migrate();
    await fn(store);
  } finally {
    await store.close();
  }
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

/** From now on each of the store's syncs waits until the test calls the resolver it pushes on `held`. */
function holdSyncs(store: SqliteStore, held: Array<() => void>): void {
  Object.assign(store.walSync!, { datasync: () => new Promise<void>((r) => held.push(r)) });
}
/** Syncs end at once again (nothing reaches the disk's sync: the test's own file is thrown away). */
function releaseSyncs(store: SqliteStore): void {
  Object.assign(store.walSync!, { datasync: () => Promise.resolve() });
}

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

it('a sync that fails stops the store: that write and every later one fail with one clear error', async () => {
  const dir = fresh();
  // A folder where the log should be: it cannot be opened for syncing (EISDIR).
  const wal = join(dir, 'db-wal');
  mkdirSync(wal);
  const s = new WalSync(join(dir, 'db'));
  s.noteCommit();
  await expect(s.sync()).rejects.toThrow(/could not make its writes durable \(EISDIR/);
  // Fixed on disk, but what the failed sync covered may be lost: nothing more is acknowledged.
  rmSync(wal, { recursive: true });
  writeFileSync(wal, '');
  await expect(s.sync()).rejects.toThrow(/could not make its writes durable \(EISDIR/);
  expect(s.syncs).toBe(1);
  expect(s.behind).toBe(true);
});

it('on a real file, a failing disk: the launch fails, later launches and outcomes fail, and /health says why', async () => {
  await onStore(async (store) => {
    await store.insertActions([launched()]);
    // The disk goes bad: the descriptor the syncs use refuses them (EBADF stands for EIO here).
    Object.assign(store.walSync!, { fd: 1 << 20 });
    await expect(store.insertActions([launched()])).rejects.toThrow(/could not make its writes durable .*EBADF.*restart the process/);
    Object.assign(store.walSync!, { fd: null });
    const refused = launched();
    await expect(store.insertActions([refused])).rejects.toThrow(/could not make its writes durable/);
    expect(await store.getAction(refused.action.id)).toBeUndefined();
    await expect(store.ping()).rejects.toThrow(/could not make its writes durable/);
  });
});

it('after a failed sync nothing more is claimed: work written on disk before is not sent while its outcomes cannot be kept', async () => {
  await onStore(async (store) => {
    const early = launched({ dueAt: T0 + 1000 });
    await store.insertActions([early]); // on disk before the disk goes bad
    Object.assign(store.walSync!, { fd: 1 << 20 });
    await expect(store.insertActions([launched({ dueAt: T0 + 60_000 })])).rejects.toThrow(/could not make its writes durable/);
    Object.assign(store.walSync!, { fd: null });
    // Sent, its outcome refused, claimed again at each lease's end: the external system would be called over and over.
    await expect(store.claimDue({ now: T0 + 1000, owner: 'n', leaseUntil: T0 + 2000, limit: 10 })).rejects.toThrow(
      /could not make its writes durable/,
    );
    const after = store.db.prepare('SELECT version, due_at FROM actions WHERE id = ?').get(early.action.id) as {
      version: number;
      due_at: number;
    };
    expect([after.version, after.due_at]).toEqual([early.action.version, T0 + 1000]); // not claimed
    // Nor is a read that could tell a repeated launch it was made, nor a list: the store has stopped.
    await expect(store.getAction(early.action.id)).rejects.toThrow(/could not make its writes durable/);
    await expect(store.listActions({ limit: 10 })).rejects.toThrow(/could not make its writes durable/);
    await expect(store.countActions({})).rejects.toThrow(/could not make its writes durable/);
    await expect(store.listTimeline(early.action.id)).rejects.toThrow(/could not make its writes durable/);
  });
});

it('what is claimed is returned only once the launches it includes are on disk', async () => {
  await onStore(async (store) => {
    try {
      const held: Array<() => void> = [];
      holdSyncs(store, held);
      const a = launched();
      const launch = store.insertActions([a]);
      await turn();
      expect(held).toHaveLength(1);
      let claimed: string[] | null = null;
      const claim = store
        .claimDue({ now: a.action.dueAt! + 1, owner: 'n', leaseUntil: a.action.dueAt! + 60_000, limit: 10 })
        .then((rows) => {
          claimed = rows.map((r) => r.id);
        });
      await turn();
      // Committed and claimed, but not on disk: not handed to the engine to send.
      expect(claimed).toBeNull();
      held[0]!();
      await launch;
      await turn();
      expect(claimed).toBeNull();
      expect(held).toHaveLength(2);
      held[1]!();
      await claim;
      expect(claimed).toEqual([a.action.id]);
      // Nothing new since: the next claim does not wait for a sync.
      await store.claimDue({ now: a.action.dueAt! + 1, owner: 'n', leaseUntil: a.action.dueAt! + 60_000, limit: 10 });
      expect(held).toHaveLength(2);
    } finally {
      releaseSyncs(store);
    }
  });
});

it('with another process on the file, a claim waits for a sync of the whole log: that process may have launched what it claims without its sync yet', async () => {
  const file = join(fresh(), 'callout.db');
  const a = new SqliteStore({ file });
  const b = new SqliteStore({ file });
  const heldA: Array<() => void> = [];
  const heldB: Array<() => void> = [];
  try {
    await a.migrate();
    await b.claimDue({ now: T0, owner: 'node-b', leaseUntil: T0 + 60_000, limit: 10 }); // B has looked once
    holdSyncs(a, heldA);
    holdSyncs(b, heldB);
    const x = launched({ dueAt: T0 + 1000 });
    const launch = a.insertActions([x]); // committed by process A, its sync held
    await turn();
    let claimed: string[] | null = null;
    const claim = b.claimDue({ now: T0 + 1000, owner: 'node-b', leaseUntil: T0 + 60_000, limit: 10 }).then((rows) => {
      claimed = rows.map((r) => r.id);
    });
    await turn();
    expect(claimed).toBeNull();
    expect(heldB).toHaveLength(1); // B's own sync of the log, which holds A's commit too
    heldB[0]!();
    await claim;
    expect(claimed).toEqual([x.action.id]);
    heldA[0]!();
    await launch;
  } finally {
    for (const s of [a, b]) releaseSyncs(s);
    for (const release of [...heldA, ...heldB]) release();
    await a.close();
    await b.close();
  }
});

it('commits another connection made before this store opened are synced before what they wrote is claimed (a dead SQLite thread, a process that just started)', async () => {
  const file = join(fresh(), 'callout.db');
  const a = new SqliteStore({ file });
  const heldA: Array<() => void> = [];
  const heldB: Array<() => void> = [];
  let b: SqliteStore | undefined;
  try {
    await a.migrate();
    holdSyncs(a, heldA);
    const x = launched({ dueAt: T0 + 1000 });
    const launch = a.insertActions([x]); // committed, its sync held
    await turn();
    b = new SqliteStore({ file }); // opens after that commit
    holdSyncs(b, heldB);
    let claimed: string[] | null = null;
    const claim = b.claimDue({ now: T0 + 1000, owner: 'node-b', leaseUntil: T0 + 60_000, limit: 10 }).then((rows) => {
      claimed = rows.map((r) => r.id);
    });
    await turn();
    expect(claimed).toBeNull();
    expect(heldB).toHaveLength(1);
    heldB[0]!();
    await claim;
    expect(claimed).toEqual([x.action.id]);
    // Made sure once: nobody else has committed since, so the next read does not sync.
    expect((await b.getAction(x.action.id))?.id).toBe(x.action.id);
    expect(heldB).toHaveLength(1);
    heldA[0]!();
    await launch;
  } finally {
    for (const s of [a, b]) if (s) releaseSyncs(s);
    for (const release of [...heldA, ...heldB]) release();
    await a.close();
    await b?.close();
  }
});

it('a launch read back (a repeated request answered without a write) is returned only once it is on disk', async () => {
  await onStore(async (store) => {
    const held: Array<() => void> = [];
    try {
      holdSyncs(store, held);
      const x = launched();
      const launch = store.insertActions([{ ...x, launchKey: 'k-1', launchHash: 'h' }]);
      await turn();
      let found: string | undefined;
      const read = store.getActionByLaunchKey('k-1').then((r) => {
        found = r?.action.id;
      });
      await turn();
      expect(found).toBeUndefined(); // committed, not on disk: a retry must not be told it launched
      held[0]!();
      await launch;
      await turn();
      // The read asked for a sync of its own (the one under way may have started before the commit).
      expect(found).toBeUndefined();
      expect(held).toHaveLength(2);
      held[1]!();
      await read;
      expect(found).toBe(x.action.id);
      // On disk since: read at once.
      expect((await store.getAction(x.action.id))?.id).toBe(x.action.id);
      expect(held).toHaveLength(2);
    } finally {
      releaseSyncs(store);
      for (const release of held) release();
    }
  });
});

it('a claim waits only for the sync of what it claims: a timer launched long before is sent while newer launches and outcomes sync', async () => {
  await onStore(async (store) => {
    const held: Array<() => void> = [];
    try {
      // Launched and on disk before the rest.
      const early = launched({ dueAt: T0 + 1000 });
      await store.insertActions([early]);
      // A store that has been running: it has made sure of the log others left (at its first read).
      await store.getAction(early.action.id);
      holdSyncs(store, held);
      // A launch due later and an outcome of another action, committed, their sync held.
      const later = launched({ dueAt: T0 + 60_000 });
      const other = launched({ dueAt: T0 + 60_000 });
      const pending = store.insertActions([later, other]);
      await turn();
      expect(held).toHaveLength(1);
      const at = { now: T0 + 1000, owner: 'n', leaseUntil: T0 + 120_000, limit: 10 };
      // Not held by their sync: the early launch is claimed at once.
      expect((await store.claimDue(at)).map((r) => r.id)).toEqual([early.action.id]);
      held[0]!();
      await pending;
      // An outcome that makes `other` due now, its sync held: the claim that finds it waits for it.
      const cur = await store.getAction(other.action.id);
      const outcome = store.writeActions([write(cur!, { dueAt: T0 + 1000, phase: 'retry_scheduled' })]);
      await turn();
      expect(held).toHaveLength(2);
      let claimed: string[] | null = null;
      const claim = store.claimDue(at).then((rows) => (claimed = rows.map((r) => r.id)));
      await turn();
      expect(claimed).toBeNull();
      held[1]!();
      await outcome;
      await turn();
      held[2]?.();
      await claim;
      expect(claimed).toEqual([other.action.id]);
    } finally {
      for (const r of held) r();
      releaseSyncs(store);
    }
  });
});

it('on the SQLite thread, a store closed while a launch waits for its sync answers the launch', async () => {
  const store = openThreadedSqliteStore({ file: join(fresh(), 'callout.db') });
  await store.migrate();
  const items = Array.from({ length: 20 }, (_, i) => launched({ createdAt: 1_000 + i }));
  const launches = items.map((it) => store.insertActions([it]));
  await store.close();
  const settled = await Promise.allSettled(launches);
  expect(settled.filter((r) => r.status === 'rejected')).toEqual([]);
  const again = new SqliteStore({ file: store.db.name });
  try {
    for (const it of items) expect((await again.getAction(it.action.id))?.id).toBe(it.action.id);
  } finally {
    await again.close();
  }
});

it('on a real file: concurrent launches share syncs, the store keeps fsyncing its other commits, and what resolved reads back', async () => {
  await onStore(async (store) => {
    const items = Array.from({ length: 40 }, (_, i) => launched({ createdAt: 1_000 + i }));
    await Promise.all(items.map((it) => store.insertActions([it])));
    // Forty commits, one at a time on the connection; far fewer syncs, each after the commits it covers.
    expect(store.walSync!.syncs).toBeGreaterThanOrEqual(1);
    expect(store.walSync!.syncs).toBeLessThan(40);
    for (const it of items) expect((await store.getAction(it.action.id))?.id).toBe(it.action.id);
    // Every other commit (configuration, keys, people) still syncs inside SQLite: FULL is 2.
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
  });
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
  await onStore(
    async (store) => {
      await store.insertActions([launched()]);
      expect(store.walSync).toBeNull();
      expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
    },
    { synchronous: 'normal' },
  );
});
