// Round 47, outside review ("the same request twice, and ten of them at once"): POST
// /v1/webhooks/{id}/deliveries/{deliveryId}/retry sent again while the delivery it asked for is on its
// way. The retry cleared the attempt's lease, so the delivery was claimed and sent a second time
// beside (or after) the one in flight, and the first attempt's result was dropped: the receiver got a
// request the delivery's attempts never showed. A retry of a delivery in flight now answers it as it is.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SLOW_MS = 1500;

describe.each(storeHarnesses)('webhook delivery retries sent at once on $name', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await backend.open();
  });
  afterAll(async () => h?.close());

  const sends = () => h.mock.log.filter((e) => e.path === '/slow').length;

  it('ten retries at once, and ten more while that one is on its way: one more request, and it is on the attempts', async () => {
    const w = await h.api('POST', '/v1/webhooks', { url: `${h.mock.url}/slow?ms=${SLOW_MS}`, events: ['case.created'] });
    expect(w.status).toBe(201);
    expect((await h.api('POST', '/v1/cases', { title: 'one event' })).status).toBe(201);
    const delivery = async () => (await h.api('GET', `/v1/webhooks/${w.body.id}/deliveries`)).body.items[0];
    let d = await delivery();
    for (let i = 0; d?.status !== 'delivered' && i < 100; i++, d = await delivery()) await sleep(100);
    expect(d.attempts).toHaveLength(1);
    expect(sends()).toBe(1);

    const retry = () => h.api('POST', `/v1/webhooks/${w.body.id}/deliveries/${d.id}/retry`);
    const first = await Promise.all(Array.from({ length: 10 }, retry));
    expect(first.map((r) => r.status)).toEqual(Array(10).fill(200));
    // The retry is on its way (the receiver answers after SLOW_MS): the operator clicks again, ten times.
    await sleep(SLOW_MS / 3);
    const again = await Promise.all(Array.from({ length: 10 }, retry));
    expect(again.map((r) => r.status)).toEqual(Array(10).fill(200));
    for (const r of again) expect(r.body.id).toBe(d.id);

    for (let i = 0; i < 100 && !((d = await delivery()).status === 'delivered' && d.attempts.length >= 2); i++) await sleep(100);
    // Long enough for a second send (a cleared lease, claimed again) to reach the receiver.
    await sleep(SLOW_MS + 1000);
    d = await delivery();
    expect(sends()).toBe(2);
    expect(d.status).toBe('delivered');
    // Every request the receiver got is one of the delivery's attempts.
    expect(d.attempts).toHaveLength(sends());
  });
});
