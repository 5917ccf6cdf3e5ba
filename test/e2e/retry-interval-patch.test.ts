// PATCH of an action type's retry merges one level deep, so its longest wait (maxInterval) was kept
// even when nobody had chosen it: the API had derived it from the interval (an hour at least), and a
// longer interval alone was then refused naming maxInterval. A derived one is derived again; a chosen
// one stays a limit. And a PATCH that left out maxRetries set it to 3 (the body schema's default filled
// it in). Validation only: one store.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';

describe("PATCH of an action type's retry interval", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ start: false });
    await connector(h);
  });
  afterAll(async () => h?.close());

  it('derives a longest wait nobody chose again from the new interval', async () => {
    await actionType(h, { name: 'derived', path: '/ok', retry: { maxRetries: 2, interval: '10s' } });
    expect((await h.api('GET', '/v1/action-types/derived')).body.retry).toMatchObject({ interval: 10_000, maxInterval: 3_600_000 });
    const longer = await h.api('PATCH', '/v1/action-types/derived', { retry: { interval: '2h' } });
    expect(longer.status, JSON.stringify(longer.body)).toBe(200);
    // The retries it had stay (the body schema's default of 3 used to fill in what the PATCH left out).
    expect(longer.body.retry).toMatchObject({ maxRetries: 2, interval: 7_200_000, maxInterval: 7_200_000 });
    // And back: shorter again, the longest wait is the hour once more.
    const shorter = await h.api('PATCH', '/v1/action-types/derived', { retry: { interval: '30s' } });
    expect(shorter.body.retry).toMatchObject({ interval: 30_000, maxInterval: 3_600_000 });
  });

  it('keeps a chosen longest wait as the limit it is: a longer interval alone is refused naming it', async () => {
    await actionType(h, { name: 'chosen', path: '/ok', retry: { interval: '10s', maxInterval: '5m' } });
    const refused = await h.api('PATCH', '/v1/action-types/chosen', { retry: { interval: '10m' } });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'retry.maxInterval' })]);
    expect((await h.api('GET', '/v1/action-types/chosen')).body.retry).toMatchObject({ interval: 10_000, maxInterval: 300_000 });
    const both = await h.api('PATCH', '/v1/action-types/chosen', { retry: { interval: '10m', maxInterval: '20m' } });
    expect(both.body.retry).toMatchObject({ interval: 600_000, maxInterval: 1_200_000 });
  });
});
