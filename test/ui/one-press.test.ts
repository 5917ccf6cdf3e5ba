// Buttons a double click (or a click while the first request is on its way) pressed twice, found by an
// outside review of the UI: each sends once now, its button disabled meanwhile, and what the page shows
// is the answer to the one request. Requests are held with Playwright's page.route, and the second
// click forced past Playwright's wait for an enabled button, as a hand would.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { startReceiver, type Receiver } from '../webhooks/helpers.ts';
import { holdRequests, keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('one press, one request', () => {
  let h: Harness;
  let b: Browser;
  let rx: Receiver;
  let builder: string;
  let admin: string;
  let typeId = '';
  beforeAll(async () => {
    h = await startHarness({ start: false });
    b = await launchBrowser();
    rx = await startReceiver();
    builder = await keyWith(h, 'bella', ['builder']);
    admin = await keyWith(h, 'ada', ['admin']);
    expect((await h.api('POST', '/v1/connectors', { name: 'crm', baseUrl: h.mock.url })).status).toBe(201);
    const t = await h.api('POST', '/v1/action-types', {
      name: 'ticket',
      connector: 'crm',
      path: '/ok',
      body: { format: 'json', template: '{"title": "{{ Title }}", "priority": "{{ Priority }}"}' },
      fields: { Priority: { type: 'integer', required: false, default: 3 } },
    });
    expect(t.status, JSON.stringify(t.body)).toBe(201);
    typeId = t.body.id;
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
    await rx?.close();
  });

  /** Every confirm() accepted, counted. */
  const confirming = (page: Page): (() => number) => {
    let asked = 0;
    page.on('dialog', (d) => {
      asked++;
      void d.accept();
    });
    return () => asked;
  };

  it('a webhook disabled with a double click is disabled once, with no false "someone else saved this"; enabled again at once', async () => {
    const w = (await h.api('POST', '/v1/webhooks', { url: `${rx.url}/toggle`, events: ['case.created'] })).body;
    const page = await signedIn(b, h, builder, '/ui/webhooks');
    const disable = page.getByRole('button', { name: `Disable ${w.url}` });
    await disable.waitFor();
    const patches = await holdRequests(page, (u) => u.pathname === `/v1/webhooks/${w.id}`, 'PATCH');
    await disable.click();
    await expect.poll(() => patches.count()).toBe(1);
    await disable.click({ force: true });
    expect(await disable.isDisabled()).toBe(true);
    // The list is read again after the answer: held, the row shows the answer, and its new tag is what the next press sends.
    const reads = await holdRequests(page, (u) => u.pathname === '/v1/webhooks', 'GET');
    await patches.release();
    const enable = page.getByRole('button', { name: `Enable ${w.url}` });
    await enable.waitFor();
    expect(patches.count()).toBe(1);
    await enable.click();
    await page.getByRole('button', { name: `Disable ${w.url}` }).waitFor();
    await reads.release();
    expect(await page.getByRole('alert').count()).toBe(0);
    expect((await h.api('GET', `/v1/webhooks/${w.id}`)).body.enabled).toBe(true);
    await page.close();
  });

  it('a webhook secret rotated with a double click is asked about and rotated once', async () => {
    const w = (await h.api('POST', '/v1/webhooks', { url: `${rx.url}/rotate`, events: ['case.created'] })).body;
    const page = await signedIn(b, h, builder, '/ui/webhooks');
    const asked = confirming(page);
    const rotate = page.getByRole('button', { name: `Rotate the secret of ${w.url}` });
    await rotate.waitFor();
    const rotations = await holdRequests(page, (u) => u.pathname.endsWith('/rotate-secret'), 'POST');
    await rotate.click();
    await expect.poll(() => rotations.count()).toBe(1);
    await rotate.click({ force: true });
    await rotations.release();
    const shown = await page.getByTestId('webhook-secret').textContent();
    expect([rotations.count(), asked()]).toEqual([1, 1]);
    expect(shown).toMatch(/^whsec_/);
    expect(shown).not.toBe(w.secret);
    await page.close();
  });

  it('the action type test: Send once and Launch action send once on a double click; a number typed wrong is named, not defaulted', async () => {
    const page = await signedIn(b, h, builder, `/ui/action-types/${typeId}`);
    await page.getByLabel('Title (string)').fill('Printer jammed');
    const tests = await holdRequests(page, (u) => u.pathname === `/v1/action-types/${typeId}/test`, 'POST');
    const send = page.getByRole('button', { name: 'Send once' });
    await send.click();
    await expect.poll(() => tests.count()).toBe(1);
    await send.click({ force: true });
    await page.getByRole('button', { name: 'Render request' }).click({ force: true });
    await tests.release();
    await expect.poll(() => page.getByTestId('test-result').textContent()).toContain('HTTP 200');
    expect(tests.count()).toBe(1);

    const launches = await holdRequests(page, (u) => u.pathname === '/v1/actions', 'POST');
    const launch = page.getByRole('button', { name: 'Launch action' });
    await launch.click();
    await expect.poll(() => launches.count()).toBe(1);
    await launch.click({ force: true });
    await launches.release();
    await page.getByRole('link', { name: 'open the action' }).waitFor();
    expect(launches.count()).toBe(1);
    expect((await h.api('GET', '/v1/actions?actionType=ticket')).body.items).toHaveLength(1);

    // "12abc" travelled as null (NaN in JSON), and the field's default was used without a word.
    await page.getByLabel('Priority (integer, optional)').fill('12abc');
    await page.getByRole('button', { name: 'Render request' }).click();
    await page.getByRole('alert').filter({ hasText: 'Priority' }).waitFor();
    await page.getByRole('button', { name: 'Launch action' }).click();
    await expect.poll(() => page.getByRole('alert').filter({ hasText: 'Priority' }).count()).toBe(1);
    expect((await h.api('GET', '/v1/actions?actionType=ticket')).body.items).toHaveLength(1);
    await page.close();
  });

  it('an API key revoked with a double click is asked about and revoked once', async () => {
    const k = (await h.api('POST', '/v1/api-keys', { name: 'old-laptop', roles: ['operator'] })).body;
    const page = await signedIn(b, h, admin, '/ui/api-keys');
    const asked = confirming(page);
    const revoke = page.getByRole('button', { name: 'Revoke old-laptop' });
    await revoke.waitFor();
    const deletes = await holdRequests(page, (u) => u.pathname === `/v1/api-keys/${k.id}`, 'DELETE');
    await revoke.click();
    await expect.poll(() => deletes.count()).toBe(1);
    await revoke.click({ force: true });
    await deletes.release();
    await page.locator('tr', { hasText: 'old-laptop' }).getByText('revoked').waitFor();
    expect([deletes.count(), asked()]).toEqual([1, 1]);
    // The button went with the revocation: the focus is on the page's heading, not lost.
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    await page.close();
  });

  it('a saved view deleted leaves the list at once, before the list is read again', async () => {
    const page = await signedIn(b, h, builder, '/ui/work');
    expect(
      (await h.api('POST', '/v1/views', { name: 'Mine', screen: 'work', query: 'state=todo' }, { authorization: `Bearer ${builder}` }))
        .status,
    ).toBe(201);
    await page.reload();
    const del = page.getByRole('button', { name: 'Delete Mine' });
    await del.waitFor();
    const reads = await holdRequests(page, (u) => u.pathname === '/v1/views', 'GET');
    await del.click();
    await expect.poll(() => del.count()).toBe(0);
    await reads.release();
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.close();
  });
});
