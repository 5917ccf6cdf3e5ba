// restrictToOwner on a path that comes and goes: another node closing the store last deletes its
// -wal and -shm files between the look and the change (a clean-clone CI run failed to open a store
// on it). Here a process makes and deletes a loose file as fast as it can (for a minute at most, should
// the test not be there to stop it).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { restrictToOwner } from './files.ts';

const dir = mkdtempSync(join(tmpdir(), 'callout-files-race-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('leaves alone a file that goes while it is looked at', async () => {
  const path = join(dir, 'store.db-shm');
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const fs = require('node:fs');
       process.stdout.write('ready\\n');
       const until = Date.now() + 60000;
       while (Date.now() < until) { fs.writeFileSync(${JSON.stringify(path)}, '', { mode: 0o644 }); fs.chmodSync(${JSON.stringify(path)}, 0o644); try { fs.unlinkSync(${JSON.stringify(path)}); } catch {} }`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((r) => child.stdout.once('data', () => r()));
  let tightened = 0;
  const failures = new Set<string>();
  try {
    for (let i = 0; i < 200_000 && !(tightened > 50 && failures.size === 0 && i > 50_000); i++) {
      try {
        restrictToOwner(path, () => tightened++);
      } catch (e) {
        failures.add((e as Error).message.replace(/,.*/, ''));
      }
    }
  } finally {
    child.kill();
  }
  // It did find the file loose (so it raced the deletes), and never failed on one gone.
  expect(tightened).toBeGreaterThan(0);
  expect([...failures]).toEqual([]);
}, 60_000);
