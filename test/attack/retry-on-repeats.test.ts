// A retry policy whose retryOn repeats a condition (a careless or hostile builder's ten thousand
// "5xx") is kept with each condition once, on a webhook subscription and an action type alike: the
// stored policy, its view and the settings tag grow with the distinct conditions only.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { connector, startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await connector(h);
});
afterAll(async () => h?.close());

const retry = { retryOn: [...Array<string>(10_000).fill('5xx'), 503, '503', 'timeout', 'timeout'] };

it('a webhook subscription keeps each retry condition once', async () => {
  const r = await h.api('POST', '/v1/webhooks', { url: 'https://example.com/hook', events: ['case.created'], retry });
  expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(201);
  expect(r.body.retry.retryOn).toEqual(['5xx', '503', 'timeout']);
  expect((await h.api('GET', `/v1/webhooks/${r.body.id}`)).body.retry.retryOn).toEqual(['5xx', '503', 'timeout']);
});

it('an action type keeps each retry condition once', async () => {
  const r = await h.api('POST', '/v1/action-types', { name: 'repeats', connector: 'vendor', method: 'POST', path: '/ok', retry });
  expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(201);
  expect(r.body.retry.retryOn).toEqual(['5xx', '503', 'timeout']);
});
