// One hung request of an otherwise fast connector (a long upload, one stuck socket) does not make its
// system slow for the bulkhead (engine/bulkhead.ts): its quick actions are not held. When the signal
// was the oldest attempt alone, they were written back as throttled and took 10 s instead of 0.3 s.
import { describe, expect, it } from 'vitest';
import { openSqliteNode } from '../helpers/callout-node.ts';
import { fileMock, settle } from '../helpers/file-mock.ts';

const mock = fileMock();

describe('one hung attempt of a fast connector', () => {
  it("does not hold the connector's fast actions for a slow system", async () => {
    const { c, close } = await openSqliteNode({ engine: { maxInFlight: 8 } });
    try {
      await c.connectors.create({ name: 'api', baseUrl: mock.url });
      await c.actionTypes.create({ name: 'upload', connector: 'api', path: '/slow?ms=6000' });
      await c.actionTypes.create({ name: 'ping', connector: 'api', path: '/ok' });
      await c.actions.launch({ actionType: 'upload' });
      c.start();
      await settle(1300); // the one upload is now over a second old
      const t0 = Date.now();
      const quick = await c.actions.launchMany(Array.from({ length: 40 }, () => ({ actionType: 'ping' })));
      await expect
        .poll(async () => (await Promise.all(quick.map((id) => c.actions.getAction(id)))).every((a) => a.state === 'closed'), {
          timeout: 15_000,
          interval: 50,
        })
        .toBe(true);
      const elapsed = Date.now() - t0;
      const timelines = await Promise.all(quick.map((id) => c.actions.timeline(id)));
      const heldAsSlow = timelines.filter((t) => JSON.stringify(t).includes('slow systems keep at most')).length;
      // 40 pings that each take about a millisecond: none should be held as "a slow system".
      expect({ heldAsSlow, elapsedUnder3s: elapsed < 3000 }).toEqual({ heldAsSlow: 0, elapsedUnder3s: true });
    } finally {
      await close();
    }
  }, 30_000);
});
