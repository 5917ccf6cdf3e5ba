// `callout serve` installs no handler that keeps it running after an error nobody handled (a process in
// an unknown state must not go on silently): Node still ends it, with a non-zero code. What the log
// gets first is a fatal line naming the error, so a log collector that reads stdout alone says why the
// node stopped (Node's own report goes to stderr).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { freePort } from './helpers/harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'callout-unhandled-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Preloaded into the server: a promise rejected, and handled by no one, when the test says (SIGUSR2). */
const REJECT_LATER = `data:text/javascript,process.once('SIGUSR2', () => Promise.reject(new Error('a rejection nobody handled')))`;

it('a rejection nobody handled ends `callout serve` non-zero, after a fatal log line that names it', async () => {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', '--import', REJECT_LATER, 'src/cli/main.ts', 'serve'], {
    env: {
      ...process.env,
      CALLOUT_LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(port),
      CALLOUT_DATA_DIR: dir,
      CALLOUT_ADMIN_KEY: 'unhandled-test-admin-key-0123',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr!.resume();
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  await expect.poll(() => stdout, { timeout: 30_000 }).toContain('Callout is running');
  proc.kill('SIGUSR2');
  const code = await exited;
  expect(code).not.toBe(0);
  const fatal = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string; origin?: string; err?: { message?: string } })
    .find((l) => l.level === 60);
  expect(fatal, stdout).toMatchObject({ origin: 'unhandledRejection', err: { message: 'a rejection nobody handled' } });
  expect(fatal!.msg).toMatch(/ends the process/);
});
