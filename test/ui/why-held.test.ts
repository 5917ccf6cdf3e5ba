// The line that says why a throttled action waits, in a real browser: a connector's rate limits read
// as a person says them ("1 a day and 50,000 a week"), on the action card and in the work list,
// where it used to say "1 per 86400000 ms and 50000 per 604800000 ms".

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('why a rate-limited action waits', () => {
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

  it("says the connector's limits in words on the action card and in the work list", async () => {
    const c = await h.api('POST', '/v1/connectors', {
      name: 'crm',
      baseUrl: h.mock.url,
      rateLimits: [
        // Long windows (aligned to the epoch): the held action stays held while the test looks.
        { limit: 1, per: '1d' },
        { limit: 50_000, per: '7d' },
      ],
    });
    expect(c.status).toBe(201);
    await actionType(h, { connector: 'crm', name: 'crm-note', path: '/ok' });
    const first = (await h.api('POST', '/v1/actions', { actionType: 'crm-note' })).body.id as string;
    await h.waitFor(first, (a) => a.state === 'closed');
    const held = (await h.api('POST', '/v1/actions', { actionType: 'crm-note' })).body.id as string;
    await h.waitFor(held, (a) => a.phase === 'throttled');

    const page = await signedIn(b, h, h.adminKey, `/ui/actions/${held}`);
    const why = page.getByTestId('why');
    await expect.poll(() => why.textContent()).toContain('held: crm allows 1 a day and 50,000 a week');
    expect(await why.textContent()).not.toMatch(/\d ms/);
    await expectAccessible(page, 'action-held');

    await page.goto(`${h.url}/ui/work?phase=throttled`);
    const row = page.locator(`tr[data-id="${held}"] td.why`);
    await expect.poll(() => row.textContent()).toContain('crm allows 1 a day and 50,000 a week');
  });
});
