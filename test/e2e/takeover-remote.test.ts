// Takeover of a node on another host, which no process check can see: its claims wait until its
// heartbeat is 60 % of CALLOUT_TAKEOVER_AFTER old, and are sent by a live node within the setting,
// not when their lease (an hour here) ends. On both stores.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { createLogger } from '../../src/logger.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';

const quiet = createLogger({ level: 'silent' });
const TAKEOVER = 2000;
const engine = { takeoverAfterMs: TAKEOVER };

const backends: Array<{ name: string; start: () => Promise<{ h: Harness; cleanup: () => Promise<void> }> }> = [
  { name: 'SQLite', start: async () => ({ h: await startHarness({ callout: { engine }, start: false }), cleanup: async () => undefined }) },
  {
    name: 'PostgreSQL',
    start: async () => {
      const schema = freshSchema('takeover');
      const store = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4, logger: quiet });
      const h = await startHarness({ callout: { store, secretKey: randomBytes(32).toString('hex'), engine }, start: false });
      return { h, cleanup: () => dropSchema(schema) };
    },
  },
];

for (const backend of backends)
  describe(backend.name, () => {
    let h: Harness;
    let cleanup: () => Promise<void>;
    beforeAll(async () => ({ h, cleanup } = await backend.start()));
    afterAll(async () => {
      await h.close();
      await cleanup();
    });

    it('the claims of a node on another host that stopped beating are sent within the takeover setting', async () => {
      const store = h.callout.store;
      await h.api('POST', '/v1/connectors', { name: 'vendor', baseUrl: h.mock.url, circuitBreaker: false });
      await h.api('POST', '/v1/action-types', { name: 'sync', connector: 'vendor', path: '/ok' });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await h.api('POST', '/v1/actions', { actionType: 'sync' })).body.id);
      // The other node: recorded, claims everything for an hour, then falls silent.
      const lastBeat = Date.now();
      await store.heartbeatNode({ id: 'far#1', host: 'another-host', pid: 1, startedAt: lastBeat - 60_000, heartbeatAt: lastBeat });
      expect(await store.claimDue({ now: lastBeat, owner: 'far#1', leaseUntil: lastBeat + 3_600_000, limit: 10 })).toHaveLength(5);
      h.callout.start();
      const done = await Promise.all(ids.map((id) => h.waitFor(id, (a) => a.state === 'closed', 10_000)));
      expect(done.every((a) => a.resolution === 'done_successfully')).toBe(true);
      const sent = ids.map((id) => h.mock.log.find((e) => e.key === id)!.at - lastBeat);
      // Not before its heartbeat was 60 % of the setting old; within the setting.
      expect(Math.min(...sent)).toBeGreaterThanOrEqual(TAKEOVER * 0.6);
      expect(Math.max(...sent)).toBeLessThan(TAKEOVER);
      expect((await store.listNodes()).map((n) => n.id)).toEqual([h.callout.engine.instanceId]);
    });
  });
