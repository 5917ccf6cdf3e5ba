// An operator starts a case from the cases page: of a process or plain, with a title, an owner and data;
// what the API refuses is said beside its field and nothing is made; made, the case opens. Only the
// API could start one before.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('a new case from the cases page', () => {
  let h: Harness;
  let b: Browser;
  let operator: string;
  beforeAll(async () => {
    h = await startHarness({ start: false });
    b = await launchBrowser();
    expect((await h.api('POST', '/v1/users', { name: 'olga' })).status).toBe(201);
    operator = await keyWith(h, 'olga-laptop', ['operator'], 'olga');
    expect((await h.api('POST', '/v1/queues', { name: 'hr', members: ['olga'] })).status).toBe(201);
    const steps = [{ name: 'approve', kind: 'manual', title: 'Approve the starter', queue: 'hr' }];
    expect((await h.api('POST', '/v1/processes', { name: 'onboard', steps })).status).toBe(201);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('refuses a bad owner and data beside their fields, then creates the case of a process and opens it', async () => {
    const page = await signedIn(b, h, operator, '/ui/cases');
    await page.getByText('New case', { exact: true }).click();
    const form = page.getByRole('form', { name: 'New case' });
    await expectAccessible(page, 'cases page with the new case form open');
    await form.getByLabel('Process').selectOption('onboard');
    await form.getByLabel('Title').fill('Sam joins');
    await form.getByLabel('Owner (a user name)').fill('nobody');
    await form.getByLabel('Data (a JSON object, optional)').fill('{ "name": ');
    await form.getByRole('button', { name: 'Create case' }).click();
    await expect.poll(() => page.locator('#new-case-data-json').textContent()).toMatch(/^Not JSON: /);
    await form.getByLabel('Data (a JSON object, optional)').fill('{ "name": "Sam" }');
    await form.getByRole('button', { name: 'Create case' }).click();
    await expect.poll(() => page.locator('#new-case-owner-error').textContent()).toContain('nobody');
    expect(await form.getByLabel('Owner (a user name)').getAttribute('aria-invalid')).toBe('true');
    expect((await h.api('GET', '/v1/cases')).body.items).toEqual([]);

    await form.getByLabel('Owner (a user name)').fill('olga');
    await form.getByRole('button', { name: 'Create case' }).click();
    await page.waitForURL(/\/ui\/cases\/[0-9a-f-]{36}$/);
    const id = new URL(page.url()).pathname.split('/').at(-1)!;
    expect((await h.api('GET', `/v1/cases/${id}`)).body).toMatchObject({
      process: 'onboard',
      title: 'Sam joins',
      owner: 'olga',
      data: { name: 'Sam' },
    });
    await page.getByRole('heading', { level: 1, name: /Sam joins/ }).waitFor();
    await page.close();
  });

  it('is not offered to a builder, whom the API refuses to start cases', async () => {
    const builder = await keyWith(h, 'bella', ['builder']);
    const page = await signedIn(b, h, builder, '/ui/cases');
    await page.getByRole('heading', { level: 1, name: 'Cases' }).waitFor();
    expect(await page.getByText('New case', { exact: true }).count()).toBe(0);
    await page.close();
  });
});
