// A builder sets up a queue in a real browser: its description and its integration with an external
// provider (SPEC 7: the connector and the four action types it launches), chosen from the connectors
// and action types that exist, edited and removed again; a value the server refuses is shown beside
// the field it names and changes nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('the queues screen', () => {
  let h: Harness;
  let b: Browser;
  let key: string;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    h = await startHarness({ start: false });
    b = await launchBrowser();
    key = await keyWith(h, 'bella', ['builder']);
    for (const name of ['alice', 'bob']) expect((await h.api('POST', '/v1/users', { name })).status).toBe(201);
    ids.vendor = await connector(h);
    ids.other = await connector(h, { name: 'other' });
    for (const t of ['vendor-submit', 'vendor-update', 'vendor-close', 'vendor-reject'])
      ids[t] = await actionType(h, { name: t, path: `/${t}` });
    ids['other-submit'] = await actionType(h, { name: 'other-submit', connector: 'other', path: '/other' });
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('creates a queue with a description and an integration, edits both, then removes the integration', async () => {
    const page = await signedIn(b, h, key, '/ui/queues');
    const form = page.getByRole('form', { name: 'New queue' });
    await form.getByLabel('Name').fill('provider-desk');
    await form.getByLabel('Description').fill('Hardware repairs');
    await form.getByLabel('Members').fill('alice');
    await form.getByLabel('Connector').selectOption({ label: 'vendor' });
    // Only the chosen connector's action types are offered.
    await expect
      .poll(() => form.getByLabel('New assignment').locator('option').allTextContents())
      .toEqual(['Choose an action type', 'vendor-close', 'vendor-reject', 'vendor-submit', 'vendor-update']);
    await form.getByLabel('New assignment').selectOption({ label: 'vendor-submit' });
    await form.getByLabel('Closure').selectOption({ label: 'vendor-close' });
    await form.getByRole('button', { name: 'Create queue' }).click();
    await page.getByRole('status').filter({ hasText: 'Created provider-desk.' }).waitFor();
    let q = (await h.api('GET', '/v1/queues/provider-desk')).body;
    expect(q).toMatchObject({
      description: 'Hardware repairs',
      members: ['alice'],
      integration: {
        connector: ids.vendor,
        onAssign: ids['vendor-submit'],
        onUpdate: null,
        onClose: ids['vendor-close'],
        onResolutionRejected: null,
      },
    });
    // The list says which queues are integrated, and with what.
    const row = page.locator('tr[data-queue="provider-desk"]');
    await expect.poll(() => row.getByTestId('integration').innerText()).toContain('Integrated with vendor');
    const summary = await row.getByTestId('integration').innerText();
    expect(summary).toContain('New assignment: vendor-submit');
    expect(summary).toContain('Closure: vendor-close');
    expect(summary).not.toContain('Update');
    expect(await row.innerText()).toContain('Hardware repairs');
    await expectAccessible(page, 'queues');

    await row.getByRole('link', { name: 'provider-desk' }).click();
    await page.getByRole('heading', { name: 'Queue provider-desk' }).waitFor();
    await expect.poll(() => page.getByLabel('Description').inputValue()).toBe('Hardware repairs');
    await page.getByLabel('Description').fill('Hardware and phones');
    await page.getByLabel('Update', { exact: true }).selectOption({ label: 'vendor-update' });
    await page.getByLabel('Closure').selectOption({ label: 'None' });
    await page.getByLabel('Resolution rejection').selectOption({ label: 'vendor-reject' });
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Saved provider-desk.' }).waitFor();
    q = (await h.api('GET', '/v1/queues/provider-desk')).body;
    expect(q).toMatchObject({
      description: 'Hardware and phones',
      revision: 2,
      integration: {
        connector: ids.vendor,
        onAssign: ids['vendor-submit'],
        onUpdate: ids['vendor-update'],
        onClose: null,
        onResolutionRejected: ids['vendor-reject'],
      },
    });
    await expectAccessible(page, 'queue');

    // An emptied description and "Not integrated" remove them; the rest stays.
    await page.getByLabel('Description').fill('');
    await page.getByLabel('Connector').selectOption({ label: 'Not integrated' });
    expect(await page.getByLabel('New assignment').count()).toBe(0);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Saved provider-desk.' }).waitFor();
    await expect.poll(async () => (await h.api('GET', '/v1/queues/provider-desk')).body.revision).toBe(3);
    q = (await h.api('GET', '/v1/queues/provider-desk')).body;
    expect([q.description, q.integration, q.members, q.allocation]).toEqual([null, null, ['alice'], 'none']);

    await page.getByRole('link', { name: 'Queues' }).first().click();
    await expect.poll(() => page.locator('tr[data-queue="provider-desk"]').getByTestId('integration').innerText()).toBe('Not integrated');
    await page.close();
  });

  it('a value the server refuses is shown beside the field it names, and nothing changes', async () => {
    // Integrated through the API, naming the connector and action type by name: the form shows them chosen.
    const made = await h.api('POST', '/v1/queues', {
      name: 'front-desk',
      description: 'Walk-ins',
      members: ['bob'],
      integration: { connector: 'vendor', onAssign: 'vendor-submit' },
    });
    expect(made.status).toBe(201);
    const page = await signedIn(b, h, key, '/ui/queues/front-desk');
    await expect.poll(() => page.getByLabel('New assignment').inputValue()).toBe(ids['vendor-submit']);
    expect(await page.getByLabel('Connector').inputValue()).toBe(ids.vendor);

    const tooLong = 'x'.repeat(2001);
    await page.getByLabel('Description').fill(tooLong);
    await page.getByLabel('Members').fill('alice, bob');
    await page.getByLabel('Update', { exact: true }).selectOption({ label: 'vendor-update' });
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    // Beside the field, which is described by its hint and by the problem; under the form only that it was not saved.
    expect(await page.locator('#q-description-error').innerText()).toBe('Description must NOT have more than 2000 characters');
    expect(await page.getByLabel('Description').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Description').getAttribute('aria-describedby')).toBe('q-description-hint q-description-error');
    expect(await alert.innerText()).toBe('Invalid input Not saved: see the fields marked above.');
    expect(await page.getByLabel('Members').getAttribute('aria-invalid')).toBeNull();
    expect(await page.getByLabel('Members').getAttribute('aria-describedby')).toBe('q-members-hint');
    await expectAccessible(page, 'queue-refused');
    expect(await page.getByRole('status').filter({ hasText: 'Saved' }).count()).toBe(0);
    // What was typed stays to be corrected; the stored queue is as it was.
    expect(await page.getByLabel('Description').inputValue()).toBe(tooLong);
    expect((await h.api('GET', '/v1/queues/front-desk')).body).toEqual(made.body);

    // A new queue the server refuses (a member who is not a user) is not created.
    await page.getByRole('link', { name: 'Queues' }).first().click();
    const form = page.getByRole('form', { name: 'New queue' });
    await form.getByLabel('Name').fill('night-desk');
    await form.getByLabel('Description').fill('After hours');
    await form.getByLabel('Members').fill('nobody');
    await form.getByLabel('Connector').selectOption({ label: 'other' });
    await form.getByLabel('New assignment').selectOption({ label: 'other-submit' });
    await form.getByRole('button', { name: 'Create queue' }).click();
    await expect.poll(() => form.locator('#q-members-error').textContent()).toBe('Member 1: no user "nobody" exists');
    expect(await form.getByLabel('Members').getAttribute('aria-invalid')).toBe('true');
    expect(await form.getByLabel('Members').getAttribute('aria-describedby')).toBe('q-members-hint q-members-error');
    expect(await form.getByLabel('Description').getAttribute('aria-invalid')).toBeNull();
    expect(await page.getByRole('alert').innerText()).not.toContain('nobody');
    expect((await h.api('GET', '/v1/queues/night-desk')).status).toBe(404);
    expect(await form.getByLabel('Name').inputValue()).toBe('night-desk');
    await page.close();
  });

  it('after its connector and action type are renamed, an integrated queue shows their new names and still saves', async () => {
    await connector(h, { name: 'acme' });
    await actionType(h, { name: 'acme-submit', connector: 'acme', path: '/acme' });
    const made = await h.api('POST', '/v1/queues', { name: 'acme-desk', integration: { connector: 'acme', onAssign: 'acme-submit' } });
    expect(made.status).toBe(201);
    expect((await h.api('PATCH', '/v1/connectors/acme', { name: 'acme-2' })).status).toBe(200);
    expect((await h.api('PATCH', '/v1/action-types/acme-submit', { name: 'acme-submit-2' })).status).toBe(200);

    const page = await signedIn(b, h, key, '/ui/queues');
    const row = page.locator('tr[data-queue="acme-desk"]');
    await expect.poll(() => row.getByTestId('integration').innerText()).toContain('Integrated with acme-2');
    // The connectors and the action types are read apart: each name shows once its list is read.
    await expect.poll(() => row.getByTestId('integration').innerText()).toContain('New assignment: acme-submit-2');
    await row.getByRole('link', { name: 'acme-desk' }).click();
    await page.getByRole('heading', { name: 'Queue acme-desk' }).waitFor();
    const chosen = (label: string) => page.getByLabel(label, { exact: true }).locator('option:checked').innerText();
    await expect.poll(() => chosen('Connector')).toBe('acme-2');
    expect(await chosen('New assignment')).toBe('acme-submit-2');
    await page.getByLabel('Description').fill('Acme repairs');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Saved acme-desk.' }).waitFor();
    expect((await h.api('GET', '/v1/queues/acme-desk')).body).toMatchObject({
      description: 'Acme repairs',
      integration: { connector: made.body.integration.connector, onAssign: made.body.integration.onAssign },
    });
    await page.close();
  });
});
