// A person's change to an action the engine holds claimed ahead (within the claim lead, or come due
// and waiting for room among maxInFlight) and has not sent yet stops that send: the change applies to
// the action as it was before the claim, in the write that gives the claim back. A change the
// lifecycle refuses leaves the send as it was. Fake clock, both stores.

import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Callout } from '../../src/callout.ts';
import { FakeClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';
import { fileMock, settle } from '../helpers/file-mock.ts';

const HOUR = 3_600_000;
const quiet = createLogger({ level: 'silent' });
const mock = fileMock();
const sends = mock.sends;

type Open = (
  clock: FakeClock,
  maxInFlight: number,
) => Promise<{ c: Callout; cleanup: () => Promise<void>; reopen: (clock: FakeClock) => Promise<Callout> }>;
const common = (maxInFlight: number) => ({
  allowPrivateNetworks: true,
  publicUrl: 'http://127.0.0.1:9',
  logger: quiet,
  engine: { pollIntervalMs: HOUR, claimLeadMs: 50, maxInFlight },
});
const backends: Array<{ name: string; open: Open }> = [
  {
    name: 'SQLite',
    open: async (clock, maxInFlight) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'callout-lead-change-'));
      const c = await Callout.open({ dataDir, clock, ...common(maxInFlight) });
      return {
        c,
        cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
        reopen: (clock) => Callout.open({ dataDir, clock, ...common(maxInFlight) }),
      };
    },
  },
  {
    name: 'PostgreSQL',
    open: async (clock, maxInFlight) => {
      const schema = freshSchema('leadchange');
      const secretKey = randomBytes(32).toString('hex');
      const store = () => new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4, logger: quiet });
      const c = await Callout.open({ store: store(), secretKey, clock, ...common(maxInFlight) });
      return {
        c,
        cleanup: () => dropSchema(schema),
        reopen: (clock) => Callout.open({ store: store(), secretKey, clock, ...common(maxInFlight) }),
      };
    },
  },
];

for (const backend of backends) {
  describe(`${backend.name}: a person's change to an action claimed ahead and not sent yet`, () => {
    async function withCallout(maxInFlight: number, run: (c: Callout, clock: FakeClock, t0: number) => Promise<void>): Promise<void> {
      const clock = new FakeClock(Date.UTC(2026, 11, 5, 9, 0, 0));
      const { c, cleanup } = await backend.open(clock, maxInFlight);
      try {
        await c.connectors.create({ name: 'vendor', baseUrl: mock.url });
        await c.actionTypes.create({ name: 'timer', connector: 'vendor', path: '/ok' });
        await c.actionTypes.create({ name: 'slow', connector: 'vendor', path: '/slow?ms=600' });
        await run(c, clock, clock.now());
      } finally {
        await c.close();
        await cleanup();
      }
    }
    /** Launched due 40 ms from now, and claimed ahead by the engine (phase `sending`, nothing sent). */
    async function heldAhead(c: Callout, t0: number): Promise<string> {
      const [id] = await c.actions.launchMany([{ actionType: 'timer', startAt: t0 + 40 }]);
      c.start();
      await expect.poll(async () => (await c.actions.getAction(id!)).phase, { timeout: 3000 }).toBe('sending');
      expect(sends(id!)).toBe(0);
      return id!;
    }

    it('a pause stops the send: the action is queued and paused, sent once when resumed', async () => {
      await withCallout(16, async (c, clock, t0) => {
        const id = await heldAhead(c, t0);
        const paused = await c.actions.pause(id, 'ivy');
        expect(paused).toMatchObject({ state: 'waiting', phase: 'queued', retry: { paused: true } });
        clock.set(t0 + 40);
        await settle(150);
        expect(sends(id)).toBe(0);
        // Its lease is gone with the claim: nothing brings it back while paused, not its lease end either.
        clock.set(t0 + 10 * 60_000);
        await settle(150);
        expect(sends(id)).toBe(0);
        expect(await c.actions.getAction(id)).toMatchObject({ state: 'waiting', phase: 'queued', attempts: 0 });
        expect((await c.actions.timeline(id)).map((e) => e.kind)).toEqual(['launched', 'paused']);

        await c.actions.resume(id, 'ivy');
        await expect.poll(async () => (await c.actions.getAction(id)).state, { timeout: 3000 }).toBe('closed');
        expect(sends(id)).toBe(1);
      });
    });

    it('a completion closes it unsent (before, it was refused as an attempt in flight)', async () => {
      await withCallout(16, async (c, clock, t0) => {
        const id = await heldAhead(c, t0);
        const closed = await c.actions.complete(id, 'ivy', { resolution: 'not_done_successfully', note: 'not needed' });
        expect(closed).toMatchObject({ state: 'closed', resolution: 'not_done_successfully' });
        clock.set(t0 + 10 * 60_000);
        await settle(150);
        expect(sends(id)).toBe(0);
        expect((await c.actions.getAction(id)).attempts).toBe(0);
      });
    });

    it('a change the lifecycle refuses leaves it held: sent once, at its due time', async () => {
      await withCallout(16, async (c, clock, t0) => {
        const id = await heldAhead(c, t0);
        await expect(c.actions.pickUp(id, 'ivy')).rejects.toThrow(/To Do/);
        await settle(60);
        expect(sends(id)).toBe(0);
        clock.set(t0 + 40);
        await expect.poll(() => sends(id), { timeout: 3000 }).toBe(1);
        await expect.poll(async () => (await c.actions.getAction(id)).state, { timeout: 3000 }).toBe('closed');
        const attempt = (await c.actions.timeline(id)).find((e) => e.kind === 'attempt')!;
        expect(Date.parse(attempt.at as unknown as string)).toBe(t0 + 40);
        expect(sends(id)).toBe(1);
      });
    });

    it('come due while every attempt place is taken, a pause stops it before it gets one', async () => {
      await withCallout(1, async (c, clock, t0) => {
        const [slow] = await c.actions.launchMany([{ actionType: 'slow' }]);
        const id = await heldAhead(c, t0);
        await expect.poll(async () => (await c.actions.getAction(slow!)).phase, { timeout: 3000 }).toBe('sending');
        await settle(60); // its request is on its way: the one place is taken
        clock.set(t0 + 40); // due, but the one place is the slow attempt's: it waits for room
        await settle(60);
        expect(sends(id)).toBe(0);
        await c.actions.pause(id, 'ivy');
        await expect.poll(async () => (await c.actions.getAction(slow!)).state, { timeout: 5000 }).toBe('closed');
        await settle(150);
        expect(sends(id)).toBe(0);
        expect(await c.actions.getAction(id)).toMatchObject({ state: 'waiting', phase: 'queued', retry: { paused: true } });
      });
    });

    it('a launch paused and resumed before its start time is sent at its start time, not at once', async () => {
      await withCallout(16, async (c, clock, t0) => {
        const [id] = await c.actions.launchMany([{ actionType: 'timer', startAt: t0 + 10 * 60_000 }]);
        c.start();
        await c.actions.pause(id!, 'ivy');
        const resumed = await c.actions.resume(id!, 'ivy');
        expect(resumed).toMatchObject({ state: 'waiting', phase: 'queued', retry: { paused: false, nextRetryAt: null } });
        clock.set(t0 + 5 * 60_000);
        await settle(150);
        expect(sends(id!)).toBe(0); // sent at once before
        clock.set(t0 + 10 * 60_000);
        await expect.poll(async () => (await c.actions.getAction(id!)).state, { timeout: 3000 }).toBe('closed');
        expect(sends(id!)).toBe(1);
        const attempt = (await c.actions.timeline(id!)).find((e) => e.kind === 'attempt')!;
        expect(Date.parse(attempt.at as unknown as string)).toBe(t0 + 10 * 60_000);
      });
    });

    it('a lowered retry limit closes a retry held claimed ahead: it is not sent again', async () => {
      await withCallout(16, async (c, clock) => {
        await c.actionTypes.create({
          name: 'down',
          connector: 'vendor',
          path: '/status/503',
          retry: { maxRetries: 3, interval: '1s', backoff: 'fixed' },
        });
        const [id] = await c.actions.launchMany([{ actionType: 'down' }]);
        c.start();
        await expect.poll(async () => (await c.actions.getAction(id!)).phase, { timeout: 3000 }).toBe('retry_scheduled');
        const due = Date.parse((await c.actions.getAction(id!)).retry.nextRetryAt!);
        expect(sends(id!)).toBe(1);
        clock.set(due - 30); // within the lead: the retry is claimed ahead and held, not sent
        await expect.poll(async () => (await c.actions.getAction(id!)).phase, { timeout: 3000 }).toBe('sending');
        await settle(30);
        expect(sends(id!)).toBe(1);
        // No retry left under the new limit (the listing of scheduled retries did not see one claimed ahead).
        await c.actionTypes.update('down', { retry: { maxRetries: 0 } }, 'user:ivy');
        expect(await c.actions.getAction(id!)).toMatchObject({ state: 'closed', resolution: 'not_done_successfully' });
        clock.set(due + 10 * 60_000);
        await settle(150);
        expect(sends(id!)).toBe(1);
        expect((await c.actions.timeline(id!)).map((e) => e.kind)).toContain('policy_changed');
      });
    });

    it('claimed due and waiting for room, a pause stops it before it gets one; the others are sent once', async () => {
      await withCallout(1, async (c, clock, t0) => {
        const [slow] = await c.actions.launchMany([{ actionType: 'slow' }]);
        const ids = await c.actions.launchMany([1, 1, 1].map((ms) => ({ actionType: 'timer', startAt: t0 + ms })));
        clock.set(t0 + 1);
        c.start(); // the one place goes to the slow one (due first); the three are claimed behind it
        await expect
          .poll(async () => (await Promise.all(ids.map((id) => c.actions.getAction(id)))).every((a) => a.phase === 'sending'), {
            timeout: 3000,
          })
          .toBe(true);
        expect(ids.map(sends)).toEqual([0, 0, 0]);
        expect(await c.actions.pause(ids[1]!, 'ivy')).toMatchObject({ phase: 'queued', retry: { paused: true } });
        await expect.poll(async () => (await c.actions.getAction(slow!)).state, { timeout: 5000 }).toBe('closed');
        await expect.poll(() => sends(ids[0]!) + sends(ids[2]!), { timeout: 3000 }).toBe(2);
        await settle(150);
        expect(ids.map(sends)).toEqual([1, 0, 1]);
      });
    });
  });
}

for (const backend of backends) {
  describe(`${backend.name}: stopping with actions claimed ahead`, () => {
    it('whose time does not come within a lead (a clock that does not move): gives them back unsent, and the next node sends each once, on time', async () => {
      const clock = new FakeClock(Date.UTC(2026, 11, 5, 9, 0, 0));
      const t0 = clock.now();
      const { c, cleanup, reopen } = await backend.open(clock, 16);
      let next: Callout | undefined;
      try {
        await c.connectors.create({ name: 'vendor', baseUrl: mock.url });
        await c.actionTypes.create({ name: 'timer', connector: 'vendor', path: '/ok' });
        const ids = await c.actions.launchMany([10, 20, 40].map((ms) => ({ actionType: 'timer', startAt: t0 + ms })));
        c.start();
        await expect
          .poll(async () => (await Promise.all(ids.map((id) => c.actions.getAction(id)))).every((a) => a.phase === 'sending'), {
            timeout: 3000,
          })
          .toBe(true);
        const began = Date.now();
        await c.close(); // waited for the clock to reach their due times, for ever, before
        expect(Date.now() - began).toBeLessThan(5_000);

        const later = new FakeClock(t0 + 5);
        next = await reopen(later);
        for (const id of ids) expect(await next.actions.getAction(id)).toMatchObject({ state: 'waiting', phase: 'queued', attempts: 0 });
        next.start();
        await settle(100);
        expect(ids.map(sends)).toEqual([0, 0, 0]); // not due yet: given back with their own due times, not made due now
        later.set(t0 + 40);
        await expect.poll(() => ids.map(sends), { timeout: 3000 }).toEqual([1, 1, 1]);
        for (const id of ids) {
          await expect.poll(async () => (await next!.actions.getAction(id)).state, { timeout: 3000 }).toBe('closed');
        }
      } finally {
        await next?.close();
        await cleanup();
      }
    }, 30_000);
  });
}
