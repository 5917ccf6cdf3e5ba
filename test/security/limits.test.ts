// Request limits as problem+json from the error catalogue: 413 for a body over the limit, 415 for a
// body that is not JSON, 429 with Retry-After per API key, per client address without a valid key,
// and per callback token.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { bearer, rawServer, type RawClient } from './helpers.ts';

let h: Harness;
let s: RawClient;
let builder: string;
let other: string;

beforeAll(async () => {
  h = await startHarness({ start: false });
  s = await rawServer(h.callout, { perKey: 5, perAddressWithoutKey: 4, perCallbackToken: 3 });
  builder = (await h.callout.apiKeys.create({ name: 'builder', roles: ['builder'] })).key;
  other = (await h.callout.apiKeys.create({ name: 'other', roles: ['builder'] })).key;
});
afterAll(async () => {
  await s?.close();
  await h?.close();
});

describe('bodies', () => {
  it('a body over the limit is 413 PAYLOAD_TOO_LARGE and creates nothing', async () => {
    const res = await h.api('POST', '/v1/connectors', {
      name: 'big',
      baseUrl: 'https://x.example',
      description: 'x'.repeat(6 * 1024 * 1024),
    });
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE', title: 'Payload too large' });
    expect(await h.callout.store.listConfig('connector')).toEqual([]);
  });

  it('a body of another media type is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await h.api('POST', '/v1/connectors', '<connector/>', { 'content-type': 'application/xml' });
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'Send the body as application/json' });
  });

  it('a route that does not exist is 404 whatever its body: broken, too large or of another type', async () => {
    for (const [body, type] of [
      ['{"name": ', 'application/json'],
      ['x'.repeat(6 * 1024 * 1024), 'application/json'],
      ['<connector/>', 'application/xml'],
    ] as const) {
      const res = await h.api('POST', '/v1/connector', body, { 'content-type': type });
      expect([res.status, res.body.code, res.body.detail]).toEqual([404, 'NOT_FOUND', 'There is no route POST /v1/connector']);
    }
  });

  it('a body that is not JSON is 400 BAD_REQUEST saying so', async () => {
    const res = await h.api('POST', '/v1/connectors', '{"name": ', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'BAD_REQUEST' });
    expect(res.body.detail).toMatch(/not valid JSON/);
  });

  it('a __proto__ key is refused as such, not as JSON that does not parse', async () => {
    const res = await h.api('POST', '/v1/connectors', '{"name":"x","__proto__":{"admin":true}}', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/__proto__ or constructor\.prototype key/);
  });

  it('a configuration list refuses a query parameter it does not take, naming it, as the paged lists do', async () => {
    for (const list of ['connectors', 'action-types', 'users', 'queues', 'processes', 'schedules', 'webhooks', 'api-keys']) {
      const r = await h.api('GET', `/v1/${list}?connector=x`);
      expect(r.status, list).toBe(422);
      expect(r.body.errors, list).toEqual([{ field: 'connector', message: 'is not a known field' }]);
      expect((await h.api('GET', `/v1/${list}`)).status, list).toBe(200);
    }
  });

  it('a word out of a list is refused naming the words it may be, once', async () => {
    const queue = await h.api('POST', '/v1/queues', { name: 'q-words', allocation: 'random' });
    expect(queue.status).toBe(422);
    expect(queue.body.errors).toEqual([{ field: 'allocation', message: 'must be one of none, round_robin, least_loaded, owner' }]);
    const list = await h.api('GET', '/v1/actions?reason=failure_callback');
    expect(list.status).toBe(422);
    expect(list.body.errors).toEqual([
      { field: 'reason', message: 'must be one of updated_by_integration, timeout, request_rejected, invalid_input, manual' },
    ]);
  });
});

describe('rate limits', () => {
  it('per API key: 429 RATE_LIMITED with Retry-After once over the limit; another key goes on', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await s.send('GET', '/v1/connectors', { headers: bearer(builder) })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const res = await s.send('GET', '/v1/connectors', { headers: bearer(builder) });
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect((await s.send('GET', '/v1/connectors', { headers: bearer(other) })).status).toBe(200);
  });

  it('without a valid key, per client address and much lower: guessing keys soon gets 429', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await s.send('GET', '/v1/connectors', { headers: bearer(`co_guess${i}`) })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    // A valid key from the same address is counted on its own.
    expect((await s.send('GET', '/v1/connectors', { headers: bearer(other) })).status).toBe(200);
  });

  it('an address over its allowance is refused made-up keys without a store look-up each; its live keys, new ones too, go on', async () => {
    const fresh = await rawServer(h.callout, { perKey: 100, perAddressWithoutKey: 3, perCallbackToken: 3 });
    const store = h.callout.store;
    const find = store.findApiKey.bind(store);
    let lookups = 0;
    store.findApiKey = (hash) => ((lookups += 1), find(hash));
    try {
      for (let i = 0; i < 3; i++) expect((await fresh.send('GET', '/v1/connectors', { headers: bearer(`co_flood${i}`) })).status).toBe(401);
      expect((await fresh.send('GET', '/v1/connectors', { headers: bearer('co_flood3') })).status).toBe(429);
      lookups = 0;
      const flood = await Promise.all(
        Array.from({ length: 200 }, (_, i) => fresh.send('GET', '/v1/connectors', { headers: bearer(`co_flood-more${i}`) })),
      );
      expect(flood.map((r) => r.status)).toEqual(Array(200).fill(429));
      expect(flood[0]!.headers['retry-after']).toBeDefined();
      expect(lookups).toBe(0);
      // A valid key from the same address (an office behind one NAT) is still served, as is one made just now.
      expect((await fresh.send('GET', '/v1/connectors', { headers: bearer(other) })).status).toBe(200);
      const made = (await h.callout.apiKeys.create({ name: 'made-during-flood', roles: ['builder'] })).key;
      expect((await fresh.send('GET', '/v1/connectors', { headers: bearer(made) })).status).toBe(200);
    } finally {
      store.findApiKey = find;
      await fresh.close();
    }
  });

  it('callbacks per genuine token, so one vendor address answering many actions is not cut; health is never limited', async () => {
    const token = (n: number): string => h.callout.engine.callbackToken(`0190a000-0000-7000-8000-00000000000${n}`);
    const a: number[] = [];
    for (let i = 0; i < 4; i++) a.push((await s.send('POST', `/v1/callbacks/${token(1)}`, { body: { outcome: 'success' } })).status);
    expect(a).toEqual([404, 404, 404, 429]);
    for (let i = 2; i < 5; i++)
      expect((await s.send('POST', `/v1/callbacks/${token(i)}`, { body: { outcome: 'success' } })).status).toBe(404);
    for (let i = 0; i < 20; i++) expect((await s.send('GET', '/health')).status).toBe(200);
  });

  it('forged callback tokens count against their address, as guessed keys do: a new guess brings no new allowance', async () => {
    const fresh = await rawServer(h.callout, { perKey: 5, perAddressWithoutKey: 4, perCallbackToken: 3 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push(
          (await fresh.send('POST', `/v1/callbacks/0190a000-0000-7000-8000-000000000001.forged${i}`, { body: { outcome: 'success' } }))
            .status,
        );
      expect(statuses).toEqual([404, 404, 404, 404, 429, 429]);
      // The vendor's genuine token from the same address is counted on its own.
      const genuine = h.callout.engine.callbackToken('0190a000-0000-7000-8000-000000000009');
      expect((await fresh.send('POST', `/v1/callbacks/${genuine}`, { body: { outcome: 'success' } })).status).toBe(404);
    } finally {
      await fresh.close();
    }
  });

  it('signed inbound callbacks (no token in the path) count per address at the callback allowance, not the lower one for guesses', async () => {
    const fresh = await rawServer(h.callout, { perKey: 5, perAddressWithoutKey: 2, perCallbackToken: 4 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await fresh.send('POST', '/v1/connectors/vendor/inbound/ref-1', { body: { outcome: 'success' } })).status);
      expect(statuses).toEqual([401, 401, 401, 401, 429]);
    } finally {
      await fresh.close();
    }
  });
});
