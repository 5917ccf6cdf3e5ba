// The webhooks page sends the tag of the settings it listed as If-Match: a subscription another builder
// changed since the page was opened is not toggled (told so, nothing changed), while one Callout only
// disabled after failures meanwhile is (nobody changed what the builder chose).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { startReceiver, until, type Receiver } from '../webhooks/helpers.ts';
import { keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('toggling a webhook in the builder', () => {
  let h: Harness;
  let b: Browser;
  let rx: Receiver;
  let key: string;
  beforeAll(async () => {
    h = await startHarness({ callout: { webhooks: { pollIntervalMs: 50 } } });
    b = await launchBrowser();
    rx = await startReceiver();
    key = await keyWith(h, 'bella', ['builder']);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
    await rx?.close();
  });

  it('refuses to toggle a subscription someone else changed since the page listed it, and changes nothing', async () => {
    const w = (await h.api('POST', '/v1/webhooks', { url: `${rx.url}/a`, events: ['case.created'], description: 'first' })).body;
    const page = await signedIn(b, h, key, '/ui/webhooks');
    const disable = page.getByRole('button', { name: `Disable ${w.url}` });
    await disable.waitFor();
    // Someone else changes it while the page is open.
    expect((await h.api('PATCH', `/v1/webhooks/${w.id}`, { description: 'changed by alice' })).status).toBe(200);

    await disable.click();
    await page.getByRole('alert').filter({ hasText: 'Someone else saved this since you opened it' }).waitFor();
    expect((await h.api('GET', `/v1/webhooks/${w.id}`)).body).toMatchObject({ enabled: true, description: 'changed by alice' });

    // Read again: the toggle is made.
    await page.reload();
    await page.getByRole('button', { name: `Disable ${w.url}` }).click();
    await page.getByRole('button', { name: `Enable ${w.url}` }).waitFor();
    expect((await h.api('GET', `/v1/webhooks/${w.id}`)).body.enabled).toBe(false);
    await page.close();
  });

  it('toggles a subscription Callout disabled after the page listed it: the settings are still what the page read', async () => {
    rx.answer = () => ({ status: 410 });
    const w = (await h.api('POST', '/v1/webhooks', { url: `${rx.url}/b`, events: ['case.created'] })).body;
    const page = await signedIn(b, h, key, '/ui/webhooks');
    const sent: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH') sent.push(r.headers()['if-match'] ?? 'none');
    });
    const disable = page.getByRole('button', { name: `Disable ${w.url}` });
    await disable.waitFor();
    // Callout disables it (410 Gone) while the page is open: its books change, not the builder's settings.
    await h.callout.cases.createCase({});
    await until('disabled by Callout', async () => (await h.api('GET', `/v1/webhooks/${w.id}`)).body.disabledAt);
    expect((await h.callout.store.getWebhookSubscription(w.id))!.revision).toBeGreaterThan(1);

    await disable.click();
    await page.getByRole('button', { name: `Enable ${w.url}` }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    expect((await h.callout.store.getWebhookSubscription(w.id))!.enabled).toBe(false);
    // The page sent the tag it listed, which Callout's disabling left as it was.
    expect(sent).toEqual([w.etag]);

    // Enabled again from the list the page read after its change: Callout's disabling is cleared too.
    rx.answer = () => ({ status: 204 });
    await page.getByRole('button', { name: `Enable ${w.url}` }).click();
    await page.getByRole('button', { name: `Disable ${w.url}` }).waitFor();
    expect((await h.api('GET', `/v1/webhooks/${w.id}`)).body).toMatchObject({ enabled: true, disabledAt: null });
    await page.close();
  });
});
