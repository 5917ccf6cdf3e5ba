// Holding a backlog behind a rate limit costs the store work in proportion to what is sent, not to
// what is held: 2,000 actions behind 20 a second are each due again in a window with room for them,
// so a window claims and rewrites about the 20 it sends, not the whole backlog. The engine runs on
// a fake clock, stepped with tick(); the rows counted are the claims and the action and timeline
// rows written (the store's own calls, wrapped). On both stores, across a restart of the node, after
// which new holds still go behind the backlog.

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
import type { Store } from '../../src/store/types.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';

const quiet = createLogger({ level: 'silent' });
const common = { allowPrivateNetworks: true, publicUrl: 'http://127.0.0.1:9', logger: quiet };
const HELD = 2000;
const LIMIT = 20;

let mock: MockServer;
beforeAll(async () => (mock = await startMockServer()));
afterAll(async () => mock.close());

interface Backend {
  name: string;
  /** Opens a node on the backend's store; the same store each time it is called for one `place`. */
  open: (clock: FakeClock, place: string) => Promise<Callout>;
  cleanup: (place: string) => Promise<void>;
}

const key = randomBytes(32).toString('hex');
const backends: Backend[] = [
  {
    name: 'SQLite',
    open: (clock, dataDir) => Callout.open({ dataDir, clock, ...common }),
    cleanup: async (dataDir) => rmSync(dataDir, { recursive: true, force: true }),
  },
  {
    name: 'PostgreSQL',
    open: (clock, schema) =>
      Callout.open({
        store: new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4, logger: quiet }),
        secretKey: key,
        clock,
        ...common,
      }),
    cleanup: (schema) => dropSchema(schema),
  },
];

/** Counts the rows a store claims and writes (actions and their timeline entries) from now on. */
function countRows(store: Store): { rows: number } {
  const n = { rows: 0 };
  const claim = store.claimDue.bind(store);
  const write = store.writeActions.bind(store);
  store.claimDue = async (p) => {
    const r = await claim(p);
    n.rows += r.length;
    return r;
  };
  store.writeActions = async (ws) => {
    const r = await write(ws);
    ws.forEach((w, i) => (n.rows += r[i] ? 1 + w.timeline.length : 0));
    return r;
  };
  return n;
}

for (const b of backends) {
  describe(`${b.name}: a backlog held behind a rate limit`, () => {
    const place = b.name === 'SQLite' ? mkdtempSync(join(tmpdir(), 'callout-held-')) : freshSchema('held');
    afterAll(() => b.cleanup(place));

    it(`${HELD} held behind ${LIMIT}/s: each window sends ${LIMIT} and writes about that many rows, not the backlog`, async () => {
      const clock = new FakeClock(Date.UTC(2030, 0, 1, 9, 0, 0));
      let c = await b.open(clock, place);
      await c.connectors.create({ name: 'limited', baseUrl: mock.url, rateLimits: [{ limit: LIMIT, per: '1s' }] });
      await c.actionTypes.create({ name: 'held', connector: 'limited', path: '/ok' });
      const ids = await c.actions.launchMany(Array.from({ length: HELD }, () => ({ actionType: 'held' })));
      const sent = (): number => mock.log.filter((e) => ids.includes(e.key!)).length;

      // The first window: 20 sent, the rest held once each, spread over the windows that will admit them.
      let n = countRows(c.store);
      await c.engine.tick();
      expect(sent()).toBe(LIMIT);
      // A claim and a throttled write (with its one timeline note) per held action, and the sends' writes.
      expect(n.rows).toBeLessThanOrEqual(3 * HELD + 10 * LIMIT);
      const held = await c.store.listActions({ phase: 'throttled', limit: HELD });
      expect(held).toHaveLength(HELD - LIMIT);
      const perWindow = new Map<number, number>();
      for (const a of held) perWindow.set(a.dueAt!, (perWindow.get(a.dueAt!) ?? 0) + 1);
      expect(Math.max(...perWindow.values())).toBe(LIMIT);
      expect(Math.min(...perWindow.keys())).toBe(clock.now() + 1000);
      const lastDue = Math.max(...perWindow.keys());
      expect(lastDue).toBe(clock.now() + (HELD / LIMIT - 1) * 1000);
      let later: string[] = [];

      // Three windows, then the node restarts on the same store, then three more: each window sends
      // exactly its limit and writes rows for those sends only (before: ~2 × the backlog a window).
      for (let w = 1; w <= 6; w++) {
        if (w === 4) {
          await c.close();
          c = await b.open(clock, place);
        }
        clock.advance(w === 5 ? 500 : 1000);
        const before = sent();
        n = countRows(c.store);
        await c.engine.tick();
        expect(sent() - before).toBe(LIMIT);
        expect(n.rows).toBeLessThanOrEqual(5 * LIMIT);
        if (w === 4) {
          // Launched mid-window after the restart, when the window's permits are used: held behind
          // the backlog the previous life placed, not in its windows.
          clock.advance(500);
          later = await c.actions.launchMany(Array.from({ length: 30 }, () => ({ actionType: 'held' })));
          await c.engine.tick();
          expect(sent()).toBe(5 * LIMIT);
          const dues = await Promise.all(later.map(async (id) => (await c.store.getAction(id))!.dueAt!));
          expect(Math.min(...dues)).toBe(lastDue + 1000);
          expect(Math.max(...dues)).toBe(lastDue + 2000);
        }
      }
      expect(new Set(mock.log.filter((e) => ids.includes(e.key!)).map((e) => e.key)).size).toBe(7 * LIMIT);
      expect(mock.log.filter((e) => later.includes(e.key!))).toHaveLength(0);
      await c.close();
    });
  });
}
