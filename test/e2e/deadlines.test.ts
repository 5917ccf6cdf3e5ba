// Deadlines that move: an action awaiting its callback whose heartbeat timeout is raised is not timed
// out at the old deadline; the engine moves its due time through the lifecycle (due_rescheduled),
// without a send or a timeline entry, and times it out at the new one. On both stores.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Callout } from '../../src/callout.ts';
import { FakeClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { startMockServer, type MockServer } from '../../src/mock/server.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import type { ActionRecord } from '../../src/lifecycle/action.ts';
import type { Effect } from '../../src/lifecycle/transition.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';

const MIN = 60_000;
const quiet = createLogger({ level: 'silent' });
let mock: MockServer;
beforeAll(async () => (mock = await startMockServer()));
afterAll(async () => mock.close());

const backends: Array<{ name: string; open: (clock: FakeClock) => Promise<{ c: Callout; cleanup: () => Promise<void> }> }> = [
  {
    name: 'SQLite',
    open: async (clock) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'callout-deadlines-'));
      const c = await Callout.open({ dataDir, clock, allowPrivateNetworks: true, publicUrl: 'http://127.0.0.1:9', logger: quiet });
      return { c, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'PostgreSQL',
    open: async (clock) => {
      const schema = freshSchema('deadlines');
      const store = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4, logger: quiet });
      const secretKey = randomBytes(32).toString('hex');
      const c = await Callout.open({ store, secretKey, clock, allowPrivateNetworks: true, publicUrl: 'http://127.0.0.1:9', logger: quiet });
      return { c, cleanup: () => dropSchema(schema) };
    },
  },
];

for (const backend of backends)
  describe(backend.name, () => {
    it('a raised heartbeat timeout moves the due time at the old deadline (no send, no timeline entry); silence past the new one times out', async () => {
      const clock = new FakeClock(Date.UTC(2026, 10, 28, 9, 0, 0));
      const { c, cleanup } = await backend.open(clock);
      try {
        await c.connectors.create({ name: 'vendor', baseUrl: mock.url });
        await c.actionTypes.create({
          name: 'beating',
          connector: 'vendor',
          path: '/callback?never=1',
          body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}"}' },
          completion: { mode: 'callback', timeout: '7d', heartbeatTimeout: '10m' },
        });
        const { action } = await c.actions.launch({ actionType: 'beating' });
        await c.engine.tick();
        const accepted = clock.now();
        expect(await c.store.getAction(action.id)).toMatchObject({ phase: 'awaiting_callback', dueAt: accepted + 10 * MIN });
        const sends = mock.log.filter((e) => e.key === action.id).length;
        const entries = (await c.actions.timeline(action.id)).length;

        await c.actionTypes.update('beating', { completion: { mode: 'callback', timeout: '7d', heartbeatTimeout: '1h' } });
        const written: Array<[ActionRecord, Effect[]]> = [];
        c.engine.on('action', (a, e) => written.push([a, e]));
        clock.advance(10 * MIN);
        expect(await c.engine.tick()).toBe(1);
        const moved = await c.store.getAction(action.id);
        expect(moved).toMatchObject({ state: 'waiting', phase: 'awaiting_callback', dueAt: accepted + 60 * MIN, heartbeatAt: accepted });
        expect(written.map(([a, e]) => [a.id, a.dueAt, e])).toEqual([[action.id, accepted + 60 * MIN, []]]);
        expect(mock.log.filter((e) => e.key === action.id)).toHaveLength(sends);
        expect(await c.actions.timeline(action.id)).toHaveLength(entries);

        clock.advance(50 * MIN - 1);
        expect(await c.engine.tick()).toBe(0);
        clock.advance(1);
        expect(await c.engine.tick()).toBe(1);
        expect(await c.actions.getAction(action.id)).toMatchObject({
          state: 'todo',
          reason: 'timeout',
          retry: { lastError: 'No heartbeat from the external system in time' },
        });
      } finally {
        await c.close();
        await cleanup();
      }
    });
  });
