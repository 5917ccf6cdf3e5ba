// The delivery worker under a fake clock on both stores: a failing subscriber retried on the policy's
// schedule, each attempt listed; disabled after failing for the threshold, admins notified, nothing
// dropped while disabled; 410 disables at once; loopback receivers refused unless private networks
// are allowed (the connectors' SSRF rules).

import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Callout, type CalloutOptions } from '../../src/callout.ts';
import { FakeClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';
import { STORES, startReceiver, type Receiver, type StoreName } from './helpers.ts';

const T0 = Date.UTC(2026, 11, 2, 9, 0, 0);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function open(store: StoreName, clock: FakeClock, opts: Partial<CalloutOptions> = {}): Promise<Callout> {
  return (await openTwice(store, clock, opts)).first;
}

/**
 * A Callout on a fresh store, and `reopen` for another on the same store with other options (the
 * first one closed): a deployment that changed a setting between two starts.
 */
async function openTwice(
  store: StoreName,
  clock: FakeClock,
  opts: Partial<CalloutOptions> = {},
): Promise<{ first: Callout; reopen(more: Partial<CalloutOptions>): Promise<Callout> }> {
  const base: CalloutOptions = { clock, publicUrl: 'http://callout.test', logger: createLogger({ level: 'silent' }), ...opts };
  let at: () => Partial<CalloutOptions>;
  if (store === 'sqlite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'callout-wh-'));
    at = () => ({ dataDir });
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  } else {
    const schema = freshSchema('whp');
    const secretKey = randomBytes(32).toString('hex');
    at = () => ({ store: new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 3 }), secretKey });
    cleanups.push(() => dropSchema(schema));
  }
  const start = async (more: Partial<CalloutOptions>): Promise<Callout> => {
    const c = await Callout.open({ ...base, ...at(), ...more });
    cleanups.push(() => c.close());
    await c.apiKeys.ensureAdminKey('policy-admin-key-0123456789');
    return c;
  };
  const first = await start({});
  return { first, reopen: async (more) => (await first.close(), start(more)) };
}

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  cleanups.push(() => r.close());
  return r;
}

describe.each(STORES)('webhook delivery policy on %s', (store) => {
  it('retries a failing subscriber on the schedule, disables it after the threshold with a notice to admins, and holds its events until it is enabled again', async () => {
    const clock = new FakeClock(T0);
    const c = await open(store, clock, {
      allowPrivateNetworks: true,
      webhooks: { schedule: ['0s', '1m', '10m', '1h'], jitter: 0, autoDisableAfter: '1h' },
    });
    const rx = await receiver();
    rx.answer = () => ({ status: 500, body: 'x'.repeat(5000) });
    const sub = await c.webhooks.create({ url: rx.url, events: ['case.*'] });
    await c.cases.createCase({});
    const steps = [0, 60_000, 600_000, 3_600_000];
    for (const ms of steps) {
      clock.advance(ms);
      expect(await c.webhookWorker.tick()).toBe(1);
      // Nothing more is due until the next step of the schedule.
      expect(await c.webhookWorker.tick()).toBe(0);
    }
    expect(rx.received).toHaveLength(4);
    const [d] = await c.webhooks.deliveries(sub.id);
    const attempts = d!.attempts as Array<{ at: string; status: number; outcome: string; response: string }>;
    expect(attempts.map((a) => Date.parse(a.at) - T0)).toEqual([0, 60_000, 660_000, 4_260_000]);
    expect(attempts.every((a) => a.status === 500 && a.outcome === 'HTTP 500')).toBe(true);
    // The response excerpt is capped.
    expect(attempts[0]!.response.length).toBeLessThanOrEqual(1025);
    expect(d!.status).toBe('failed');
    const after = await c.webhooks.get(sub.id);
    expect(after.enabled).toBe(false);
    expect(after.disabledReason).toContain('Every delivery failed since');
    const notes = await c.store.listNotifications('CALLOUT_ADMIN_KEY');
    expect(notes).toEqual([expect.objectContaining({ kind: 'webhook.disabled', message: expect.stringContaining(sub.id) })]);

    // Disabled: a new event is kept, not sent; enabled again, it goes out.
    await c.cases.createCase({});
    clock.advance(60_000);
    expect(await c.webhookWorker.tick()).toBe(0);
    rx.answer = () => ({ status: 204 });
    await c.webhooks.update(sub.id, { enabled: true });
    expect(await c.webhookWorker.tick()).toBe(1);
    expect(rx.received).toHaveLength(5);
    expect((await c.webhooks.get(sub.id)).failingSince).toBeNull();
  });

  it('a 410 Gone disables the subscription at once', async () => {
    const clock = new FakeClock(T0);
    const c = await open(store, clock, { allowPrivateNetworks: true });
    const rx = await receiver();
    rx.answer = () => ({ status: 410 });
    const sub = await c.webhooks.create({ url: rx.url, events: ['case.created'] });
    await c.cases.createCase({});
    expect(await c.webhookWorker.tick()).toBe(1);
    const s = await c.webhooks.get(sub.id);
    expect(s).toMatchObject({ enabled: false, disabledReason: 'The endpoint answered 410 Gone' });
    await c.cases.createCase({});
    clock.advance(3_600_000);
    expect(await c.webhookWorker.tick()).toBe(0);
    expect(rx.received).toHaveLength(1);
    // Both events are kept for when it is enabled again.
    expect((await c.webhooks.deliveries(sub.id)).map((d) => d.status)).toEqual(['pending', 'pending']);
  });

  it('tells each admin once, where their keys read notifications: a key with a user its user, a key named like a person key:<name>', async () => {
    const clock = new FakeClock(T0);
    const c = await open(store, clock, { allowPrivateNetworks: true });
    await c.users.create({ name: 'alice' });
    await c.users.create({ name: 'bob' });
    // Two admin keys of alice, a key named like a person without a user, an operator who is no admin, and a revoked admin.
    await c.apiKeys.create({ name: 'alice-laptop', roles: ['admin'], user: 'alice' });
    await c.apiKeys.create({ name: 'alice-phone', roles: ['admin'], user: 'alice' });
    await c.apiKeys.create({ name: 'ops', roles: ['admin'] });
    await c.apiKeys.create({ name: 'bob-key', roles: ['operator'], user: 'bob' });
    const gone = await c.apiKeys.create({ name: 'old-admin', roles: ['admin'] });
    await c.apiKeys.revoke(gone.id);
    const rx = await receiver();
    rx.answer = () => ({ status: 410 });
    await c.webhooks.create({ url: rx.url, events: ['case.created'] });
    await c.cases.createCase({});
    expect(await c.webhookWorker.tick()).toBe(1);
    const told = async (user: string) => (await c.store.listNotifications(user)).filter((n) => n.kind === 'webhook.disabled').length;
    expect({
      alice: await told('alice'),
      ops: await told('key:ops'),
      env: await told('CALLOUT_ADMIN_KEY'),
      bob: await told('bob'),
      revoked: await told('old-admin'),
      keyNames: (await told('alice-laptop')) + (await told('ops')),
    }).toEqual({ alice: 1, ops: 1, env: 1, bob: 0, revoked: 0, keyNames: 0 });
  });

  it('refuses a loopback receiver unless private networks are allowed: when saved, and when delivering to one saved before', async () => {
    const clock = new FakeClock(T0);
    const rx = await receiver();
    const { first: allowed, reopen } = await openTwice(store, clock, { allowPrivateNetworks: true });
    const sub = await allowed.webhooks.create({ url: rx.url, events: ['case.created'] });
    const c = await reopen({ allowPrivateNetworks: false });
    await expect(c.webhooks.create({ url: rx.url, events: ['case.created'] })).rejects.toMatchObject({
      errors: [{ field: 'url', message: expect.stringMatching(/loopback or private address/) }],
    });
    expect((await c.webhooks.list()).map((w) => w.id)).toEqual([sub.id]);
    // The one saved while private networks were allowed: not sent, and kept for a retry.
    await c.cases.createCase({});
    expect(await c.webhookWorker.tick()).toBe(1);
    expect(rx.received).toHaveLength(0);
    const [d] = await c.webhooks.deliveries(sub.id);
    expect(d!.status).toBe('pending');
    expect((d!.attempts as Array<{ outcome: string; status: null }>)[0]).toMatchObject({
      status: null,
      outcome: expect.stringMatching(/^not sent: .*(loopback|private)/),
    });
  });

  it('writes no outbox rows while nobody subscribes, and only the wanted types otherwise', async () => {
    const clock = new FakeClock(T0);
    const c = await open(store, clock, { allowPrivateNetworks: true });
    await c.cases.createCase({});
    expect(c.webhookOutbox.anyWanted).toBe(false);
    const sub = await c.webhooks.create({ url: 'https://hooks.example.com/x', events: ['case.closed'] });
    await c.cases.createCase({});
    expect(await c.webhooks.deliveries(sub.id)).toEqual([]);
    await c.webhooks.update(sub.id, { events: ['case.created'] });
    await c.cases.createCase({});
    expect(await c.webhooks.deliveries(sub.id)).toHaveLength(1);
  });

  it("holds a case's later events until the earlier one is delivered: one case's events arrive in order", async () => {
    const clock = new FakeClock(T0);
    const c = await open(store, clock, { allowPrivateNetworks: true, webhooks: { schedule: ['0s', '5s'], jitter: 0 } });
    await c.connectors.create({ name: 'vendor', baseUrl: 'https://vendor.example' });
    await c.actionTypes.create({ name: 'ticket', connector: 'vendor', method: 'POST', path: '/t' });
    const rx = await receiver();
    let first = true;
    rx.answer = () => (first ? ((first = false), { status: 503 }) : { status: 200 });
    const sub = await c.webhooks.create({ url: rx.url, events: ['*'] });
    const kase = (await c.cases.createCase({})).case;
    await c.actions.launch({ actionType: 'ticket', caseId: kase.id });
    await c.actions.launch({ actionType: 'ticket', caseId: kase.id });
    // Only the head of the case's chain goes out; it fails, and the rest wait behind it.
    expect(await c.webhookWorker.tick()).toBe(1);
    expect(await c.webhookWorker.tick()).toBe(0);
    clock.advance(5_000);
    for (let i = 0; i < 3; i++) expect(await c.webhookWorker.tick()).toBe(1);
    const types = rx.received.map((r) => (JSON.parse(r.body) as { type: string; data: { sequence: number } }).data.sequence);
    expect(types).toEqual([1, 1, 2, 3]);
    expect((await c.webhooks.deliveries(sub.id)).every((d) => d.status === 'delivered')).toBe(true);
  });

  it('puts events in the outbox only with the write that caused them: a stale write adds none', async () => {
    const clock = new FakeClock(T0);
    const c = await open(store, clock, { allowPrivateNetworks: true });
    await c.connectors.create({ name: 'vendor', baseUrl: 'https://vendor.example' });
    await c.actionTypes.create({ name: 'ticket', connector: 'vendor', method: 'POST', path: '/t' });
    const sub = await c.webhooks.create({ url: 'https://hooks.example.com/x', events: ['action.state_changed'] });
    const { action } = await c.actions.launch({ actionType: 'ticket' });
    const before = (await c.store.getAction(action.id))!;
    const after = { ...before, state: 'todo' as const, reason: 'request_rejected' as const, phase: null, version: before.version + 1 };
    const events = c.webhookOutbox.forTransition(before, after, []);
    expect(events).toHaveLength(1);
    const write = { action: after, timeline: [], effects: [], events: events! };
    expect(await c.store.writeActions([{ ...write, expectedVersion: before.version + 7 }])).toEqual([false]);
    expect(await c.webhooks.deliveries(sub.id)).toEqual([]);
    expect(await c.store.writeActions([{ ...write, expectedVersion: before.version }])).toEqual([true]);
    expect((await c.webhooks.deliveries(sub.id)).map((d) => d.eventType)).toEqual(['action.state_changed']);
  });
});
