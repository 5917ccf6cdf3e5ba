// A builder fixes a subscription's URL, events and description on the webhooks page, and deletes one
// (both only through the API before: a wrong URL stayed, retried for days). Each is made with the tag
// the page listed, so a change someone else saved since is not overwritten or deleted unseen.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { startReceiver, type Receiver } from '../webhooks/helpers.ts';
import { expectAccessible, keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('changing and deleting a webhook subscription in the builder', () => {
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

  it('changes the URL, events and description in place, then deletes it after asking', async () => {
    const w = (await h.api('POST', '/v1/webhooks', { url: `${rx.url}/typo`, events: ['case.created'], description: 'old' })).body;
    const page = await signedIn(b, h, key, '/ui/webhooks');
    await page.getByRole('button', { name: `Change ${w.url}`, exact: true }).click();
    const editor = page.getByTestId('webhook-settings-editor');
    expect(await editor.getByLabel('Endpoint URL').inputValue()).toBe(w.url);
    await expectAccessible(page, 'webhook settings editor');
    await editor.getByLabel('Endpoint URL').fill(`${rx.url}/fixed`);
    await editor.getByLabel('Events').fill('case.created, action.*');
    await editor.getByLabel('Description').fill('');
    await editor.getByRole('button', { name: 'Save', exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Saved ${rx.url}/fixed.` })
      .waitFor();
    const after = (await h.api('GET', `/v1/webhooks/${w.id}`)).body;
    expect([after.url, after.events, after.description ?? null]).toEqual([`${rx.url}/fixed`, ['case.created', 'action.*'], null]);
    await expect.poll(() => page.getByTestId('webhooks').textContent()).toContain(`${rx.url}/fixed`);

    // Someone else changes it meanwhile: the delete made on what the page listed is refused, nothing deleted.
    expect((await h.api('PATCH', `/v1/webhooks/${w.id}`, { description: 'theirs' })).status).toBe(200);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: `Delete ${rx.url}/fixed`, exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'Someone else saved this since you opened it' }).waitFor();
    expect((await h.api('GET', `/v1/webhooks/${w.id}`)).status).toBe(200);

    // The list is read again on the refusal: a second Delete is of the subscription as they left it.
    await expect.poll(() => page.getByTestId('webhooks').textContent()).toContain('theirs');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: `Delete ${rx.url}/fixed`, exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Deleted the subscription of ${rx.url}/fixed.` })
      .waitFor();
    expect((await h.api('GET', `/v1/webhooks/${w.id}`)).status).toBe(404);
    await expect.poll(() => page.getByTestId('webhooks').count()).toBe(0);
    await page.close();
  });
});
