// The work manager in a real browser: free text in the search box finds actions by their custom data
// (q), the connector chips narrow the list to one connector's actions, and the counts follow.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('work manager search and connector filter', () => {
  let h: Harness;
  let b: Browser;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    await connector(h);
    await connector(h, { name: 'billing' });
    const body = { format: 'json', template: '{"c": "{{ customer }}"}' };
    await actionType(h, { name: 'open-ticket', path: '/ok', body });
    await actionType(h, { name: 'send-invoice', path: '/ok', body, connector: 'billing' });
    ids.ticket = (await launch(h, 'open-ticket', { customer: 'Zebra Industries' })).id;
    ids.other = (await launch(h, 'open-ticket', { customer: 'Acme' })).id;
    ids.invoice = (await launch(h, 'send-invoice', { customer: 'zebra crossing' })).id;
    for (const id of Object.values(ids)) await h.waitFor(id, (a) => a.state === 'closed');
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  const shown = async (page: import('playwright-core').Page): Promise<string[]> =>
    (await page.locator('table.actions tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id') ?? ''))).sort();

  it('finds actions by text in their data and narrows them by connector', async () => {
    const page = await signedIn(b, h, h.adminKey, '/ui/work');
    await expect.poll(() => shown(page)).toEqual(Object.values(ids).sort());
    await page.getByLabel('Search').fill('zebra');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => shown(page)).toEqual([ids.ticket, ids.invoice].sort());
    expect(new URL(page.url()).searchParams.get('q')).toBe('zebra');
    // The count chips count the same search.
    await expect.poll(() => page.getByRole('link', { name: /^All/ }).textContent()).toContain('2');

    await page.getByRole('navigation', { name: 'Connector' }).getByRole('link', { name: 'billing' }).click();
    await expect.poll(() => shown(page)).toEqual([ids.invoice]);
    await page.getByRole('list', { name: 'Active filters' }).getByText('connector: billing').waitFor();
    expect(await page.getByLabel('Search').inputValue()).toBe('connector:billing zebra');
    await expectAccessible(page, 'work-search');

    await page.getByRole('link', { name: 'Remove filter text' }).click();
    await expect.poll(() => shown(page)).toEqual([ids.invoice]);
    await page.getByRole('navigation', { name: 'Connector' }).getByRole('link', { name: 'vendor' }).click();
    await expect.poll(() => shown(page)).toEqual([ids.ticket, ids.other].sort());
    await page.close();
  });
  it('a count the search stopped at its time budget shows what it found with +, and says so once', async () => {
    // The budget is a second of reading on a large embedded store; here the answer is made to say so
    // (a store that large has no place in a test), the rest of the page as the server answers it.
    const page = await signedIn(b, h, h.adminKey, '/ui/work?q=zebra');
    // A live refresh's counts may still be on their way as the page closes: their answer is then gone, and
    // so is the need for it (a CI run failed on the rejection left unhandled here).
    await page.route('**/v1/actions/counts?*', (r) =>
      r
        .fetch()
        .then(async (res) => r.fulfill({ response: res, json: { ...(await res.json()), more: true } }))
        .catch(() => undefined),
    );
    await page.reload();
    const chips = page.getByRole('navigation', { name: 'Counts by state' });
    await expect.poll(() => chips.getByRole('link', { name: /^All/ }).textContent()).toBe('All 2+');
    expect(await chips.getByRole('link', { name: /^To Do/ }).textContent()).toBe('To Do 0');
    expect(await chips.getByText(/stopped counting after a second/).count()).toBe(1);
    await expectAccessible(page, 'work-counts-more');
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    await page.close();
  });
});
