// Opening a subscription's deliveries (a link since they have an address) moves focus to the
// deliveries it opened, not to the top of the page: a keyboard or screen-reader user lands on what
// they asked for, as they did when Deliveries was a button that left focus beside them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('focus on opened webhook deliveries', () => {
  let h: Harness;
  let b: Browser;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('focuses the deliveries heading when Deliveries is followed', async () => {
    const url = 'http://127.0.0.1:9/hook';
    expect((await h.api('POST', '/v1/webhooks', { url, events: ['case.closed'] })).status).toBe(201);
    const page = await signedIn(b, h, await keyWith(h, 'bob-builder', ['builder']), '/ui/webhooks');
    await page.getByRole('link', { name: `Deliveries to ${url}`, exact: true }).click();
    await page.getByText('Nothing delivered yet.').waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent ?? '')).toBe(`Deliveries to ${url}`);
  });
});
