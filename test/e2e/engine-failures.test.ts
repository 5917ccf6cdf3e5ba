// Failures the engine recovers from are not swallowed: they are logged and reported as 'failure'
// events, and the rest of the work goes on.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Callout } from '../../src/callout.ts';
import { FakeClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { startMockServer, type MockServer } from '../../src/mock/server.ts';

const MIN = 60_000;
let mock: MockServer;
let dataDir: string;
beforeAll(async () => {
  mock = await startMockServer();
  dataDir = mkdtempSync(join(tmpdir(), 'callout-engine-failures-'));
});
afterAll(async () => {
  await mock.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('a lowered retry limit that cannot be applied to one action is logged and reported; the others are still closed', async () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 28, 9, 0, 0));
  const lines: string[] = [];
  const logger = createLogger({ level: 'warn', destination: { write: (s: string) => void lines.push(s) } });
  const c = await Callout.open({ dataDir, clock, allowPrivateNetworks: true, publicUrl: 'http://127.0.0.1:9', logger });
  try {
    await c.connectors.create({ name: 'vendor', baseUrl: mock.url });
    await c.actionTypes.create({
      name: 'down',
      connector: 'vendor',
      path: '/status/503',
      retry: { maxRetries: 3, interval: '1m', backoff: 'fixed' },
    });
    const ids = [(await c.actions.launch({ actionType: 'down' })).action.id, (await c.actions.launch({ actionType: 'down' })).action.id];
    await c.engine.tick();
    clock.advance(MIN);
    await c.engine.tick();
    for (const id of ids) expect(await c.actions.getAction(id)).toMatchObject({ phase: 'retry_scheduled', retry: { count: 1 } });

    const failures: unknown[] = [];
    c.engine.on('failure', (err) => failures.push(err));
    const store = c.store;
    const real = store.getAction.bind(store);
    store.getAction = async (id: string) => {
      if (id === ids[0]) throw new Error('the store lost this row for a moment');
      return real(id);
    };
    try {
      await c.actionTypes.update('down', { retry: { maxRetries: 1 } });
    } finally {
      store.getAction = real;
    }
    expect(failures).toEqual([expect.objectContaining({ message: 'the store lost this row for a moment' })]);
    expect(lines.join('')).toContain('applying a lowered retry limit to an action failed');
    expect(lines.join('')).toContain(ids[0]);
    expect(await c.actions.getAction(ids[0]!)).toMatchObject({ state: 'waiting', phase: 'retry_scheduled' });
    expect(await c.actions.getAction(ids[1]!)).toMatchObject({ state: 'closed', resolution: 'not_done_successfully' });
  } finally {
    await c.close();
  }
});
