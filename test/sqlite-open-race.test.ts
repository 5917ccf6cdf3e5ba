// A node opening a new embedded store while another process does too (two `callout serve` started
// together): the change of journal mode answers SQLITE_BUSY at once, without the busy timeout's wait,
// while the other switches the file to WAL; a clean-clone CI run lost a node at start to it. Opened
// here against a plain process that switches the same new file at the same moment, round after round.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/sqlite/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'callout-open-race-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const driver = createRequire(import.meta.url).resolve('better-sqlite3');

/** A process that opens `file` when told, as a node does: WAL, a check, then its tables in one transaction. */
const other = (file: string) => {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const Database = require(${JSON.stringify(driver)});
       process.stdout.write('ready\\n');
       process.stdin.once('data', () => {
         const db = new Database(${JSON.stringify(file)});
         db.pragma('busy_timeout = 10000');
         db.pragma('journal_mode = WAL');
         db.pragma('quick_check(1)');
         db.transaction(() => { for (let i = 0; i < 40; i++) db.exec('CREATE TABLE IF NOT EXISTS t' + i + ' (x)'); }).immediate();
         db.close();
         process.exit(0);
       });`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const ready = new Promise<void>((r) => child.stdout.once('data', () => r()));
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  return { child, ready, done };
};

it('opens a new file while another process switches it to WAL, every time', async () => {
  const failures: string[] = [];
  for (let round = 0; round < 45; round++) {
    const file = join(dir, `r${round}.db`);
    const p = other(file);
    await p.ready;
    p.child.stdin.write('go\n');
    // Within a millisecond or two of the other's switch, spread a little from round to round.
    const spin = Date.now() + (round % 15);
    while (Date.now() < spin);
    try {
      const s = new SqliteStore({ file, quickCheck: false });
      await s.close();
    } catch (e) {
      failures.push(`round ${round}: ${(e as Error).message}`);
    }
    await p.done;
  }
  expect(failures).toEqual([]);
}, 60_000);
