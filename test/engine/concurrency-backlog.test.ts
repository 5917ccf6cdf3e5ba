// Actions held behind a connector's maxConcurrency wait for a slot without being claimed and written
// again and again: an attempt that ends on this node wakes the one held longest, and the rest are
// looked at again every few seconds (slots other nodes free). They were looked at every 50–100 ms: a
// backlog of 1,000 behind a slow system cost a core and a gigabyte of writes in 30 s. Real time, both stores.

import { describe, expect, it } from 'vitest';
import { NODE_BACKENDS } from '../helpers/callout-node.ts';
import { fileMock } from '../helpers/file-mock.ts';

const mock = fileMock();

for (const backend of NODE_BACKENDS)
  describe(`${backend.name}: a backlog behind maxConcurrency`, () => {
    it('is sent one at a time, each slot taken up as it frees, and each held action written a few times, not dozens', async () => {
      const { c, close } = await backend.open();
      try {
        await c.connectors.create({ name: 'one-at-a-time', baseUrl: mock.url, maxConcurrency: 1 });
        await c.actionTypes.create({ name: 'slow', connector: 'one-at-a-time', path: '/slow?ms=250' });
        const ids = await c.actions.launchMany(Array.from({ length: 12 }, () => ({ actionType: 'slow' })));
        c.start();
        await expect
          .poll(async () => (await Promise.all(ids.map((id) => c.actions.getAction(id)))).filter((a) => a.state === 'closed').length, {
            timeout: 20_000,
            interval: 200,
          })
          .toBe(12);
        expect(ids.map(mock.sends)).toEqual(ids.map(() => 1));
        // Every version is a write of the action's row: launch, each claim and hold, the attempt.
        const versions = await Promise.all(ids.map(async (id) => (await c.store.getAction(id))!.version));
        expect(Math.max(...versions)).toBeLessThan(20);
      } finally {
        await close();
      }
    }, 40_000);
  });
