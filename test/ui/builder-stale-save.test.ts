// Two builders with one resource open: the second to save is told someone else saved it since (the
// forms send the revision they read as If-Match), and their save overwrites nothing. Saving twice in a
// row on one page is not such a clash: each save goes on from what the last one stored.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { holdRequests, keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('a builder saving what someone else changed since it was opened', () => {
  let h: Harness;
  let b: Browser;
  let key: string;
  let typeId = '';
  beforeAll(async () => {
    h = await startHarness({ start: false });
    b = await launchBrowser();
    key = await keyWith(h, 'bella', ['builder']);
    expect((await h.api('POST', '/v1/queues', { name: 'hr', description: 'people' })).status).toBe(201);
    expect((await h.api('POST', '/v1/connectors', { name: 'crm', baseUrl: h.mock.url, description: 'crm' })).status).toBe(201);
    const t = await h.api('POST', '/v1/action-types', { name: 'ticket', connector: 'crm', path: '/ok', description: 'tickets' });
    expect(t.status).toBe(201);
    typeId = t.body.id;
    const p = await h.api('POST', '/v1/processes', {
      name: 'onboard',
      description: 'first',
      steps: [{ name: 'a', kind: 'manual', queue: 'hr' }],
    });
    expect(p.status).toBe(201);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  const screens = [
    { what: 'queue', page: '/ui/queues/hr', api: '/v1/queues/hr', save: 'Save', saved: 'Saved hr.' },
    { what: 'connector', page: '/ui/connectors/crm', api: '/v1/connectors/crm', save: 'Save', saved: 'Saved crm.' },
    { what: 'action type', page: () => `/ui/action-types/${typeId}`, api: '/v1/action-types/ticket', save: 'Save', saved: 'Saved ticket.' },
    { what: 'process', page: '/ui/processes/onboard', api: '/v1/processes/onboard', save: 'Save process', saved: 'Saved onboard.' },
  ];

  it.each(screens)('the $what screen refuses to overwrite a change made since it was opened, and saves twice in a row', async (s) => {
    const page = await signedIn(b, h, key, typeof s.page === 'string' ? s.page : s.page());
    const opened = (await h.api('GET', s.api)).body;
    await expect.poll(() => page.getByLabel('Description').inputValue()).toBe(opened.description);
    // Someone else saves while the page is open.
    expect((await h.api('PATCH', s.api, { description: 'changed by alice' })).status).toBe(200);

    await page.getByLabel('Description').fill('changed by bella');
    await page.getByRole('button', { name: s.save, exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'Someone else saved this since you opened it' }).waitFor();
    expect((await h.api('GET', s.api)).body).toMatchObject({ description: 'changed by alice', revision: opened.revision + 1 });

    // Read again, then two saves in a row: both are made.
    await page.reload();
    await expect.poll(() => page.getByLabel('Description').inputValue()).toBe('changed by alice');
    for (const text of ['bella once', 'bella twice']) {
      await page.getByLabel('Description').fill(text);
      await page.getByRole('button', { name: s.save, exact: true }).click();
      await expect.poll(async () => (await h.api('GET', s.api)).body.description).toBe(text);
    }
    await page.getByRole('status').filter({ hasText: s.saved }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    expect((await h.api('GET', s.api)).body.revision).toBe(opened.revision + 3);
    await page.close();
  });

  // A double click, or Enter pressed again, while the save is on its way: one save, not a second with the
  // revision just replaced (which the server refuses as someone else's, an alarm about nobody). The fields
  // cannot be changed meanwhile (what was typed would be replaced by what the answer stored).
  it.each(screens)('the $what screen sends one save while one is on its way, then takes edits again', async (s) => {
    const page = await signedIn(b, h, key, typeof s.page === 'string' ? s.page : s.page());
    const before = (await h.api('GET', s.api)).body;
    await expect.poll(() => page.getByLabel('Description').inputValue()).toBe(before.description);
    // Every save of the screen is a PATCH (the connector's and action type's by id).
    const saves = await holdRequests(page, (u) => u.pathname.startsWith('/v1/'), 'PATCH');
    await page.getByLabel('Description').fill(`held ${s.what}`);
    const button = page.getByRole('button', { name: s.save, exact: true });
    await button.click();
    await expect.poll(() => saves.count()).toBe(1);
    // Clicked again (past Playwright's wait for an enabled button, as a hand would) and submitted from the keyboard.
    await button.click({ force: true });
    await page
      .locator('form:has(#' + (await page.getByLabel('Description').getAttribute('id')) + ')')
      .evaluate((f: HTMLFormElement) => f.requestSubmit());
    expect(await page.getByLabel('Description').isDisabled()).toBe(true);
    await saves.release();
    await page.getByRole('status').filter({ hasText: s.saved }).waitFor();
    await expect.poll(() => page.getByLabel('Description').isEnabled()).toBe(true);
    // The focus is where it was before the fields were disabled.
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent ?? null)).toBe(s.save);
    expect(saves.count()).toBe(1);
    expect(await page.getByRole('alert').count()).toBe(0);
    expect((await h.api('GET', s.api)).body).toMatchObject({ description: `held ${s.what}`, revision: before.revision + 1 });
    await page.close();
  });

  // The same for the forms that create: a second click while the first is on its way made a second key
  // (two secrets, one never seen again), or was refused as a name already taken.
  const creators = [
    { what: 'API key', page: '/ui/api-keys', post: '/v1/api-keys', field: '#k-name', value: 'twice-clicked', button: 'Create key' },
    { what: 'user', page: '/ui/users', post: '/v1/users', field: '#u-name', value: 'nora', button: 'Create user' },
    {
      what: 'webhook',
      page: '/ui/webhooks',
      post: '/v1/webhooks',
      field: '#w-url',
      value: 'http://127.0.0.1:9/twice',
      button: 'Create webhook',
    },
  ];
  it.each(creators)('the $what form creates one while one is on its way', async (c) => {
    const admin = await keyWith(h, `ada-${c.what.replace(/\W/g, '')}`, ['admin']);
    const page = await signedIn(b, h, admin, c.page);
    if (c.what === 'webhook') await page.locator('#w-events').fill('case.created');
    const posts = await holdRequests(page, (u) => u.pathname === c.post, 'POST');
    await page.locator(c.field).fill(c.value);
    const button = page.getByRole('button', { name: c.button, exact: true });
    await button.click();
    await expect.poll(() => posts.count()).toBe(1);
    await button.click({ force: true });
    await page.locator(`form:has(${c.field})`).evaluate((f: HTMLFormElement) => f.requestSubmit());
    expect(await page.locator(c.field).isDisabled()).toBe(true);
    await posts.release();
    await expect.poll(() => page.locator(c.field).isEnabled()).toBe(true);
    expect(posts.count()).toBe(1);
    expect(await page.getByRole('alert').count()).toBe(0);
    const listed = (await h.api('GET', c.post)).body as { items?: unknown[] } | unknown[];
    const items = (Array.isArray(listed) ? listed : (listed.items ?? [])) as Array<Record<string, unknown>>;
    expect(items.filter((x) => x.name === c.value || x.url === c.value)).toHaveLength(1);
    await page.close();
  });
});
