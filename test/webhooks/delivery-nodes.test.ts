// Where and how fast webhooks go out, on both stores: a node with delivery off (CALLOUT_WEBHOOK_DELIVERY)
// writes the outbox and sends nothing, and a node with it on delivers every event, in order and
// signed; the engine says when it has a backlog, and a worker yielding to it then still delivers
// everything in order, fewer at a time, and catches up at full width once the engine is idle.

import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { Callout, type CalloutOptions } from '../../src/callout.ts';
import { createLogger } from '../../src/logger.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { systemClock } from '../../src/clock.ts';
import { DeliveryWorker } from '../../src/webhooks/worker.ts';
import { WebhookSender } from '../../src/webhooks/sender.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';
import { STORES, startReceiver, until, type Receiver, type StoreName } from './helpers.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Opens nodes sharing one store (the same SQLite file, or the same PostgreSQL schema and key). */
async function sharedStore(store: StoreName): Promise<(opts: Partial<CalloutOptions>) => Promise<Callout>> {
  const base = { allowPrivateNetworks: true, logger: createLogger({ level: 'silent' }), engine: { pollIntervalMs: 50 } };
  if (store === 'sqlite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'callout-wh-nodes-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    return async (opts) => {
      const c = await Callout.open({ ...base, dataDir, ...opts });
      cleanups.push(() => c.close());
      return c;
    };
  }
  const schema = freshSchema('whn');
  const secretKey = randomBytes(32).toString('hex');
  cleanups.push(() => dropSchema(schema));
  return async (opts) => {
    const pg = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4 });
    const c = await Callout.open({ ...base, store: pg, secretKey, ...opts });
    cleanups.push(() => c.close());
    return c;
  };
}

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  cleanups.push(() => r.close());
  return r;
}

/** Each delivery verified with the secret; returns each action's event sequences in the order they arrived. */
function verified(rx: Receiver, secret: string): Map<string, number[]> {
  const wh = new Webhook(secret);
  const byAction = new Map<string, number[]>();
  for (const r of rx.received) {
    const e = wh.verify(r.body, r.headers as Record<string, string>) as { data: { actionId: string; sequence: number } };
    byAction.set(e.data.actionId, [...(byAction.get(e.data.actionId) ?? []), e.data.sequence]);
  }
  return byAction;
}

describe.each(STORES)('webhook delivery across nodes on %s', (store) => {
  it('a node with delivery off writes the outbox and sends nothing; a node with it on delivers every event, in order and signed', async () => {
    const open = await sharedStore(store);
    const writer = await open({ nodeId: 'writer', webhooks: { delivery: false, pollIntervalMs: 50 } });
    const deliverer = await open({ nodeId: 'deliverer', webhooks: { pollIntervalMs: 50 } });
    const target = await receiver();
    const rx = await receiver();
    await writer.connectors.create({ name: 'target', baseUrl: target.url.replace('/hook', ''), rateLimits: [] });
    await writer.actionTypes.create({ name: 'ping', connector: 'target', method: 'POST', path: '/ok' });
    // Created on the other node: the writer learns of it at its own poll, though it runs no delivery worker.
    const sub = await deliverer.webhooks.create({ url: rx.url, events: ['action.*'] });
    writer.start();
    await until('the writer to learn of the subscription', () => writer.webhookOutbox.anyWanted);

    const ids = [];
    for (let i = 0; i < 10; i++) ids.push((await writer.actions.launch({ actionType: 'ping', input: {} })).action.id);
    await until('every action closed', async () => (await writer.store.countActions({ state: 'closed' })) === ids.length);
    // Several of the writer's polls later: its events wait in the outbox, none sent.
    await new Promise((r) => setTimeout(r, 300));
    expect(rx.received).toEqual([]);
    const waiting = await writer.webhooks.deliveries(sub.id);
    expect(waiting).toHaveLength(2 * ids.length);
    expect(waiting.every((d) => d.status === 'pending')).toBe(true);

    deliverer.start();
    await until('every event delivered', () => rx.received.length === 2 * ids.length);
    const byAction = verified(rx, sub.secret);
    expect([...byAction.keys()].sort()).toEqual([...ids].sort());
    for (const seqs of byAction.values()) expect(seqs).toEqual([1, 2]);
    // Received before its answer is recorded: the last ones are marked a moment after.
    await until('every delivery marked delivered', async () =>
      (await deliverer.webhooks.deliveries(sub.id)).every((d) => d.status === 'delivered'),
    );
  });

  it('the engine says when it has a backlog: more due than its window takes, and not once it is idle', async () => {
    const open = await sharedStore(store);
    const c = await open({ engine: { pollIntervalMs: 50, maxInFlight: 4, batchSize: 4 }, webhooks: { delivery: false } });
    const slow = await receiver();
    slow.answer = () => ({ status: 200, delayMs: 100 });
    await c.connectors.create({ name: 'slow', baseUrl: slow.url.replace('/hook', ''), rateLimits: [] });
    await c.actionTypes.create({ name: 'ping', connector: 'slow', method: 'POST', path: '/ok' });
    expect(c.engine.saturated).toBe(false);
    await c.actions.launchMany(Array.from({ length: 24 }, () => ({ actionType: 'ping', input: {} })));
    c.start();
    await until('a backlog', () => c.engine.saturated);
    await until('every action closed', async () => (await c.store.countActions({ state: 'closed' })) === 24);
    await until('no backlog', () => !c.engine.saturated);
  });

  it('a worker yielding to a busy engine still delivers every event in order, fewer at a time, and catches up at full width after', async () => {
    const open = await sharedStore(store);
    const c = await open({ nodeId: 'writer', webhooks: { delivery: false } });
    const target = await receiver();
    const rx = await receiver();
    let inFlight = 0;
    let widest = 0;
    rx.answer = () => {
      widest = Math.max(widest, ++inFlight);
      setTimeout(() => inFlight--, 20);
      return { status: 200, delayMs: 20 };
    };
    await c.connectors.create({ name: 'target', baseUrl: target.url.replace('/hook', ''), rateLimits: [] });
    await c.actionTypes.create({ name: 'ping', connector: 'target', method: 'POST', path: '/ok' });
    const sub = await c.webhooks.create({ url: rx.url, events: ['action.*'] });
    const ids = await c.actions.launchMany(Array.from({ length: 30 }, () => ({ actionType: 'ping', input: {} })));
    c.start();
    await until('every action closed', async () => (await c.store.countActions({ state: 'closed' })) === ids.length);

    let busy = true;
    const sender = new WebhookSender({ allowPrivateNetworks: true, timeoutMs: 5000 });
    const worker = new DeliveryWorker({
      store: c.store,
      clock: systemClock,
      sender,
      box: c.box,
      logger: c.logger,
      nodeId: 'deliverer',
      pollIntervalMs: 50,
      pacing: { busy: () => busy, batchSize: 4, perSubscription: 2, pauseMs: 20 },
    });
    cleanups.push(async () => (await worker.stop(), await sender.close()));
    worker.start();
    await until('some events while busy', () => rx.received.length >= 20);
    // While busy: never more than the paced width at once.
    expect(widest).toBeLessThanOrEqual(2);
    busy = false;
    await until('every event delivered', () => rx.received.length === 2 * ids.length);
    expect(widest).toBeGreaterThan(2);
    const byAction = verified(rx, sub.secret);
    expect([...byAction.keys()].sort()).toEqual([...ids].sort());
    for (const seqs of byAction.values()) expect(seqs).toEqual([1, 2]);
  });
});
