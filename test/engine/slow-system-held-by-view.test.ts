// heldBy of an action held for a slow system's place says slow_system for as long as that holds it:
// between two waves of the slow system (its newest attempt under a second old) it used to read
// "max_concurrency: no concurrency limit now", with the action due many seconds later.
import { describe, expect, it } from 'vitest';
import { openSqliteNode } from '../helpers/callout-node.ts';
import { fileMock, settle } from '../helpers/file-mock.ts';

const mock = fileMock();

describe('heldBy of an action held for a slow system', () => {
  it('says slow_system for as long as that is what holds it', async () => {
    const { c, close } = await openSqliteNode({ engine: { maxInFlight: 2 } });
    try {
      await c.connectors.create({ name: 'hanging', baseUrl: mock.url });
      await c.actionTypes.create({ name: 'slow', connector: 'hanging', path: '/slow?ms=2500' });
      const ids = await c.actions.launchMany(Array.from({ length: 8 }, () => ({ actionType: 'slow' })));
      c.start();
      const seen = new Map<string, string>();
      const end = Date.now() + 9000;
      while (Date.now() < end) {
        for (const id of ids) {
          const a = await c.actions.getAction(id);
          if (a.phase !== 'throttled' || !a.heldBy) continue;
          const timeline = JSON.stringify(await c.actions.timeline(id));
          if (!timeline.includes('slow systems keep at most')) continue;
          seen.set(a.heldBy.reason, `${a.heldBy.detail} (throttledUntil ${a.throttledUntil}, now ${new Date().toISOString()})`);
        }
        await settle(50);
      }
      expect([...seen.keys()]).toEqual(['slow_system']);
    } finally {
      await close();
    }
  }, 30_000);
});
