// Due times in real time, over HTTP, with the default 1 s poll: a 300 ms fixed retry policy sends
// its retries about 300 ms apart (not at the next poll, a second later), and a 700 ms completion
// timeout turns the action To Do after about 700 ms. On both stores.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { createLogger } from '../../src/logger.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';

const quiet = createLogger({ level: 'silent' });
const engine = { pollIntervalMs: 1000 };

const backends: Array<{ name: string; start: () => Promise<{ h: Harness; cleanup: () => Promise<void> }> }> = [
  { name: 'SQLite', start: async () => ({ h: await startHarness({ callout: { engine } }), cleanup: async () => undefined }) },
  {
    name: 'PostgreSQL',
    start: async () => {
      const schema = freshSchema('due_real');
      const store = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4, logger: quiet });
      const h = await startHarness({ callout: { store, secretKey: randomBytes(32).toString('hex'), engine } });
      return { h, cleanup: () => dropSchema(schema) };
    },
  },
];

for (const backend of backends)
  describe(backend.name, () => {
    let h: Harness;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ h, cleanup } = await backend.start());
      expect((await h.api('POST', '/v1/connectors', { name: 'vendor', baseUrl: h.mock.url, circuitBreaker: false })).status).toBe(201);
    });
    afterAll(async () => {
      await h.close();
      await cleanup();
    });

    it('a 300 ms fixed retry policy sends its retries about 300 ms apart', async () => {
      await h.api('POST', '/v1/action-types', {
        name: 'flaky',
        connector: 'vendor',
        path: '/status/503',
        retry: { maxRetries: 3, interval: '300ms', backoff: 'fixed' },
      });
      const { body: action } = await h.api('POST', '/v1/actions', { actionType: 'flaky' });
      await h.waitFor(action.id, (a) => a.state !== 'waiting');
      const at = h.mock.log.filter((e) => e.key === action.id).map((e) => e.at);
      expect(at).toHaveLength(4);
      const gaps = at.slice(1).map((t, i) => t - at[i]!);
      for (const g of gaps) {
        expect(g).toBeGreaterThanOrEqual(295);
        expect(g).toBeLessThan(450);
      }
    });

    it('a 700 ms completion timeout turns the action To Do after about 700 ms', async () => {
      await h.api('POST', '/v1/action-types', {
        name: 'silent',
        connector: 'vendor',
        path: '/callback?never=1',
        completion: { mode: 'callback', timeout: '700ms' },
      });
      const launched = Date.now();
      const { body: action } = await h.api('POST', '/v1/actions', { actionType: 'silent' });
      const sent = await h.waitFor(action.id, (a) => a.phase === 'awaiting_callback');
      const todo = await h.waitFor(action.id, (a) => a.state === 'todo');
      expect(todo.reason).toBe('timeout');
      const timedOutAt = Date.parse(todo.updatedAt);
      expect(sent).toBeDefined();
      expect(timedOutAt - launched).toBeGreaterThanOrEqual(700);
      // Counted from the send (as the timeout is), not the launch: on a loaded runner the send itself
      // came 2 s after the launch once, which says nothing of when the timeout fired.
      const sentAt = h.mock.log.find((e) => e.key === action.id)!.at;
      expect(timedOutAt - sentAt).toBeGreaterThanOrEqual(650);
      expect(timedOutAt - sentAt).toBeLessThan(950);
    });
  });
