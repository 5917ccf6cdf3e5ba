// A builder imports a cURL line into a new action type in a real browser: a line for another host is
// read but leaves the path (and the connector) alone with a warning; the right one fills method, path,
// headers and body, names the credentials it left out without showing them, and only Save stores it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connector, startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('importing a cURL line into an action type', () => {
  let h: Harness;
  let b: Browser;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('fills the form from the line, warns of what it left out, and the saved action type holds no credential', async () => {
    const desk = await connector(h, { name: 'desk', baseUrl: `${h.mock.url}/api` });
    const page = await signedIn(b, h, await keyWith(h, 'bella', ['builder']), '/ui/action-types/new');
    await page.getByLabel('Name', { exact: true }).fill('open-ticket');
    await page.getByLabel('Connector').selectOption({ label: 'desk' });
    await page.getByText('Import cURL').click();
    const line = page.getByLabel('cURL command line');
    const summary = page.getByTestId('curl-summary');

    // Another host: the rest is filled, the path is the builder's to choose, the connector stays.
    await line.fill(`curl -X PUT 'https://elsewhere.example/api/things/7' -H 'X-Other: 1'`);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect
      .poll(() => summary.textContent())
      .toContain(`The URL https://elsewhere.example/api/things/7 does not match the connector's base URL ${h.mock.url}/api`);
    expect(await page.getByLabel('Path template').inputValue()).toBe('/');
    expect(await page.getByLabel('Method').inputValue()).toBe('PUT');
    expect(await page.getByLabel('Connector').inputValue()).toBe(desk);

    // An unclosed quote: said plainly, the form unchanged.
    await line.fill(`curl '${h.mock.url}/api/tickets -H 'X: 1'`);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'is never closed' }).waitFor();
    expect(await page.getByLabel('Method').inputValue()).toBe('PUT');

    await line.fill(`curl -X POST '${h.mock.url}/api/tickets?source=portal&api_key=QUERY-SECRET-9&code=OAUTH-CODE-3' \\
  -H 'Content-Type: application/json' \\
  -H 'Authorization: Bearer HEADER-SECRET-7' \\
  -H 'X-Tenant: acme' \\
  -b 'sid=COOKIE-SECRET-5' \\
  --compressed \\
  --data-raw '{
  "title": "{{ Title }}",
  "priority": 2
}'`);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect
      .poll(() => summary.textContent())
      .toContain('Filled method POST; path /tickets?source=portal; headers X-Tenant; body JSON.');
    const said = (await summary.textContent())!;
    expect(said).toContain('Left out: the cookies of -b, the query parameter api_key, the query parameter code, the Authorization header.');
    expect(said).toContain("Credentials belong in the connector's authentication");
    expect(said).toContain('Ignored, as they change nothing Callout sends: --compressed.');
    expect(await page.getByLabel('Method').inputValue()).toBe('POST');
    expect(await page.getByLabel('Path template').inputValue()).toBe('/tickets?source=portal');
    expect(await page.getByLabel('Header templates (one per line, Name: value)').inputValue()).toBe('X-Tenant: acme');
    expect(await page.getByLabel('Body format').inputValue()).toBe('json');
    expect(await page.getByLabel('Body template').inputValue()).toBe('{\n  "title": "{{ Title }}",\n  "priority": 2\n}');
    await page.getByTestId('parsed-fields').locator('tr[data-field="Title"]').waitFor();
    // The pasted line is not kept once read, and no secret of it is anywhere on the page.
    expect(await line.inputValue()).toBe('');
    const html = await page.content();
    for (const secret of ['QUERY-SECRET-9', 'OAUTH-CODE-3', 'HEADER-SECRET-7', 'COOKIE-SECRET-5']) expect(html).not.toContain(secret);
    await expectAccessible(page, 'action type with a cURL import');

    // Nothing is stored until the builder saves.
    expect((await h.api('GET', '/v1/action-types')).body.items).toEqual([]);
    await page.getByRole('button', { name: 'Create action type' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Action type open-ticket');

    const saved = (await h.api('GET', '/v1/action-types')).body.items;
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({
      connector: desk,
      method: 'POST',
      path: '/tickets?source=portal',
      headers: { 'X-Tenant': 'acme' },
      body: { format: 'json', template: '{\n  "title": "{{ Title }}",\n  "priority": 2\n}' },
    });
    expect(Object.keys(saved[0].parsedFields)).toEqual(['Title']);
    const stored = JSON.stringify(saved[0]);
    for (const secret of ['QUERY-SECRET-9', 'OAUTH-CODE-3', 'HEADER-SECRET-7', 'COOKIE-SECRET-5', 'api_key', 'code=', 'Authorization'])
      expect(stored).not.toContain(secret);
  });
});
