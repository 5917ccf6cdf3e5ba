// The work list's connector filter when the connectors cannot be read: the server answers 500 for
// GET /v1/connectors, and the page says the connectors could not be read (with the server's reason)
// instead of showing no connector chips, which reads as "there are no connectors"; Try again brings them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connector, startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('connector chips that could not be read', () => {
  let h: Harness;
  let b: Browser;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    await connector(h, { name: 'crm' });
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('says so as an error naming the connectors, and shows the chips once they load', async () => {
    const page = await signedIn(b, h, h.adminKey, '/ui/dashboard');
    const failing = (u: URL): boolean => u.pathname === '/v1/connectors';
    await page.route(failing, (r) =>
      r.fulfill({
        status: 500,
        contentType: 'application/problem+json',
        body: JSON.stringify({ title: 'Internal error', detail: 'The store did not answer', status: 500 }),
      }),
    );
    await page.goto(`${h.url}/ui/work`);
    const failed = page.getByTestId('connectors-failed');
    await expect.poll(() => failed.textContent()).toContain('Connectors could not be read');
    expect(await failed.textContent()).toContain('The store did not answer');
    expect(await failed.getAttribute('role')).toBe('alert');
    expect(await page.getByRole('navigation', { name: 'Connector' }).count()).toBe(0);
    await expectAccessible(page, 'work-connectors-failed');

    await page.unroute(failing);
    await failed.getByRole('button', { name: 'Try again' }).click();
    const chips = page.getByRole('navigation', { name: 'Connector' });
    await chips.getByRole('link', { name: 'crm' }).waitFor();
    expect(await failed.count()).toBe(0);
  });
});
