// Pausing a schedule from the list on a slow server: the row shows what the pause answered at once
// (Resume, Paused), so a second press resumes it with the tag the pause returned, where the row kept
// the old state and tag until the list was read again and a second press was refused with 412
// ("someone else saved this") for the person's own pause.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Route } from 'playwright-core';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';
import { keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('pausing a schedule while the list is slow to read', () => {
  let h: Harness;
  let b: Browser;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    await connector(h);
    const typeId = await actionType(h, { name: 'vendor-check', path: '/ok' });
    const s = await h.api('POST', '/v1/schedules', { name: 'yearly', cron: '0 3 1 1 *', timezone: 'UTC', launch: { actionType: typeId } });
    expect(s.status, JSON.stringify(s.body)).toBe(201);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('shows the pause at once and resumes with a second press, no 412', async () => {
    const page = await signedIn(b, h, await keyWith(h, 'bella', ['builder']), '/ui/schedules');
    await page.getByRole('button', { name: 'Pause yearly' }).waitFor();
    // The list read again after the pause is held: the server is slow to answer it.
    const held: Route[] = [];
    await page.route(
      (u) => u.pathname === '/v1/schedules',
      (r) => (r.request().method() === 'GET' ? void held.push(r) : r.continue()),
    );
    await page.getByRole('button', { name: 'Pause yearly' }).click();
    await page.getByRole('button', { name: 'Resume yearly' }).click();
    await expect.poll(async () => (await h.api('GET', '/v1/schedules')).body.items[0].paused).toBe(false);
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.unroute((u) => u.pathname === '/v1/schedules');
    for (const r of held) await r.continue();
    await page.getByRole('button', { name: 'Pause yearly' }).waitFor();
  });
});
