// A slow external system with a backlog keeps at most half of a node's attempts (engine/bulkhead.ts):
// the other systems' actions are sent while its attempts hang. Before, its backlog took every place,
// and an action of a healthy system launched after it waited for the whole backlog to be sent, a wave
// of attempt timeouts at a time. Real time, both stores.

import { describe, expect, it } from 'vitest';
import { NODE_BACKENDS } from '../helpers/callout-node.ts';
import { fileMock, settle } from '../helpers/file-mock.ts';

const mock = fileMock();

for (const backend of NODE_BACKENDS)
  describe(`${backend.name}: a slow system beside a healthy one`, () => {
    it('keeps half of the attempts: the healthy system is answered while the slow one hangs, and nothing is sent twice', async () => {
      const { c, close } = await backend.open({ engine: { maxInFlight: 8 } });
      try {
        await c.connectors.create({ name: 'hanging', baseUrl: mock.url });
        await c.connectors.create({ name: 'healthy', baseUrl: mock.url });
        await c.actionTypes.create({ name: 'slow', connector: 'hanging', path: '/slow?ms=5000' });
        await c.actionTypes.create({ name: 'quick', connector: 'healthy', path: '/ok' });
        // Twelve for eight places: they take every place, then the system is seen slow.
        const slow = await c.actions.launchMany(Array.from({ length: 12 }, () => ({ actionType: 'slow' })));
        c.start();
        await settle(1500);
        const launched = Date.now();
        const quick = await c.actions.launchMany(Array.from({ length: 6 }, () => ({ actionType: 'quick' })));
        await expect
          .poll(async () => (await Promise.all(quick.map((id) => c.actions.getAction(id)))).every((a) => a.state === 'closed'), {
            timeout: 15_000,
            interval: 50,
          })
          .toBe(true);
        // The first wave of the slow system answers 5 s after it started: the healthy one did not wait for it.
        expect(Date.now() - launched).toBeLessThan(2500);
        const held = await Promise.all(slow.map((id) => c.actions.getAction(id)));
        expect(held.filter((a) => a.state === 'closed')).toEqual([]);
        // The four left of the backlog wait for the slow system's places, and say why.
        const waiting = held.filter((a) => a.phase === 'throttled');
        expect(waiting).toHaveLength(4);
        const timeline = await c.actions.timeline(waiting[0]!.id);
        expect(JSON.stringify(timeline)).toContain('slow systems keep at most 4 of');
        expect((await c.actions.getAction(waiting[0]!.id)).heldBy).toEqual({
          reason: 'slow_system',
          detail: 'hanging is slow: 8 attempts in flight on this node; slow systems keep at most 4 of its attempts',
        });
        // Then the backlog is sent as the first wave's places free, each action once.
        await expect
          .poll(async () => (await Promise.all(slow.map((id) => c.actions.getAction(id)))).filter((a) => a.state === 'closed').length, {
            timeout: 20_000,
            interval: 200,
          })
          .toBe(12);
        expect([...slow, ...quick].map(mock.sends)).toEqual([...slow, ...quick].map(() => 1));
      } finally {
        await close();
      }
    }, 40_000);
  });
