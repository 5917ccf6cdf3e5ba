// The time zone setting in a real browser running in New York: an action's times show in New York
// time, the operator picks UTC in the header and the same times show in UTC without a reload (in a
// second open tab too), the choice survives a reload, a new schedule starts in the chosen zone, and a
// stored zone that is no zone falls back to the browser's. axe with the setting open.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('the time zone setting', () => {
  let h: Harness;
  let b: Browser;
  let operator: string;
  beforeAll(async () => {
    h = await startHarness({ start: false });
    b = await launchBrowser({ timezoneId: 'America/New_York' });
    await connector(h);
    await actionType(h, { name: 'send-letter', path: '/ok' });
    operator = await keyWith(h, 'olga', ['operator', 'builder']);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('shows times in the zone chosen, here and in another tab, and keeps the choice', async () => {
    // 1 March next year, 09:00 UTC: 04:00 in New York (EST, before the clocks change).
    const year = new Date().getUTCFullYear() + 1;
    const startAt = new Date(Date.UTC(year, 2, 1, 9)).toISOString();
    const a = (await h.api('POST', '/v1/actions', { actionType: 'send-letter', startAt })).body;
    expect(a.startAt).toBe(startAt);
    const created = new Date(a.createdAt as string);
    // What the action's launch time reads in New York (EDT or EST, by today's date) and in UTC.
    const clock = (timeZone: string) =>
      new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(created);
    const offset = (timeZone: string) =>
      new Intl.DateTimeFormat('en-GB', { timeZone, timeZoneName: 'short' }).formatToParts(created).find((p) => p.type === 'timeZoneName')!
        .value;

    const page = await signedIn(b, h, operator, `/ui/actions/${a.id}`);
    const why = page.getByTestId('why');
    const launched = page.locator('dt', { hasText: 'Launched' }).locator('xpath=following-sibling::dd[1]/time');
    const zone = page.getByTestId('shown-zone');
    await expect.poll(() => why.textContent()).toBe(`Queued: scheduled: goes out 1 Mar ${year}, 04:00:00`);
    expect(await zone.textContent()).toBe('America/New_York');
    expect(await launched.textContent()).toContain(clock('America/New_York'));
    expect(await launched.getAttribute('title')).toContain(` ${clock('America/New_York')} ${offset('America/New_York')}`);
    expect(await page.locator('.zone-note').textContent()).toBe('Times in America/New_York.');

    // A second tab on the work list, open while the choice is made.
    const other = await b.context.newPage();
    await other.goto(`${h.url}/ui/work?state=waiting&phase=queued`);
    const row = other.locator(`tr[data-id="${a.id}"] td.why`);
    await expect.poll(() => row.textContent()).toBe(`scheduled: goes out 1 Mar ${year}, 04:00:00`);

    // The setting, by keyboard: something that is no zone is refused by name and changes nothing.
    await page.locator('summary', { hasText: 'Times in' }).focus();
    await page.keyboard.press('Enter');
    const box = page.getByLabel('Show times in');
    expect(await box.inputValue()).toBe('Browser (America/New_York)');
    await expectAccessible(page, 'time zone setting open');
    await box.fill('Mars/Olympus');
    await box.press('Enter');
    await expect.poll(() => page.locator('#time-zone-error').textContent()).toContain('"Mars/Olympus" is not a time zone');
    expect(await box.getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page, 'time zone setting refused');
    expect(await why.textContent()).toBe(`Queued: scheduled: goes out 1 Mar ${year}, 04:00:00`);

    // UTC: the same times in UTC, without a reload, here and in the other tab.
    await box.fill('UTC');
    await box.press('Enter');
    await expect.poll(() => why.textContent()).toBe(`Queued: scheduled: goes out 1 Mar ${year}, 09:00:00`);
    expect(await zone.textContent()).toBe('UTC');
    expect(await launched.textContent()).toContain(clock('UTC'));
    expect(await launched.getAttribute('title')).toContain(` ${clock('UTC')} UTC`);
    expect(await page.locator('.zone-note').textContent()).toBe('Times in UTC.');
    expect(await page.locator('#time-zone-error').count()).toBe(0);
    await page.getByRole('status').filter({ hasText: 'Times are now shown in UTC.' }).waitFor();
    await expect.poll(() => row.textContent()).toBe(`scheduled: goes out 1 Mar ${year}, 09:00:00`);
    expect(await other.getByTestId('shown-zone').textContent()).toBe('UTC');

    // Kept: a reload shows UTC still, and a new schedule starts in it (the times typed are the viewer's).
    await page.reload();
    await expect.poll(() => why.textContent()).toBe(`Queued: scheduled: goes out 1 Mar ${year}, 09:00:00`);
    expect(await zone.textContent()).toBe('UTC');
    await page.goto(`${h.url}/ui/schedules`);
    expect(await page.getByTestId('schedule-form').getByLabel('Time zone').inputValue()).toBe('UTC');

    // Back to the browser's own zone.
    await page.goto(`${h.url}/ui/actions/${a.id}`);
    await page.locator('summary', { hasText: 'Times in UTC' }).click();
    await page.getByLabel('Show times in').fill('Browser (America/New_York)');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => why.textContent()).toBe(`Queued: scheduled: goes out 1 Mar ${year}, 04:00:00`);
    await other.close();
  });

  it("falls back to the browser's zone when the stored zone is none", async () => {
    const year = new Date().getUTCFullYear() + 1;
    const startAt = new Date(Date.UTC(year, 6, 1, 9)).toISOString();
    const a = (await h.api('POST', '/v1/actions', { actionType: 'send-letter', startAt })).body;
    const page = await signedIn(b, h, operator, '/ui/work');
    await page.evaluate(() => localStorage.setItem('callout.timeZone', 'Mars/Olympus'));
    await page.goto(`${h.url}/ui/actions/${a.id}`);
    // 1 July: 05:00 in New York (EDT).
    await expect.poll(() => page.getByTestId('why').textContent()).toBe(`Queued: scheduled: goes out 1 Jul ${year}, 05:00:00`);
    expect(await page.getByTestId('shown-zone').textContent()).toBe('America/New_York');
  });
});
