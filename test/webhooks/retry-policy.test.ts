// A webhook subscription's own retry policy, an action type's `retry` (the same schema, checks and
// delay), over real HTTP on both stores, the real delivery worker driven under a fake clock: attempts
// spaced by the policy and at most maxRetries retries, then the delivery failed as the schedule's last
// attempt fails it; without one, Standard Webhooks' schedule as before. Bad values are refused naming
// the field; PATCH sets and removes it (the ETag moves); an export imports back unchanged.

import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { compileRetryPolicy, retryDelay } from '../../src/lifecycle/retry-policy.ts';
import type { Harness } from '../helpers/harness.ts';
import { STORES, harnessOn, startReceiver, type Receiver } from './helpers.ts';

const T0 = Date.UTC(2026, 11, 6, 9, 0, 0);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A harness whose worker runs only when told (tick), on a fake clock; and a receiver answering 500. */
async function setUp(store: (typeof STORES)[number]): Promise<{ h: Harness; clock: FakeClock; rx: Receiver }> {
  const clock = new FakeClock(T0);
  const h = await harnessOn(store, { start: false, callout: { clock } });
  cleanups.push(() => h.close());
  const rx = await startReceiver();
  cleanups.push(() => rx.close());
  rx.answer = () => ({ status: 500, body: 'down' });
  return { h, clock, rx };
}

/** Runs the worker at each offset from T0 (ms), expecting one attempt there and none just before. */
async function attemptsAt(h: Harness, clock: FakeClock, offsets: number[]): Promise<void> {
  for (const at of offsets) {
    if (at > 0) {
      clock.set(T0 + at - 1);
      expect(await h.callout.webhookWorker.tick(), `nothing due 1 ms before ${at}`).toBe(0);
    }
    clock.set(T0 + at);
    expect(await h.callout.webhookWorker.tick(), `an attempt at ${at}`).toBe(1);
  }
}

async function deliveries(h: Harness, id: string): Promise<Array<{ status: string; attempts: Array<{ at: string }>; lastError: string }>> {
  const r = await h.api('GET', `/v1/webhooks/${id}/deliveries`);
  expect(r.status).toBe(200);
  return r.body.items;
}

const offsetsOf = (d: { attempts: Array<{ at: string }> }): number[] => d.attempts.map((a) => Date.parse(a.at) - T0);

describe.each(STORES)('a webhook subscription with its own retry policy (%s)', (store) => {
  it('fixed: maxRetries 2 every 1 s gives exactly 3 attempts 1 s apart, then the delivery fails (streak kept, not disabled)', async () => {
    const { h, clock, rx } = await setUp(store);
    const created = await h.api('POST', '/v1/webhooks', {
      url: rx.url,
      events: ['case.created'],
      retry: { maxRetries: 2, interval: '1s', backoff: 'fixed' },
    });
    expect(created.status).toBe(201);
    // Shown as an action type's policy is: every setting, durations in ms.
    expect(created.body.retry).toEqual({
      maxRetries: 2,
      interval: 1000,
      backoff: 'fixed',
      backoffCoefficient: 2,
      maxInterval: 3_600_000,
      jitter: 0,
      retryOn: ['connection_error', 'timeout', '5xx', '408', '429'],
    });
    expect((await h.api('GET', `/v1/webhooks/${created.body.id}`)).body.retry).toEqual(created.body.retry);
    await h.callout.cases.createCase({});
    await attemptsAt(h, clock, [0, 1000, 2000]);
    clock.set(T0 + 86_400_000);
    expect(await h.callout.webhookWorker.tick()).toBe(0);
    expect(rx.received).toHaveLength(3);
    const [d] = await deliveries(h, created.body.id);
    expect(offsetsOf(d!)).toEqual([0, 1000, 2000]);
    expect(d!.status).toBe('failed');
    expect(d!.lastError).toBe('3 attempts failed (retries exhausted: 2 of 2); the last: HTTP 500');
    // As when the schedule's last attempt fails: the endpoint's failing streak stands, it is not disabled (days, not one event).
    const sub = (await h.api('GET', `/v1/webhooks/${created.body.id}`)).body;
    expect(sub).toMatchObject({ enabled: true, disabledAt: null, failingSince: new Date(T0).toISOString() });
  });

  it('exponential: each delay is the action formula (interval × coefficient^(n-1), capped at maxInterval)', async () => {
    const { h, clock, rx } = await setUp(store);
    const retry = { maxRetries: 4, interval: '1s', backoff: 'exponential', backoffCoefficient: 3, maxInterval: '10s' };
    const created = await h.api('POST', '/v1/webhooks', { url: rx.url, events: ['case.created'], retry });
    expect(created.status).toBe(201);
    await h.callout.cases.createCase({});
    // 1 s, 3 s, 9 s, then 27 s capped at 10 s.
    const policy = compileRetryPolicy(retry);
    const delays = [1, 2, 3, 4].map((n) => retryDelay(policy, n, 0.5));
    expect(delays).toEqual([1000, 3000, 9000, 10_000]);
    const offsets = delays.reduce((acc, d) => [...acc, acc.at(-1)! + d], [0]);
    await attemptsAt(h, clock, offsets);
    clock.set(T0 + 86_400_000);
    expect(await h.callout.webhookWorker.tick()).toBe(0);
    const [d] = await deliveries(h, created.body.id);
    expect(offsetsOf(d!)).toEqual([0, 1000, 4000, 13_000, 23_000]);
    expect(d!.status).toBe('failed');
  });

  it('a Retry-After longer than the policy delay is still honoured', async () => {
    const { h, clock, rx } = await setUp(store);
    rx.answer = () => ({ status: 503, headers: { 'retry-after': '30' } });
    const created = await h.api('POST', '/v1/webhooks', {
      url: rx.url,
      events: ['case.created'],
      retry: { maxRetries: 1, interval: '1s', backoff: 'fixed' },
    });
    await h.callout.cases.createCase({});
    await attemptsAt(h, clock, [0, 30_000]);
    const [d] = await deliveries(h, created.body.id);
    expect(offsetsOf(d!)).toEqual([0, 30_000]);
    expect(d!.status).toBe('failed');
  });

  it('refuses bad values naming the field (422), storing nothing; PATCH sets and removes it, moving the ETag; without it the schedule is as before', async () => {
    const { h, clock, rx } = await setUp(store);
    const bad: Array<[unknown, string]> = [
      [{ interval: 'soon' }, 'retry.interval'],
      [{ maxRetries: -1 }, 'retry.maxRetries'],
      [{ maxRetries: 2.5 }, 'retry.maxRetries'],
      [{ backoff: 'linear' }, 'retry.backoff'],
      [{ interval: '1m', maxInterval: '1s' }, 'retry.maxInterval'],
      [{ jitter: 2 }, 'retry.jitter'],
      [{ retryOn: ['sometimes'] }, 'retry.retryOn[0]'],
      [{ tries: 3 }, 'retry.tries'],
      ['often', 'retry'],
    ];
    for (const [retry, field] of bad) {
      const r = await h.api('POST', '/v1/webhooks', { url: rx.url, events: ['case.created'], retry });
      expect([r.status, r.body.errors?.map((e: { field: string }) => e.field)], JSON.stringify(retry)).toEqual([422, [field]]);
    }
    expect((await h.api('GET', '/v1/webhooks')).body.items).toEqual([]);

    const c = await h.api('POST', '/v1/webhooks', { url: rx.url, events: ['case.created'] });
    expect(c.body.retry).toBeNull();
    const tag0 = c.headers.etag as string;
    expect(tag0).toBe(`${c.body.etag}`);
    for (const [retry, field] of bad) {
      const r = await h.api('PATCH', `/v1/webhooks/${c.body.id}`, { retry });
      expect([r.status, r.body.errors?.map((e: { field: string }) => e.field)], JSON.stringify(retry)).toEqual([422, [field]]);
    }
    expect((await h.api('GET', `/v1/webhooks/${c.body.id}`)).headers.etag).toBe(tag0);

    const set = await h.api('PATCH', `/v1/webhooks/${c.body.id}`, { retry: { maxRetries: 1, interval: '2s' } }, { 'if-match': tag0 });
    expect(set.status).toBe(200);
    expect(set.body.retry).toMatchObject({ maxRetries: 1, interval: 2000, backoff: 'exponential' });
    const tag1 = set.headers.etag as string;
    expect(tag1).not.toBe(tag0);
    // Another change of it moves the tag again; the old tag is stale.
    const changed = await h.api('PATCH', `/v1/webhooks/${c.body.id}`, { retry: { maxRetries: 1, interval: '3s' } }, { 'if-match': tag1 });
    expect(changed.body.retry.interval).toBe(3000);
    const tag2 = changed.headers.etag as string;
    expect(tag2).not.toBe(tag1);
    expect((await h.api('PATCH', `/v1/webhooks/${c.body.id}`, { retry: null }, { 'if-match': tag1 })).status).toBe(412);
    // Another setting's change keeps the policy.
    const described = await h.api('PATCH', `/v1/webhooks/${c.body.id}`, { description: 'x' });
    expect(described.body.retry.interval).toBe(3000);
    const removed = await h.api(
      'PATCH',
      `/v1/webhooks/${c.body.id}`,
      { retry: null, description: null },
      { 'if-match': described.headers.etag as string },
    );
    expect(removed.status).toBe(200);
    expect(removed.body.retry).toBeNull();
    // The settings are again what they were: so is the tag.
    expect(removed.headers.etag).toBe(tag0);
    expect((await h.callout.store.getWebhookSubscription(c.body.id))!.retry ?? null).toBeNull();

    // Without a policy, Standard Webhooks' schedule: the first retry about 5 s later (±10 % jitter).
    await h.callout.cases.createCase({});
    expect(await h.callout.webhookWorker.tick()).toBe(1);
    clock.set(T0 + 4499);
    expect(await h.callout.webhookWorker.tick()).toBe(0);
    clock.set(T0 + 5500);
    expect(await h.callout.webhookWorker.tick()).toBe(1);
    const [d] = await deliveries(h, c.body.id);
    expect(d!.status).toBe('pending');
    expect(offsetsOf(d!)).toEqual([0, 5500]);
  });

  it('an export imports back unchanged, here and on a fresh instance', async () => {
    const { h, rx } = await setUp(store);
    const retry = { maxRetries: 5, interval: '30s', backoff: 'exponential', maxInterval: '1h', window: '2h', retryOn: ['5xx', 429] };
    expect((await h.api('POST', '/v1/webhooks', { url: rx.url, events: ['case.*'], retry })).status).toBe(201);
    expect((await h.api('POST', '/v1/webhooks', { url: `${rx.url}/plain`, events: ['case.*'] })).status).toBe(201);
    const doc = (await h.api('GET', '/v1/config/export?format=json')).body;
    const byUrl = Object.fromEntries((doc.webhooks as Array<{ url: string }>).map((w) => [w.url, w]));
    expect(byUrl[rx.url]).toMatchObject({
      retry: { maxRetries: 5, interval: 30_000, maxInterval: 3_600_000, window: 7_200_000, retryOn: ['5xx', '429'] },
    });
    expect(byUrl[`${rx.url}/plain`]).not.toHaveProperty('retry');

    const here = await h.api('POST', '/v1/config/import', doc);
    expect(here.status).toBe(200);
    expect(here.body.webhooks).toEqual({ created: [], updated: [], unchanged: [rx.url, `${rx.url}/plain`].sort() });

    const fresh = await harnessOn(store, { start: false });
    cleanups.push(() => fresh.close());
    const first = await fresh.api('POST', '/v1/config/import', doc);
    expect(first.status).toBe(200);
    expect(first.body.webhooks.created).toHaveLength(2);
    const imported = (await fresh.api('GET', '/v1/webhooks')).body.items.find((w: { url: string }) => w.url === rx.url);
    const original = (await h.api('GET', '/v1/webhooks')).body.items.find((w: { url: string }) => w.url === rx.url);
    expect(imported.retry).toEqual(original.retry);
    expect(imported.etag).toBe(original.etag);
    expect((await fresh.api('GET', '/v1/config/export?format=json')).body.webhooks).toEqual(doc.webhooks);
    const again = await fresh.api('POST', '/v1/config/import', doc);
    expect(again.body.webhooks.unchanged).toHaveLength(2);

    // The file says the whole subscription: a policy left out is removed.
    const without = { ...doc, webhooks: doc.webhooks.map((w: Record<string, unknown>) => ({ ...w, retry: undefined })) };
    const dropped = await fresh.api('POST', '/v1/config/import', JSON.parse(JSON.stringify(without)));
    expect(dropped.body.webhooks.updated).toEqual([rx.url]);
    expect((await fresh.api('GET', '/v1/webhooks')).body.items.every((w: { retry: unknown }) => w.retry === null)).toBe(true);
  });
});
