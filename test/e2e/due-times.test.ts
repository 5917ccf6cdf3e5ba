// Every due time the engine writes itself wakes its sleeping loop on time: the loop sleeps with a
// one-hour poll on a fake clock, so only an announcement of the due time (after the group commit)
// can wake it before its lease or poll would. Each kind: retry, completion timeout, heartbeat
// timeout, rate-limit window end, circuit cool-down, resume. On both stores.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Callout } from '../../src/callout.ts';
import { FakeClock } from '../../src/clock.ts';
import { startMockServer, type MockServer } from '../../src/mock/server.ts';
import type { ActionRecord } from '../../src/lifecycle/action.ts';
import { NODE_BACKENDS } from '../helpers/callout-node.ts';

const HOUR = 3_600_000;
let mock: MockServer;
beforeAll(async () => (mock = await startMockServer()));
afterAll(async () => mock.close());

// The poll never comes within a test; the lease (connector timeout 30 s + 15 s) ends after every due time below.
const engine = { pollIntervalMs: HOUR };

/** Waits (real time) until `ok` holds for the action, or fails after `ms`. */
async function until(c: Callout, id: string, ok: (a: ActionRecord) => boolean, ms = 3000): Promise<ActionRecord> {
  const deadline = Date.now() + ms;
  for (;;) {
    const a = (await c.store.getAction(id))!;
    if (ok(a)) return a;
    if (Date.now() > deadline) throw new Error(`action ${id} stayed ${JSON.stringify({ state: a.state, phase: a.phase, dueAt: a.dueAt })}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sends = (id: string): number => mock.log.filter((e) => e.key === id).length;
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 150));

/**
 * The action waits for a due time the engine wrote (short of its lease): nothing happens 1 ms before
 * it; at it, the sleeping loop wakes and `fired` comes true.
 */
async function firesOnTime(c: Callout, clock: FakeClock, waiting: ActionRecord, fired: (a: ActionRecord) => boolean): Promise<void> {
  const due = waiting.dueAt!;
  expect(due).toBeGreaterThan(clock.now());
  expect(due).toBeLessThan(clock.now() + 45_000);
  clock.set(due - 1);
  await settle();
  expect(fired((await c.store.getAction(waiting.id))!)).toBe(false);
  clock.set(due);
  await until(c, waiting.id, fired);
}

for (const backend of NODE_BACKENDS)
  describe(backend.name, () => {
    let c: Callout;
    let clock: FakeClock;
    let close: () => Promise<void>;
    beforeAll(async () => {
      clock = new FakeClock(Date.UTC(2026, 10, 28, 9, 0, 0));
      ({ c, close } = await backend.open({ clock, engine }));
      await c.connectors.create({ name: 'vendor', baseUrl: mock.url, circuitBreaker: false });
      c.start();
    });
    afterAll(async () => {
      await close();
    });

    it('a retry', async () => {
      await c.actionTypes.create({
        name: 'down',
        connector: 'vendor',
        path: '/status/503',
        retry: { maxRetries: 3, interval: '5s', backoff: 'fixed' },
      });
      const { action } = await c.actions.launch({ actionType: 'down' });
      const waiting = await until(c, action.id, (a) => a.phase === 'retry_scheduled');
      await firesOnTime(c, clock, waiting, () => sends(action.id) === 2);
    });

    it('a completion timeout', async () => {
      await c.actionTypes.create({
        name: 'never',
        connector: 'vendor',
        path: '/callback?never=1',
        completion: { mode: 'callback', timeout: '12s' },
      });
      const { action } = await c.actions.launch({ actionType: 'never' });
      const waiting = await until(c, action.id, (a) => a.phase === 'awaiting_callback');
      await firesOnTime(c, clock, waiting, (a) => a.state === 'todo' && a.reason === 'timeout');
    });

    it('a heartbeat timeout, first from the send, then moved by a heartbeat', async () => {
      await c.actionTypes.create({
        name: 'beating',
        connector: 'vendor',
        path: '/callback?never=1',
        completion: { mode: 'callback', timeout: '7d', heartbeatTimeout: '8s' },
      });
      const first = (await c.actions.launch({ actionType: 'beating' })).action;
      await firesOnTime(c, clock, await until(c, first.id, (a) => a.phase === 'awaiting_callback'), (a) => a.state === 'todo');
      const second = (await c.actions.launch({ actionType: 'beating' })).action;
      const sent = await until(c, second.id, (a) => a.phase === 'awaiting_callback');
      clock.advance(5000);
      await c.callbacks.heartbeat(c.engine.callbackToken(second.id), { note: 'half way' });
      const beaten = (await c.store.getAction(second.id))!;
      expect(beaten.dueAt).toBe(sent.dueAt! + 5000);
      await firesOnTime(c, clock, beaten, (a) => a.state === 'todo');
    });

    it('the end of a rate-limit window', async () => {
      await c.connectors.create({ name: 'limited', baseUrl: mock.url, circuitBreaker: false, rateLimits: [{ limit: 1, per: '20s' }] });
      await c.actionTypes.create({ name: 'limited-ok', connector: 'limited', path: '/ok' });
      const [a1, a2] = await c.actions.launchMany([{ actionType: 'limited-ok' }, { actionType: 'limited-ok' }]);
      const ids = [a1!, a2!];
      // Whichever was claimed first is sent; the other is held until the window ends.
      const deadline = Date.now() + 3000;
      let waiting: ActionRecord | undefined;
      while (!waiting && Date.now() < deadline) {
        const all = await Promise.all(ids.map((id) => c.store.getAction(id)));
        if (all.filter((a) => sends(a!.id) === 1).length === 1) waiting = all.find((a) => a!.phase === 'throttled');
        if (!waiting) await new Promise((r) => setTimeout(r, 10));
      }
      if (!waiting) throw new Error('neither action was held by the rate limit');
      await firesOnTime(c, clock, waiting, () => sends(waiting.id) === 1);
    });

    it('the end of a circuit cool-down', async () => {
      await c.connectors.create({ name: 'fragile', baseUrl: mock.url, circuitBreaker: { failureThreshold: 1, cooldown: '15s' } });
      await c.actionTypes.create({ name: 'fragile-down', connector: 'fragile', path: '/status/503' });
      await c.actionTypes.create({ name: 'fragile-ok', connector: 'fragile', path: '/ok' });
      const broke = (await c.actions.launch({ actionType: 'fragile-down' })).action;
      await until(c, broke.id, (a) => a.state !== 'waiting' || a.phase === 'retry_scheduled');
      const { action } = await c.actions.launch({ actionType: 'fragile-ok' });
      const waiting = await until(c, action.id, (a) => a.phase === 'throttled');
      expect(sends(action.id)).toBe(0);
      await firesOnTime(c, clock, waiting, () => sends(action.id) === 1);
    });

    it('a resume', async () => {
      await c.actionTypes.create({
        name: 'down-slow',
        connector: 'vendor',
        path: '/status/503',
        retry: { maxRetries: 3, interval: '10s', backoff: 'fixed' },
      });
      const { action } = await c.actions.launch({ actionType: 'down-slow' });
      await until(c, action.id, (a) => a.phase === 'retry_scheduled');
      await c.actions.pause(action.id, 'ops');
      clock.advance(2000);
      await c.actions.resume(action.id, 'ops');
      const waiting = (await c.store.getAction(action.id))!;
      expect(waiting).toMatchObject({ paused: false, phase: 'retry_scheduled' });
      await firesOnTime(c, clock, waiting, () => sends(action.id) === 2);
    });
  });
