// Webhooks out over real HTTP on both stores: subscriptions as a resource (secret shown once, every
// route tried hostile), events of an action delivered in order and signed (checked with the
// standardwebhooks package), deliveries listed with their attempts, rotation with an overlap, SSRF,
// and a slow subscriber that must not hold the actions back.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { actionType, connector, launch, type Harness } from '../helpers/harness.ts';
import { STORES, harnessOn, startReceiver, until, type Receiver } from './helpers.ts';

describe.each(STORES)('webhooks out on %s', (store) => {
  let h: Harness;
  let rx: Receiver;
  beforeAll(async () => {
    h = await harnessOn(store, { callout: { webhooks: { pollIntervalMs: 50 } } });
    rx = await startReceiver();
    await connector(h);
    await actionType(h, { name: 'sync-ok', path: '/ok' });
  });
  afterAll(async () => {
    await h.close();
    await rx.close();
  });

  it('creates a subscription with a whsec_ secret shown once; lists and reads it without the secret', async () => {
    const r = await h.api('POST', '/v1/webhooks', { url: rx.url, events: ['case.created'], description: 'audit' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ url: rx.url, events: ['case.created'], enabled: true });
    expect(r.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const got = await h.api('GET', `/v1/webhooks/${r.body.id}`);
    expect(got.status).toBe(200);
    expect(JSON.stringify(got.body)).not.toContain(r.body.secret);
    const list = await h.api('GET', '/v1/webhooks');
    expect(list.body.items.map((s: { id: string }) => s.id)).toContain(r.body.id);
    expect(JSON.stringify(list.body)).not.toContain(r.body.secret);
    // Secret at rest: encrypted, not the text.
    const row = await h.callout.store.getWebhookSubscription(r.body.id);
    expect(row!.secrets).not.toContain(r.body.secret.slice(6));
    expect((await h.api('DELETE', `/v1/webhooks/${r.body.id}`)).status).toBe(200);
    expect((await h.api('GET', `/v1/webhooks/${r.body.id}`)).status).toBe(404);
  });

  it('refuses hostile requests: no key, wrong role, bad fields, unknown ids; and changes nothing', async () => {
    const noKey = await h.api('POST', '/v1/webhooks', { url: rx.url, events: ['*'] }, { authorization: '' });
    expect(noKey.status).toBe(401);
    const op = await h.api('POST', '/v1/api-keys', { name: `op-${store}`, roles: ['operator'] });
    const asOp = { authorization: `Bearer ${op.body.key}` };
    expect((await h.api('GET', '/v1/webhooks', undefined, asOp)).status).toBe(403);
    expect((await h.api('POST', '/v1/webhooks', { url: rx.url, events: ['*'] }, asOp)).status).toBe(403);
    const bad = await h.api('POST', '/v1/webhooks', { url: 'ftp://x', events: ['action.nope'], extra: 1 });
    expect(bad.status).toBe(422);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    const badEvents = await h.api('POST', '/v1/webhooks', { url: 'ftp://x/', events: ['action.nope'] });
    expect(badEvents.status).toBe(422);
    expect(badEvents.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['events[0]', 'url']);
    const huge = await h.api('POST', '/v1/webhooks', { url: `https://x.example/${'a'.repeat(5000)}`, events: ['*'] });
    expect(huge.status).toBe(422);
    let deep: unknown = 'x';
    for (let i = 0; i < 200; i++) deep = [deep];
    expect((await h.api('POST', '/v1/webhooks', { url: rx.url, events: deep })).status).toBe(422);
    expect((await h.api('GET', '/v1/webhooks/nope')).status).toBe(404);
    expect((await h.api('PATCH', '/v1/webhooks/nope', { enabled: false })).status).toBe(404);
    expect((await h.api('POST', '/v1/webhooks/nope/rotate-secret')).status).toBe(404);
    expect((await h.api('POST', '/v1/webhooks/nope/deliveries/x/retry')).status).toBe(404);
    expect((await h.api('GET', '/v1/webhooks')).body.items).toEqual([]);
  });

  it('delivers every event of an action in order, signed per Standard Webhooks, and lists each delivery with its attempts', async () => {
    const sub = (await h.api('POST', '/v1/webhooks', { url: rx.url, events: ['action.*', 'case.created'] })).body;
    const wh = new Webhook(sub.secret);
    rx.received.length = 0;
    const kase = (await h.api('POST', '/v1/cases', { data: {} })).body;
    const a = await launch(h, 'sync-ok', {}, { caseId: kase.id });
    await h.waitFor(a.id, (x) => x.state === 'closed');
    const got = await until('three events', () => (rx.received.length >= 3 ? rx.received : undefined));
    const events = got.map(
      (r) => wh.verify(r.body, r.headers as Record<string, string>) as { type: string; data: Record<string, unknown> },
    );
    expect(events.map((e) => e.type)).toEqual(['case.created', 'action.launched', 'action.state_changed']);
    expect(events.map((e) => e.data.sequence)).toEqual([1, 2, 3]);
    expect(events[2]!.data).toMatchObject({ actionId: a.id, state: 'closed', resolution: 'done_successfully', caseId: kase.id });
    // Thin: no case data, no response bodies.
    expect(Object.keys(events[1]!.data)).not.toContain('input');
    // Received a moment before its answer is recorded: wait for the record of the last one.
    const list = await until('every delivery recorded', async () => {
      const l = await h.api('GET', `/v1/webhooks/${sub.id}/deliveries`);
      return l.body.items.length === 3 && l.body.items.every((d: { status: string }) => d.status === 'delivered') ? l : undefined;
    });
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(3);
    for (const d of list.body.items) {
      expect(d.status).toBe('delivered');
      expect(d.attempts).toEqual([
        { at: expect.any(String), status: 200, durationMs: expect.any(Number), outcome: 'HTTP 200', response: 'ok' },
      ]);
    }
    // A page at a time, newest first: `next` is the `before` of the page after.
    const ids = list.body.items.map((d: { id: string }) => d.id);
    const page = (await h.api('GET', `/v1/webhooks/${sub.id}/deliveries?limit=2`)).body;
    expect([page.items.map((d: { id: string }) => d.id), page.next]).toEqual([ids.slice(0, 2), ids[1]]);
    const older = (await h.api('GET', `/v1/webhooks/${sub.id}/deliveries?limit=2&before=${page.next}`)).body;
    expect([older.items.map((d: { id: string }) => d.id), older.next]).toEqual([ids.slice(2), null]);
    expect((await h.api('GET', `/v1/webhooks/${sub.id}/deliveries?before=not-one-of-them`)).body.items).toEqual([]);
    // A retry sends the same message again, with the same id.
    const first = list.body.items[2];
    const retried = await h.api('POST', `/v1/webhooks/${sub.id}/deliveries/${first.id}/retry`);
    expect(retried.status).toBe(200);
    await until('the retry', () => rx.received.length === 4);
    expect(rx.received[3]!.headers['webhook-id']).toBe(first.id);
    await h.api('DELETE', `/v1/webhooks/${sub.id}`);
  });

  it('rotates the secret: the new one is shown once and both sign during the overlap', async () => {
    const sub = (await h.api('POST', '/v1/webhooks', { url: rx.url, events: ['case.created'] })).body;
    const rot = await h.api('POST', `/v1/webhooks/${sub.id}/rotate-secret`);
    expect(rot.status).toBe(200);
    expect(rot.body.secret).toMatch(/^whsec_/);
    expect(rot.body.secret).not.toBe(sub.secret);
    rx.received.length = 0;
    await h.api('POST', '/v1/cases', { data: {} });
    const [r] = await until('the event', () => (rx.received.length >= 1 ? rx.received : undefined));
    for (const s of [sub.secret, rot.body.secret])
      expect(() => new Webhook(s).verify(r!.body, r!.headers as Record<string, string>)).not.toThrow();
    expect(String(r!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    await h.api('DELETE', `/v1/webhooks/${sub.id}`);
  });

  it('a slow subscriber does not hold back the actions that cause its events', async () => {
    // The slow subscriber answers each request 10 s after it came (within the sender's 15 s timeout).
    // Measured against its first answer, not a wall-clock bound: a loaded machine may take seconds to
    // close twenty actions, and had the subscriber held them back, none would close before it answered.
    const SLOW_MS = 10_000;
    const slow = await startReceiver();
    slow.answer = () => ({ status: 200, delayMs: SLOW_MS });
    const sub = (await h.api('POST', '/v1/webhooks', { url: slow.url, events: ['action.*'] })).body;
    const launched = await Promise.all(Array.from({ length: 20 }, () => launch(h, 'sync-ok')));
    await Promise.all(launched.map((a) => h.waitFor(a.id, (x) => x.state === 'closed')));
    const closedAt = Date.now();
    const [first] = await until("the slow subscriber's first request", () => (slow.received.length > 0 ? slow.received : undefined));
    const firstAnswer = first!.at + SLOW_MS;
    // Twenty actions close while the receiver still sits on its first requests.
    expect(closedAt).toBeLessThan(firstAnswer);
    const pending = (await h.api('GET', `/v1/webhooks/${sub.id}/deliveries?limit=100`)).body.items.filter(
      (d: { status: string }) => d.status !== 'delivered',
    );
    expect(pending.length).toBeGreaterThan(0);
    // Nor does it hold back another subscriber: that one gets its events while the slow one still waits.
    const fast = await startReceiver();
    const other = (await h.api('POST', '/v1/webhooks', { url: fast.url, events: ['action.launched'] })).body;
    const more = await launch(h, 'sync-ok');
    const got = await until('the fast subscriber', () => fast.received.find((r) => r.body.includes(more.id)));
    expect(got.at).toBeLessThan(firstAnswer);
    await h.api('DELETE', `/v1/webhooks/${other.id}`);
    await fast.close();
    await h.api('DELETE', `/v1/webhooks/${sub.id}`);
    await slow.close();
  });
});
