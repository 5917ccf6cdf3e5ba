// A subscription's deliveries are a view with an address: opened from the list, the page says which
// subscription (and which page) in its URL, so a reload or a shared link shows the same deliveries;
// more than a page of them pages to the older ones with "Older" (the API's `next`).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { startReceiver, until, type Receiver } from '../webhooks/helpers.ts';
import { expectAccessible, keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

const LAUNCHES = 55;

describe('webhook deliveries in the URL, page by page', () => {
  let h: Harness;
  let b: Browser;
  let rx: Receiver;
  beforeAll(async () => {
    h = await startHarness({ callout: { webhooks: { pollIntervalMs: 50 } } });
    b = await launchBrowser();
    rx = await startReceiver();
    await connector(h);
    await actionType(h, { name: 'sync-ok', path: '/ok' });
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
    await rx?.close();
  });

  it('keeps the open deliveries and their page over a reload, and pages with Older', async () => {
    const other = (await h.api('POST', '/v1/webhooks', { url: `${rx.url}/other`, events: ['case.closed'] })).body.id as string;
    const id = (await h.api('POST', '/v1/webhooks', { url: rx.url, events: ['action.launched'] })).body.id as string;
    for (let i = 0; i < LAUNCHES; i++) await launch(h, 'sync-ok');
    const all = await until('every delivery', async () => {
      const r = (await h.api('GET', `/v1/webhooks/${id}/deliveries?limit=100`)).body.items as Array<{ id: string }>;
      return r.length === LAUNCHES ? r.map((d) => d.id) : undefined;
    });

    const page = await signedIn(b, h, await keyWith(h, 'bob-builder', ['builder']), '/ui/webhooks');
    await page.getByRole('link', { name: `Deliveries to ${rx.url}`, exact: true }).click();
    await page.waitForURL((u) => u.searchParams.get('deliveries') === id);
    const rows = page.locator('[data-testid="deliveries"] tbody tr');
    await expect.poll(() => rows.count()).toBe(50);
    expect(await rows.first().getAttribute('data-id')).toBe(all[0]);

    // Reloaded: the same subscription's deliveries, not the other's and not none.
    await page.reload();
    await expect.poll(() => rows.count()).toBe(50);
    expect(await page.getByRole('heading', { name: `Deliveries to ${rx.url}`, exact: true }).count()).toBe(1);
    expect(await page.locator('main').textContent()).not.toContain(`Deliveries to ${rx.url}/other`);
    await expectAccessible(page, 'webhook-deliveries');

    const pages = page.getByRole('navigation', { name: 'Pages of deliveries' });
    await pages.getByRole('link', { name: 'Older' }).click();
    await page.waitForURL((u) => u.searchParams.get('before') === all[49]);
    await expect.poll(() => rows.count()).toBe(LAUNCHES - 50);
    expect(await rows.first().getAttribute('data-id')).toBe(all[50]);
    expect(await rows.last().getAttribute('data-id')).toBe(all[LAUNCHES - 1]);
    expect(await pages.getByRole('link', { name: 'Older' }).count()).toBe(0);
    // The older page survives a reload too.
    await page.reload();
    await expect.poll(() => rows.count()).toBe(LAUNCHES - 50);
    await expectAccessible(page, 'webhook-deliveries-older');
    await pages.getByRole('link', { name: 'Newest' }).click();
    await expect.poll(() => rows.count()).toBe(50);

    // An address naming no subscription says so, rather than showing nothing.
    await page.goto(`${h.url}/ui/webhooks?deliveries=no-such-webhook`);
    await page.getByRole('alert').filter({ hasText: 'no-such-webhook' }).waitFor();
    expect(other).not.toBe(id);
  });
});
