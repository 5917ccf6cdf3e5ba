// A builder changes the retry policy of an existing webhook subscription on the webhooks page: the API
// then gives the new policy (its other settings kept), the policy can be taken back to Standard
// Webhooks' schedule, and a change made with a tag someone else's save has since replaced is refused,
// the page saying so and the stored policy left as the other builder saved it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { startReceiver, type Receiver } from '../webhooks/helpers.ts';
import { expectAccessible, keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

describe("changing a webhook's retries in the builder", () => {
  let h: Harness;
  let b: Browser;
  let rx: Receiver;
  let key: string;
  beforeAll(async () => {
    h = await startHarness({ start: false });
    b = await launchBrowser();
    rx = await startReceiver();
    key = await keyWith(h, 'bella', ['builder']);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
    await rx?.close();
  });

  it('saves a new policy on an existing subscription (keeping its other settings), then takes it back to the schedule', async () => {
    const w = (
      await h.api('POST', '/v1/webhooks', {
        url: `${rx.url}/edit`,
        events: ['case.created'],
        retry: { maxRetries: 4, interval: '10s', backoff: 'exponential', jitter: 0.5, retryOn: ['5xx'] },
      })
    ).body;
    const page = await signedIn(b, h, key, '/ui/webhooks');
    const sent: Array<string | undefined> = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH') sent.push(r.headers()['if-match']);
    });
    await page.getByRole('button', { name: `Change the retry policy of ${w.url}` }).click();
    const editor = page.getByTestId('webhook-retry-editor');
    // The form opens on the policy it has.
    expect(await editor.getByLabel('Retries', { exact: true }).inputValue()).toBe('policy');
    expect(await editor.getByLabel('Most retries').inputValue()).toBe('4');
    expect(await editor.getByLabel('Retry interval').inputValue()).toBe('10s');

    // A count that is not a number is refused naming the field; nothing changes.
    await editor.getByLabel('Most retries').fill('lots');
    await editor.getByRole('button', { name: 'Save retries' }).click();
    await expect.poll(() => editor.textContent()).toContain('retry.maxRetries');
    expect((await h.api('GET', `/v1/webhooks/${w.id}`)).body.retry.maxRetries).toBe(4);

    await editor.getByLabel('Most retries').fill('7');
    await editor.getByLabel('Retry interval').fill('2m');
    await editor.getByLabel('Backoff').selectOption('fixed');
    await editor.getByRole('button', { name: 'Save retries' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Saved the retries of ${w.url}` })
      .waitFor();
    expect((await h.api('GET', `/v1/webhooks/${w.id}`)).body.retry).toMatchObject({
      maxRetries: 7,
      interval: 120_000,
      backoff: 'fixed',
      jitter: 0.5,
      retryOn: ['5xx'],
    });
    const row = page.locator(`tr[data-id="${w.id}"]`);
    await expect.poll(() => row.getByTestId('webhook-retries').textContent()).toContain('at most 7 retries, 2m apart (fixed)');
    // Each save sent the tag of the settings the page read.
    expect(sent).toEqual([w.etag, w.etag]);

    // Back to Standard Webhooks' schedule: the policy is removed (the API's retry: null).
    await page.getByRole('button', { name: `Change the retry policy of ${w.url}` }).click();
    await editor.getByLabel('Retries', { exact: true }).selectOption('');
    expect(await editor.getByLabel('Most retries').count()).toBe(0);
    await expectAccessible(page, 'webhook-retry-editor');
    await editor.getByRole('button', { name: 'Save retries' }).click();
    await expect.poll(async () => (await h.api('GET', `/v1/webhooks/${w.id}`)).body.retry).toBeNull();
    await expect.poll(() => row.getByTestId('webhook-retries').textContent()).toContain('Standard Webhooks schedule');
    expect(sent).toHaveLength(3);
    expect(sent[2]).not.toBe(w.etag);
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.close();
  });

  it('refuses a change to a subscription someone else changed since the page listed it, and says so', async () => {
    const w = (await h.api('POST', '/v1/webhooks', { url: `${rx.url}/stale`, events: ['case.created'] })).body;
    const page = await signedIn(b, h, key, '/ui/webhooks');
    await page.getByRole('button', { name: `Change the retry policy of ${w.url}` }).click();
    const editor = page.getByTestId('webhook-retry-editor');
    // Someone else gives it a policy while the page is open.
    const theirs = { maxRetries: 1, interval: '5s', backoff: 'fixed' };
    expect((await h.api('PATCH', `/v1/webhooks/${w.id}`, { retry: theirs })).status).toBe(200);

    await editor.getByLabel('Retries', { exact: true }).selectOption('policy');
    await editor.getByLabel('Most retries').fill('9');
    await editor.getByRole('button', { name: 'Save retries' }).click();
    await editor.getByRole('alert').filter({ hasText: 'Someone else saved this since you opened it' }).waitFor();
    expect((await h.api('GET', `/v1/webhooks/${w.id}`)).body.retry).toMatchObject({ maxRetries: 1, interval: 5000, backoff: 'fixed' });

    // Read again: their policy is shown, and the change is made on it.
    await page.reload();
    await page.getByRole('button', { name: `Change the retry policy of ${w.url}` }).click();
    expect(await editor.getByLabel('Most retries').inputValue()).toBe('1');
    await editor.getByLabel('Most retries').fill('9');
    await editor.getByRole('button', { name: 'Save retries' }).click();
    await expect.poll(async () => (await h.api('GET', `/v1/webhooks/${w.id}`)).body.retry?.maxRetries).toBe(9);
    await page.close();
  });
  it('takes an interval longer than an hour on a policy whose maxInterval nobody chose, and keeps one that was chosen', async () => {
    const w = (
      await h.api('POST', '/v1/webhooks', {
        url: `${rx.url}/long`,
        events: ['case.created'],
        retry: { maxRetries: 3, interval: '10s' },
      })
    ).body;
    const chosen = (
      await h.api('POST', '/v1/webhooks', {
        url: `${rx.url}/chosen`,
        events: ['case.created'],
        retry: { maxRetries: 3, interval: '10s', maxInterval: '4h' },
      })
    ).body;
    const page = await signedIn(b, h, key, '/ui/webhooks');
    const editor = page.getByTestId('webhook-retry-editor');
    for (const sub of [w, chosen]) {
      await page.getByRole('button', { name: `Change the retry policy of ${sub.url}` }).click();
      await editor.getByLabel('Retry interval').fill('2h');
      await editor.getByRole('button', { name: 'Save retries' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `Saved the retries of ${sub.url}` })
        .waitFor();
    }
    // The API derives the limit again from the new interval, as it does for a policy sent without one.
    expect((await h.api('GET', `/v1/webhooks/${w.id}`)).body.retry).toMatchObject({ interval: 7_200_000, maxInterval: 7_200_000 });
    expect((await h.api('GET', `/v1/webhooks/${chosen.id}`)).body.retry).toMatchObject({ interval: 7_200_000, maxInterval: 14_400_000 });
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.close();
  });

  it("saves after the page's own toggle of the same subscription: that change is not someone else's", async () => {
    const w = (await h.api('POST', '/v1/webhooks', { url: `${rx.url}/own-toggle`, events: ['case.created'] })).body;
    const page = await signedIn(b, h, key, '/ui/webhooks');
    await page.getByRole('button', { name: `Change the retry policy of ${w.url}` }).click();
    const editor = page.getByTestId('webhook-retry-editor');
    await editor.getByLabel('Retries', { exact: true }).selectOption('policy');
    await editor.getByLabel('Most retries').fill('2');
    await page.getByRole('button', { name: `Disable ${w.url}` }).click();
    await page.getByRole('button', { name: `Enable ${w.url}` }).waitFor();
    await editor.getByRole('button', { name: 'Save retries' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Saved the retries of ${w.url}` })
      .waitFor();
    expect((await h.api('GET', `/v1/webhooks/${w.id}`)).body).toMatchObject({ enabled: false, retry: { maxRetries: 2 } });
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.close();
  });
});
