// The claim lead: a stream of timers due a few milliseconds apart is claimed a batch at a time (a
// claim each half lead, not one per timer) and still each is sent at its due time, never before.
// On a fake clock stepped 5 ms at a time, on both stores; with the lead off, every timer costs a claim.

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
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';
import { countActions } from '../helpers/action-counts.ts';

const HOUR = 3_600_000;
const quiet = createLogger({ level: 'silent' });
let mock: MockServer;
beforeAll(async () => (mock = await startMockServer()));
afterAll(async () => mock.close());

type Open = (clock: FakeClock, claimLeadMs: number, maxInFlight?: number) => Promise<{ c: Callout; cleanup: () => Promise<void> }>;
const common = (claimLeadMs: number, maxInFlight = 1024) => ({
  allowPrivateNetworks: true,
  publicUrl: 'http://127.0.0.1:9',
  logger: quiet,
  engine: { pollIntervalMs: HOUR, claimLeadMs, maxInFlight },
});
const backends: Array<{ name: string; open: Open }> = [
  {
    name: 'SQLite',
    open: async (clock, lead, maxInFlight) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'callout-lead-'));
      const c = await Callout.open({ dataDir, clock, ...common(lead, maxInFlight) });
      return { c, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'PostgreSQL',
    open: async (clock, lead, maxInFlight) => {
      const schema = freshSchema('lead');
      const store = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4, logger: quiet });
      const c = await Callout.open({ store, secretKey: randomBytes(32).toString('hex'), clock, ...common(lead, maxInFlight) });
      return { c, cleanup: () => dropSchema(schema) };
    },
  },
];

const sends = (id: string): number => mock.log.filter((e) => e.key === id).length;
const settle = (ms = 30): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * 60 actions due 5 ms apart; the clock stepped 5 ms at a time. After each step: everything due has
 * been sent, once, nothing due later has, and each attempt is on its timeline at its due time.
 * Returns how many claims found work.
 */
async function stream(open: Open, lead: number): Promise<number> {
  const clock = new FakeClock(Date.UTC(2026, 11, 5, 9, 0, 0));
  const { c, cleanup } = await open(clock, lead);
  try {
    await c.connectors.create({ name: 'vendor', baseUrl: mock.url });
    await c.actionTypes.create({ name: 'timer', connector: 'vendor', path: '/ok' });
    let claims = 0;
    const claimDue = c.store.claimDue.bind(c.store);
    c.store.claimDue = async (p) => {
      const rows = await claimDue(p);
      if (rows.length > 0) claims++;
      return rows;
    };
    const t0 = clock.now();
    const due = Array.from({ length: 60 }, (_, i) => t0 + 5 * (i + 1));
    const ids = await c.actions.launchMany(due.map((startAt) => ({ actionType: 'timer', startAt })));
    c.start();
    for (let step = 1; step <= 60; step++) {
      clock.set(t0 + 5 * step);
      const now = clock.now();
      await expect.poll(() => ids.filter((id, i) => due[i]! <= now && sends(id) === 1).length, { timeout: 3000 }).toBe(step);
      await settle(2);
      expect(ids.filter((id, i) => due[i]! > now && sends(id) > 0)).toEqual([]);
    }
    await expect.poll(async () => countActions(c.store, ids, (a) => a.state === 'closed')).toBe(60);
    for (const [i, id] of ids.entries()) {
      const attempts = (await c.store.listTimeline(id)).filter((e) => e.kind === 'attempt');
      expect(attempts.map((e) => e.at)).toEqual([due[i]]);
    }
    return claims;
  } finally {
    await c.close();
    await cleanup();
  }
}

for (const backend of backends)
  describe(backend.name, () => {
    it('claims a stream of timers a batch at a time and sends each at its due time, not before', async () => {
      const claims = await stream(backend.open, 50);
      // A claim every 25 ms (half the lead) covers five timers: about 12 claims, not 60.
      expect(claims).toBeLessThanOrEqual(20);
    });

    it('with the lead off, claims each timer as it comes due (what the lead saves)', async () => {
      expect(await stream(backend.open, 0)).toBeGreaterThanOrEqual(50);
    });

    it('a node stopping with actions claimed ahead sends them at their due time, not before, then stops', async () => {
      const clock = new FakeClock(Date.UTC(2026, 11, 5, 9, 0, 0));
      const { c, cleanup } = await backend.open(clock, 50);
      try {
        await c.connectors.create({ name: 'vendor', baseUrl: mock.url });
        await c.actionTypes.create({ name: 'timer', connector: 'vendor', path: '/ok' });
        const due = clock.now() + 30;
        const { action } = await c.actions.launch({ actionType: 'timer', startAt: due });
        c.start();
        // Claimed ahead: leased to this node, not yet sent.
        await expect.poll(async () => (await c.store.getAction(action.id))!.phase).toBe('sending');
        let stopped = false;
        const stopping = c.engine.stop().then(() => (stopped = true));
        await settle(100);
        expect(stopped).toBe(false);
        expect(sends(action.id)).toBe(0);
        clock.advance(30);
        await stopping;
        expect(sends(action.id)).toBe(1);
        const a = (await c.store.getAction(action.id))!;
        expect(a.state).toBe('closed');
        expect((await c.store.listTimeline(action.id)).find((e) => e.kind === 'attempt')?.at).toBe(due);
      } finally {
        await c.close();
        await cleanup();
      }
    });

    it('actions claimed ahead that come due together start no more attempts than maxInFlight; the rest follow as attempts end', async () => {
      const slow = await startMockServer({ latencyMs: 300 });
      const clock = new FakeClock(Date.UTC(2026, 11, 5, 9, 0, 0));
      const { c, cleanup } = await backend.open(clock, 50, 3);
      try {
        await c.connectors.create({ name: 'slow', baseUrl: slow.url });
        await c.actionTypes.create({ name: 'timer', connector: 'slow', path: '/ok' });
        const due = clock.now() + 30;
        const ids = await c.actions.launchMany(Array.from({ length: 9 }, () => ({ actionType: 'timer', startAt: due })));
        c.start();
        await expect.poll(async () => countActions(c.store, ids, (a) => a.phase === 'sending')).toBe(9);
        expect(slow.log).toHaveLength(0);
        clock.advance(30);
        await expect.poll(() => slow.log.length, { timeout: 5000 }).toBe(9);
        // Each answer takes 300 ms: three arrive at once, the next three when those are answered.
        const at = slow.log.map((e) => e.at).sort((x, y) => x - y);
        expect(at[2]! - at[0]!).toBeLessThan(150);
        expect(at[3]! - at[0]!).toBeGreaterThanOrEqual(250);
        expect(at[6]! - at[0]!).toBeGreaterThanOrEqual(550);
        await expect
          .poll(async () => countActions(c.store, ids, (a) => a.state === 'closed'), {
            timeout: 5000,
          })
          .toBe(9);
      } finally {
        await c.close();
        await cleanup();
        await slow.close();
      }
    });

    it('a heartbeat that arrives while the deadline is held claimed ahead keeps the action alive', async () => {
      const clock = new FakeClock(Date.UTC(2026, 11, 5, 9, 0, 0));
      const { c, cleanup } = await backend.open(clock, 50);
      try {
        await c.connectors.create({ name: 'vendor', baseUrl: mock.url });
        await c.actionTypes.create({
          name: 'beating',
          connector: 'vendor',
          path: '/callback?never=1',
          body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}"}' },
          completion: { mode: 'callback', timeout: '7d', heartbeatTimeout: '10s' },
        });
        const { action } = await c.actions.launch({ actionType: 'beating' });
        c.start();
        await expect.poll(async () => (await c.store.getAction(action.id))!.phase).toBe('awaiting_callback');
        const deadline = (await c.store.getAction(action.id))!.dueAt!;
        // 30 ms before the heartbeat deadline: the engine claims it ahead and holds it.
        clock.set(deadline - 30);
        await expect.poll(async () => (await c.store.getAction(action.id))!.dueAt).not.toBe(deadline);
        await c.callbacks.heartbeat(c.engine.callbackToken(action.id), { note: 'on time' });
        clock.set(deadline);
        await settle(200);
        expect(await c.store.getAction(action.id)).toMatchObject({ state: 'waiting', phase: 'awaiting_callback' });
        // Silence after it times the action out at the new deadline.
        clock.set(deadline - 30 + 10_000);
        await expect.poll(async () => (await c.store.getAction(action.id))!.state).toBe('todo');
      } finally {
        await c.close();
        await cleanup();
      }
    });
  });
