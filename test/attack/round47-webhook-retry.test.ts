// Round 47, outside review ("the same request twice, and ten of them at once"): POST
// /v1/webhooks/{id}/deliveries/{deliveryId}/retry sent again while the delivery it asked for is on its
// way. The retry cleared the attempt's lease, so the delivery was claimed and sent a second time
// beside (or after) the one in flight, and the first attempt's result was dropped: the receiver got a
// request the delivery's attempts never showed. A retry of a delivery in flight now answers it as it is.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SLOW_MS = 1500;

describe.each(storeHarnesses)('webhook delivery retries sent at once on $name', (backend) => {
  let h: Harness;
  // A receiver that counts requests as they arrive (the mock logs them as it answers) and answers slowly.
  let arrivals = 0;
  let receiver: Server;
  let url = '';
  beforeAll(async () => {
    h = await backend.open();
    receiver = createServer((req, res) => {
      arrivals++;
      req.resume();
      setTimeout(() => res.end('ok'), SLOW_MS);
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await h?.close();
    receiver?.closeAllConnections();
    await new Promise((r) => receiver?.close(r));
  });

  const sends = () => arrivals;

  it('ten retries at once, and ten more while that one is on its way: one more request, and it is on the attempts', async () => {
    const w = await h.api('POST', '/v1/webhooks', { url, events: ['case.created'] });
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
    // The retry is on its way (it reached the receiver, which answers after SLOW_MS): the operator clicks again, ten times.
    for (let i = 0; sends() < 2 && i < 100; i++) await sleep(20);
    expect(sends()).toBe(2);
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
