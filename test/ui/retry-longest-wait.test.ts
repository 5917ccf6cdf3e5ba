// The retry policy's longest wait (maxInterval) in the builder's forms: an action type's and a webhook
// subscription's. One chosen through the API is shown and can be changed with a longer interval, an
// emptied box goes back to the one the API derives (the longer of an hour and the interval), a longest
// wait below the interval is refused with the API's words under that field and nothing is saved, and the
// webhook retry editor sends one save at a time.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { startReceiver, type Receiver } from '../webhooks/helpers.ts';
import { expectAccessible, keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

/** The text of what the field's aria-describedby names (its hint, its problem), and whether it is marked invalid. */
async function describedBy(page: Page, field: Locator): Promise<{ invalid: string | null; text: string }> {
  const ids = ((await field.getAttribute('aria-describedby')) ?? '').split(' ').filter(Boolean);
  const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()));
  return { invalid: await field.getAttribute('aria-invalid'), text: texts.join(' | ') };
}

describe("a retry policy's longest wait in the builder", () => {
  let h: Harness;
  let b: Browser;
  let rx: Receiver;
  let key: string;
  beforeAll(async () => {
    h = await startHarness({ start: false });
    b = await launchBrowser();
    rx = await startReceiver();
    key = await keyWith(h, 'bella', ['builder']);
    expect((await h.api('POST', '/v1/connectors', { name: 'crm', baseUrl: h.mock.url })).status).toBe(201);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
    await rx?.close();
  });

  it("changes an action type's chosen longest wait with a longer interval, and an emptied box goes back to the derived one", async () => {
    const t = await h.api('POST', '/v1/action-types', {
      name: 'slow-crm',
      connector: 'crm',
      path: '/ok',
      retry: { maxRetries: 3, interval: '10s', backoff: 'exponential', maxInterval: '5m' },
    });
    expect(t.status).toBe(201);
    const page = await signedIn(b, h, key, `/ui/action-types/${t.body.id}`);
    const longest = page.getByLabel('Longest wait');
    // The limit chosen through the API is shown as it would be typed.
    await expect.poll(() => longest.inputValue()).toBe('5m');

    // A longer interval with a longer longest wait: saved together.
    await page.getByLabel('Retry interval').fill('10m');
    await longest.fill('20m');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Saved slow-crm.' }).waitFor();
    expect((await h.api('GET', `/v1/action-types/${t.body.id}`)).body.retry).toMatchObject({
      maxRetries: 3,
      interval: 600_000,
      backoff: 'exponential',
      maxInterval: 1_200_000,
    });
    await expect.poll(() => longest.inputValue()).toBe('20m');

    // Emptied: the API's own, the longer of an hour and the interval; shown empty again.
    await longest.fill('');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(async () => (await h.api('GET', `/v1/action-types/${t.body.id}`)).body.retry.maxInterval).toBe(3_600_000);
    await expect.poll(() => longest.inputValue()).toBe('');

    // Still empty with an interval over an hour: the limit follows the interval, nothing is refused.
    await page.getByLabel('Retry interval').fill('2h');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect
      .poll(async () => (await h.api('GET', `/v1/action-types/${t.body.id}`)).body.retry)
      .toMatchObject({
        interval: 7_200_000,
        maxInterval: 7_200_000,
      });
    await expect.poll(() => longest.inputValue()).toBe('');
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.close();
  });

  it("refuses an action type's longest wait below its interval under that field, and saves nothing", async () => {
    const t = await h.api('POST', '/v1/action-types', {
      name: 'bounded-crm',
      connector: 'crm',
      path: '/ok',
      retry: { maxRetries: 2, interval: '10s', maxInterval: '5m' },
    });
    expect(t.status).toBe(201);
    const page = await signedIn(b, h, key, `/ui/action-types/${t.body.id}`);
    const longest = page.getByLabel('Longest wait');
    await expect.poll(() => longest.inputValue()).toBe('5m');
    await page.getByLabel('Retry interval').fill('10m');
    await longest.fill('1m');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(async () => (await describedBy(page, longest)).text).toContain('cannot be less than interval');
    expect((await describedBy(page, longest)).invalid).toBe('true');
    // Only that field is marked.
    expect(await page.getByLabel('Retry interval').getAttribute('aria-invalid')).toBeNull();
    const after = (await h.api('GET', `/v1/action-types/${t.body.id}`)).body;
    expect([after.revision, after.retry.interval, after.retry.maxInterval]).toEqual([t.body.revision, 10_000, 300_000]);
    await expectAccessible(page, 'action type with a refused longest wait');

    // Put right, it saves and the mark goes.
    await longest.fill('30m');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Saved bounded-crm.' }).waitFor();
    expect((await h.api('GET', `/v1/action-types/${t.body.id}`)).body.retry).toMatchObject({ interval: 600_000, maxInterval: 1_800_000 });
    expect(await longest.getAttribute('aria-invalid')).toBeNull();
    await page.close();
  });

  it("changes a webhook's chosen longest wait with a longer interval, clears it, and refuses one below the interval under that field", async () => {
    const w = (
      await h.api('POST', '/v1/webhooks', {
        url: `${rx.url}/longest`,
        events: ['case.created'],
        retry: { maxRetries: 3, interval: '10s', backoff: 'exponential', maxInterval: '5m', jitter: 0.2 },
      })
    ).body;
    const page = await signedIn(b, h, key, '/ui/webhooks');
    const editor = page.getByTestId('webhook-retry-editor');
    const open = () => page.getByRole('button', { name: `Change the retry policy of ${w.url}` }).click();
    const saved = () =>
      page
        .getByRole('status')
        .filter({ hasText: `Saved the retries of ${w.url}` })
        .waitFor();
    const stored = async () => (await h.api('GET', `/v1/webhooks/${w.id}`)).body.retry;

    await open();
    const longest = editor.getByLabel('Longest wait');
    expect(await longest.inputValue()).toBe('5m');
    await editor.getByLabel('Retry interval').fill('10m');
    await longest.fill('20m');
    await editor.getByRole('button', { name: 'Save retries' }).click();
    await saved();
    expect(await stored()).toMatchObject({ interval: 600_000, maxInterval: 1_200_000, jitter: 0.2 });

    // Opened again (on the list read after the save): the limit chosen; emptied, the API derives it (an hour, longer than 10m).
    await page.reload();
    await open();
    expect(await longest.inputValue()).toBe('20m');
    await longest.fill('');
    await editor.getByRole('button', { name: 'Save retries' }).click();
    await saved();
    expect((await stored()).maxInterval).toBe(3_600_000);
    await page.reload();
    await open();
    expect(await longest.inputValue()).toBe('');

    // Below the interval: the API's words under the field; nothing changes.
    const before = (await h.api('GET', `/v1/webhooks/${w.id}`)).body;
    await longest.fill('1m');
    await editor.getByRole('button', { name: 'Save retries' }).click();
    await expect.poll(async () => (await describedBy(page, longest)).text).toContain('cannot be less than interval');
    expect((await describedBy(page, longest)).invalid).toBe('true');
    const after = (await h.api('GET', `/v1/webhooks/${w.id}`)).body;
    expect([after.etag, after.retry]).toEqual([before.etag, before.retry]);
    await expectAccessible(page, 'webhook retry editor with a refused longest wait');

    // The create form has the field too: a subscription made with a chosen one.
    await page.getByLabel('Endpoint URL').fill(`${rx.url}/made`);
    await page.getByLabel('Retries', { exact: true }).first().selectOption('policy');
    await page.locator('#w-policy-max-interval').fill('3h');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.getByTestId('webhook-secret').waitFor();
    const made = (await h.api('GET', '/v1/webhooks')).body.items.find((x: { url: string }) => x.url === `${rx.url}/made`);
    expect(made.retry).toMatchObject({ interval: 30_000, maxInterval: 10_800_000 });
    await page.close();
  });

  it('disables Save retries while a save is on its way, and sends it once', async () => {
    const w = (await h.api('POST', '/v1/webhooks', { url: `${rx.url}/once`, events: ['case.created'] })).body;
    const page = await signedIn(b, h, key, '/ui/webhooks');
    const patches: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH') patches.push(r.url());
    });
    // The PATCH is held until the test lets it go.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(`**/v1/webhooks/${w.id}`, async (route) => {
      if (route.request().method() === 'PATCH') await held;
      await route.continue();
    });
    await page.getByRole('button', { name: `Change the retry policy of ${w.url}` }).click();
    const editor = page.getByTestId('webhook-retry-editor');
    await editor.getByLabel('Retries', { exact: true }).selectOption('policy');
    await editor.getByLabel('Most retries').fill('6');
    const save = editor.getByRole('button', { name: 'Save retries' });
    await save.click();
    await expect.poll(() => save.isDisabled()).toBe(true);
    // Submitting the form again another way (Enter in a box, a script) sends nothing more.
    await editor.getByLabel('Most retries').press('Enter');
    await editor.evaluate((form) => (form as HTMLFormElement).requestSubmit());
    release();
    await page
      .getByRole('status')
      .filter({ hasText: `Saved the retries of ${w.url}` })
      .waitFor();
    expect(patches).toHaveLength(1);
    expect((await h.api('GET', `/v1/webhooks/${w.id}`)).body.retry).toMatchObject({ maxRetries: 6 });
    await page.close();
  });
});
