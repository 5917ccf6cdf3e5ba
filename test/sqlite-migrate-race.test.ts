// Processes opening one new embedded store at once (two `callout serve` started together, or `callout
// migrate` beside one) each apply what the file lacks, once: one of two failed on "table users already
// exists" or a duplicate migration version, two times in eight, with a stack trace.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'callout-migrate-race-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const store = new URL('../src/store/sqlite/store.ts', import.meta.url).pathname;
/** Loads the store, says so, and migrates the file when told to (a line on stdin): all at once. */
const script = (file: string): string => `
  import { SqliteStore } from ${JSON.stringify(store)};
  const s = new SqliteStore({ file: ${JSON.stringify(file)} });
  process.stdout.write('ready\\n');
  process.stdin.once('data', async () => {
    try {
      const applied = await s.migrate();
      process.stdout.write('applied ' + applied.length + '\\n');
    } catch (err) {
      process.stdout.write('failed ' + err.message + '\\n');
    } finally {
      await s.close();
      process.exit(0);
    }
  });`;

function start(file: string): { child: ChildProcess; out: () => string; ready: Promise<void>; done: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(file)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let text = '';
  let onReady: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  child.stdout!.on('data', (d: Buffer) => {
    text += d.toString();
    if (text.includes('ready')) onReady();
  });
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  return { child, out: () => text, ready, done };
}

describe('migrating one new SQLite file from several processes at once', () => {
  it('applies each migration once, and no process fails', async () => {
    for (let trial = 0; trial < 3; trial++) {
      const file = join(dir, `trial-${trial}.db`);
      const procs = [start(file), start(file), start(file)];
      await Promise.all(procs.map((p) => p.ready));
      for (const p of procs) p.child.stdin!.write('go\n');
      await Promise.all(procs.map((p) => p.done));
      const outs = procs.map((p) => p.out());
      expect(
        outs.filter((o) => o.includes('failed')),
        `trial ${trial}`,
      ).toEqual([]);
      const counts = outs.map((o) => Number(/applied (\d+)/.exec(o)?.[1]));
      const db = new Database(file, { readonly: true });
      const versions = (db.prepare('SELECT count(*) AS n FROM callout_migrations').get() as { n: number }).n;
      db.close();
      // Between them, every migration applied once.
      expect(
        counts.reduce((a, b) => a + b, 0),
        `trial ${trial}`,
      ).toBe(versions);
    }
  }, 120_000);
});
