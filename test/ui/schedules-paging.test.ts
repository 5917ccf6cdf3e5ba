// GET /v1/schedules pages (50 by default, newest first): the schedules list reads on with "More
// schedules", and a pause on a later page keeps that page in view when the list is read again.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

const MANY = 53;

describe('schedules past the first page', () => {
  let h: Harness;
  let b: Browser;
  beforeAll(async () => {
    h = await startHarness({ start: false });
    b = await launchBrowser();
    const steps = [{ name: 'a', kind: 'map', expression: '{ "ok": true }' }];
    expect((await h.api('POST', '/v1/processes', { name: 'yearly', steps })).status).toBe(201);
    for (let i = 0; i < MANY; i++) {
      const body = { name: `s-${String(i).padStart(2, '0')}`, cron: '0 8 1 1 *', timezone: 'UTC', launch: { process: 'yearly' } };
      expect((await h.api('POST', '/v1/schedules', body)).status).toBe(201);
    }
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('reads on with More schedules, and a pause on the later page keeps it shown', async () => {
    const page = await signedIn(b, h, await keyWith(h, 'bella', ['builder']), '/ui/schedules');
    const rows = page.locator('[data-testid="schedules"] tbody tr');
    await expect.poll(() => rows.count()).toBe(50);
    expect(await rows.first().locator('a').textContent()).toBe('s-52');
    await page.getByRole('button', { name: 'More schedules' }).click();
    await expect.poll(() => rows.count()).toBe(MANY);
    expect(await page.getByRole('button', { name: 'More schedules' }).count()).toBe(0);

    // The list is read again after the pause: both pages, not the first alone.
    const reread = page.waitForResponse((r) => r.url().includes('/v1/schedules?before='));
    await page.getByRole('button', { name: 'Pause s-00' }).click();
    await reread;
    expect((await h.api('GET', '/v1/schedules/s-00')).body.paused).toBe(true);
    await page.getByRole('button', { name: 'Resume s-00' }).waitFor();
    await expect.poll(() => rows.count()).toBe(MANY);
    expect(await page.getByRole('button', { name: 'Resume s-00' }).count()).toBe(1);
    await page.close();
  });
});
