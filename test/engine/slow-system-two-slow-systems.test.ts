// Slow systems keep half of the node between them, not half each: two connectors to one degraded
// upstream would otherwise take every place, and the healthy system would wait for their attempts.
import { describe, expect, it } from 'vitest';
import { openSqliteNode } from '../helpers/callout-node.ts';
import { fileMock, settle } from '../helpers/file-mock.ts';

const mock = fileMock();

describe('two slow systems beside a healthy one', () => {
  it('still leave the healthy one room', async () => {
    const { c, close } = await openSqliteNode({ engine: { maxInFlight: 8 } });
    try {
      await c.connectors.create({ name: 'hanging1', baseUrl: mock.url });
      await c.connectors.create({ name: 'hanging2', baseUrl: mock.url });
      await c.connectors.create({ name: 'healthy', baseUrl: mock.url });
      await c.actionTypes.create({ name: 'slow1', connector: 'hanging1', path: '/slow?ms=6000' });
      await c.actionTypes.create({ name: 'slow2', connector: 'hanging2', path: '/slow?ms=6000' });
      await c.actionTypes.create({ name: 'quick', connector: 'healthy', path: '/ok' });
      await c.actions.launchMany(Array.from({ length: 12 }, (_, i) => ({ actionType: i % 2 ? 'slow1' : 'slow2' })));
      c.start();
      await settle(1500);
      const t0 = Date.now();
      const quick = await c.actions.launchMany(Array.from({ length: 4 }, () => ({ actionType: 'quick' })));
      await expect
        .poll(async () => (await Promise.all(quick.map((id) => c.actions.getAction(id)))).every((a) => a.state === 'closed'), {
          timeout: 15_000,
          interval: 50,
        })
        .toBe(true);
      const elapsed = Date.now() - t0;
      expect(elapsed).toBeLessThan(2500);
    } finally {
      await close();
    }
  }, 30_000);
});
