// A connector without a concurrency limit gets a connection for every attempt the engine may have in
// flight. With 128, the rest waited in the connection pool with their timeout running: a slow but
// healthy system (here 1 s an answer, a 2.5 s timeout) was recorded as timing out for the third
// wave of sends, which used up retries and opened the circuit. Real time, loopback mock.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Callout } from '../../src/callout.ts';
import { createLogger } from '../../src/logger.ts';
import { fileMock } from '../helpers/file-mock.ts';

const mock = fileMock();

describe('a connector without a concurrency limit', () => {
  it('sends all that the engine has in flight at once: none waits out its timeout for a connection', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'callout-connections-'));
    const c = await Callout.open({
      dataDir,
      allowPrivateNetworks: true,
      publicUrl: 'http://127.0.0.1:9',
      logger: createLogger({ level: 'silent' }),
      engine: { maxInFlight: 400 },
    });
    try {
      await c.connectors.create({ name: 'slow-vendor', baseUrl: mock.url, timeout: '2500ms' });
      await c.actionTypes.create({
        name: 'slow',
        connector: 'slow-vendor',
        path: '/slow?ms=1000',
        retry: { maxRetries: 3, interval: '30s' },
      });
      const ids = await c.actions.launchMany(Array.from({ length: 400 }, () => ({ actionType: 'slow' })));
      c.start();
      await expect
        .poll(async () => (await Promise.all(ids.map((id) => c.actions.getAction(id)))).filter((a) => a.state === 'closed').length, {
          timeout: 20_000,
          interval: 200,
        })
        .toBe(400);
      const actions = await Promise.all(ids.map((id) => c.actions.getAction(id)));
      // Each answered at its first attempt: no timeout, no retry.
      expect(actions.filter((a) => a.resolution !== 'done_successfully' || a.attempts !== 1).map((a) => a.retry.lastError)).toEqual([]);
      expect(ids.map(mock.sends).every((n) => n === 1)).toBe(true);
    } finally {
      await c.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 40_000);
});
