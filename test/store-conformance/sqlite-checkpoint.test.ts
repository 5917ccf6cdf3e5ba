// The WAL is copied into the database file by the checkpoint thread, not by the commits: with the
// writer's own checkpoint pushed to its fallback, the file still receives what was written and the log
// is rewound rather than growing with every write.

import { afterEach, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { FALLBACK_CHECKPOINT_PAGES, WalCheckpointer } from '../../src/store/sqlite/checkpointer.ts';
import { openThreadedSqliteStore } from '../../src/store/sqlite/thread.ts';
import { launched } from './stores.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const size = (f: string): number => statSync(f, { throwIfNoEntry: false })?.size ?? 0;
const MB = 1 << 20;

/** Writes `mb` megabytes in transactions of 1 MB on the store's own connection. */
function write(store: SqliteStore, mb: number): void {
  store.db.exec('CREATE TABLE IF NOT EXISTS filler (b BLOB)');
  const ins = store.db.prepare('INSERT INTO filler (b) VALUES (randomblob(4000))');
  for (let i = 0; i < mb; i++)
    store.db.transaction(() => {
      for (let j = 0; j < 256; j++) ins.run();
    })();
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function fresh(): string {
  const d = mkdtempSync(join(tmpdir(), 'callout-ckpt-'));
  dirs.push(d);
  return join(d, 'callout.db');
}

it('copies the log into the file on its thread and the log is rewound, far below the fallback', async () => {
  const file = fresh();
  const store = new SqliteStore({ file, synchronous: 'normal', backgroundCheckpoints: true });
  try {
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(FALLBACK_CHECKPOINT_PAGES);
    write(store, 12);
    // 12 MB is about 3,000 pages, below the writer's fallback (16,000): only the thread copies them.
    await until(() => size(file) >= 12 * MB);
    await new Promise((r) => setTimeout(r, 300));
    // Rewound once all of it is copied: four more rounds leave the log near one round's size, not 60 MB.
    for (let round = 0; round < 4; round++) {
      const before = size(file);
      write(store, 12);
      await until(() => size(file) >= before + 12 * MB);
      // The copy is done; the checkpoint that made it ends with an fsync, then the log may rewind.
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(size(`${file}-wal`)).toBeLessThan(30 * MB);
    expect(size(file)).toBeGreaterThanOrEqual(60 * MB);
  } finally {
    await store.close();
  }
});

it('without it, the same writes stay in the log until the writer itself checkpoints', async () => {
  const file = fresh();
  const store = new SqliteStore({ file, synchronous: 'normal' });
  try {
    store.db.pragma(`wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`);
    write(store, 12);
    await new Promise((r) => setTimeout(r, 500));
    expect(size(file)).toBeLessThan(2 * MB);
    expect(size(`${file}-wal`)).toBeGreaterThanOrEqual(12 * MB);
  } finally {
    await store.close();
  }
});

it('on the SQLite thread, the thread that writes is the one whose checkpoints move away', async () => {
  const file = fresh();
  const store = openThreadedSqliteStore({ file, synchronous: 'normal', backgroundCheckpoints: true });
  try {
    await store.migrate();
    // This side's connection writes little and keeps SQLite's own checkpoint.
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    // Launches through the thread, 12 MB of them: copied into the file although the thread's own
    // checkpoint waits for 64 MB.
    const note = 'x'.repeat(4000);
    for (let i = 0; i < 12; i++) await store.insertActions(Array.from({ length: 256 }, () => launched({ input: { note } })));
    await until(() => size(file) >= 12 * MB);
  } finally {
    await store.close();
  }
});

it('a checkpoint thread that cannot run says why, and the writer checkpoints again as SQLite does by default', async () => {
  const errors: string[] = [];
  let lost = 0;
  const c = new WalCheckpointer({
    file: join(tmpdir(), 'callout-no-such-dir', 'callout.db'),
    synchronous: 'normal',
    onError: (m) => errors.push(m),
    onLost: () => lost++,
  });
  await until(() => lost === 1);
  expect(errors.join('\n')).toMatch(/checkpoint thread failed: .*(directory does not exist|unable to open)/i);
  await c.stop();
  expect(lost).toBe(1);
});
