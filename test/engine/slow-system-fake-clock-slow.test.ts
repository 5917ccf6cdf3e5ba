// Attempt ages are measured on the monotonic clock, not the engine's: a test's fake clock (or a wall
// clock's step: NTP, a VM resumed) moved while attempts are in flight does not make a system that
// answers in 300 ms slow. It did: its actions were held as a slow system's, and the node's room grew.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openSqliteNode } from '../helpers/callout-node.ts';
import { FakeClock } from '../../src/clock.ts';
import { startMockServer, type MockServer } from '../../src/mock/server.ts';

let mock: MockServer;
beforeAll(async () => (mock = await startMockServer({ latencyMs: 300 })));
afterAll(async () => mock.close());
const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

it('a system answering in 300 ms real time is not held as slow when a fake clock moves', async () => {
  const clock = new FakeClock(Date.UTC(2026, 11, 5, 9, 0, 0));
  const { c, close } = await openSqliteNode({ clock, engine: { maxInFlight: 2 } });
  try {
    await c.connectors.create({ name: 'fast', baseUrl: mock.url });
    await c.actionTypes.create({ name: 't', connector: 'fast', path: '/ok' });
    const ids = await c.actions.launchMany(Array.from({ length: 6 }, () => ({ actionType: 't' })));
    c.start();
    await settle(100); // two attempts in flight, 100 ms old in real time
    clock.advance(2000); // what a test does to reach a due time
    for (let i = 0; i < 40; i++) {
      await settle(50);
      clock.advance(10);
    }
    await expect
      .poll(async () => (await Promise.all(ids.map((id) => c.store.getAction(id)))).every((a) => a!.state === 'closed'), {
        timeout: 10_000,
      })
      .toBe(true);
    const timelines = await Promise.all(ids.map((id) => c.actions.timeline(id)));
    expect(timelines.filter((t) => JSON.stringify(t).includes('slow systems keep at most')).length).toBe(0);
  } finally {
    await close();
  }
}, 20_000);
