// A test run killed outright leaves no `callout serve` behind: the child started by the test helper
// stops itself once its parent is gone (test/helpers/die-with-parent.mjs).

import { afterAll, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './helpers/harness.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'callout-orphan-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it('a child server whose test process is SIGKILLed shuts down by itself within seconds', async () => {
  const port = await freePort();
  // A stand-in for a test process: starts a server through the helper, says its pid, and waits.
  const script = `
    import { startChildServer } from './test/helpers/child-server.ts';
    const s = await startChildServer({ CALLOUT_DATA_DIR: ${JSON.stringify(dataDir)} }, ${port});
    console.log('server ' + s.proc.pid);
    setInterval(() => {}, 1000);`;
  const runner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  runner.stdout.on('data', (d: Buffer) => (out += d.toString()));
  runner.stderr.on('data', (d: Buffer) => (out += d.toString()));
  await expect.poll(() => /server (\d+)/.exec(out)?.[1], { timeout: 30_000, interval: 100 }).toBeDefined();
  const server = Number(/server (\d+)/.exec(out)![1]);
  expect(alive(server)).toBe(true);

  runner.kill('SIGKILL');
  await expect.poll(() => alive(server), { timeout: 10_000, interval: 100 }).toBe(false);
}, 60_000);
