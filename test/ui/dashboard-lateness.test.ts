// Timer lateness on the dashboard, on both stores: after actions came due (at once, and one started
// a moment later by startAt), /v1/dashboard reports p50/p99 of how late they were claimed, and the
// numbers are sane (samples counted, 0 <= p50 <= p99 <= max, well under the lease); the dashboard shows them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, type Harness } from '../helpers/harness.ts';
import { STORES, harnessOn } from '../webhooks/helpers.ts';
import { expectAccessible, launchBrowser, signedIn, type Browser } from './browser.ts';

describe.each(STORES)('timer lateness on %s', (store) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harnessOn(store);
    await connector(h);
    await actionType(h, { name: 'sync-ok', path: '/ok' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is null before anything came due, then p50/p99 of the claims of the last minute', async () => {
    expect((await h.api('GET', '/v1/dashboard')).body.timerLateness).toBeNull();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await launch(h, 'sync-ok')).id);
    ids.push((await launch(h, 'sync-ok', {}, { startAt: new Date(Date.now() + 700).toISOString() })).id);
    for (const id of ids) await h.waitFor(id, (a) => a.state === 'closed');
    const l = (await h.api('GET', '/v1/dashboard')).body.timerLateness;
    expect(l).toMatchObject({ windowMs: 60_000 });
    expect(l.samples).toBeGreaterThanOrEqual(ids.length);
    expect(l.p50Ms).toBeGreaterThanOrEqual(0);
    expect(l.p99Ms).toBeGreaterThanOrEqual(l.p50Ms);
    expect(l.maxMs).toBeGreaterThanOrEqual(l.p99Ms);
    // An idle engine claims within a wake-up or a timer tick; 5 s leaves room for a loaded CI machine
    // and still fails a lateness measured against the lease or the launch instead of the due time.
    expect(l.maxMs).toBeLessThan(5_000);
  });
});

describe('timer lateness on the dashboard screen', () => {
  let h: Harness;
  let b: Browser;
  beforeAll(async () => {
    h = await harnessOn('sqlite');
    b = await launchBrowser();
    await connector(h);
    await actionType(h, { name: 'sync-ok', path: '/ok' });
    await h.waitFor((await launch(h, 'sync-ok')).id, (a) => a.state === 'closed');
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('shows the median and p99', async () => {
    const page = await signedIn(b, h, h.adminKey, '/ui/dashboard');
    await page.getByRole('heading', { name: 'Timer lateness (last minute)' }).waitFor();
    expect(await page.getByTestId('lateness-p50').textContent()).toMatch(/^\d+ ms$/);
    expect(await page.getByTestId('lateness-p99').textContent()).toMatch(/^\d+ ms$/);
    await expectAccessible(page, 'dashboard-lateness');
    await page.close();
  });
});
