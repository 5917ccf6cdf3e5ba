// A builder in a real browser: creates a connector and an action type, watches the fields appear
// as the template is typed, tests it (the rendered request) and launches an action that closes live.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('the builder screens', () => {
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

  it('a builder creates a connector and an action type, sees the fields appear as they type, tests it and launches an action', async () => {
    const page = await signedIn(b, h, await keyWith(h, 'bella', ['builder']));

    await page.getByRole('link', { name: 'Connectors' }).click();
    await page.getByRole('link', { name: 'New connector' }).click();
    await page.getByLabel('Name', { exact: true }).fill('crm');
    await page.getByLabel('Base URL').fill(h.mock.url);
    // Offered in words, sent as the API's word.
    expect(await page.getByLabel('Authentication').locator('option[value="bearer"]').textContent()).toBe('Bearer token');
    await page.getByLabel('Authentication').selectOption('bearer');
    await page.getByLabel('token (secret)').fill('crm-secret-token-123');
    // Every time the page changes, what the secret box holds under the heading of the saved connector: a form
    // reset after the render would show the typed secret under the new heading for a frame.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seenUnderSaved: string[] }).seenUnderSaved = seen;
      new MutationObserver(() => {
        if (document.querySelector('h1')?.textContent !== 'Connector crm') return;
        seen.push((document.getElementById('c-auth-token') as HTMLInputElement | null)?.value ?? 'no box');
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await page.getByRole('button', { name: 'Create connector' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Connector crm');
    const seen = await page.evaluate(() => (window as unknown as { seenUnderSaved: string[] }).seenUnderSaved);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((v) => v !== '')).toEqual([]);
    // The secret is write-only: the form says it is set and never shows it.
    expect(await page.getByLabel('token (secret)').inputValue()).toBe('');
    await page.getByText('Set. Write-only: leave empty to keep it.').waitFor();
    expect(await page.content()).not.toContain('crm-secret-token-123');
    await page.getByRole('button', { name: 'Test connection' }).click();
    // Two lines a person reads, not the answer's JSON.
    await expect
      .poll(() => page.getByTestId('test-reachable').textContent())
      .toMatch(/^Yes: 127\.0\.0\.1:\d+ answered HTTP \d+, in \d+ ms$/);
    expect(await page.getByTestId('test-authentication').textContent()).toMatch(/^Yes: the credentials were not refused/);

    await page.getByRole('link', { name: 'Action types' }).click();
    await page.getByRole('link', { name: 'New action type' }).click();
    await page.getByLabel('Name', { exact: true }).fill('open-ticket');
    await page.getByLabel('Connector').selectOption({ label: 'crm' });
    await page.getByLabel('Path template').fill('/ok');
    const body = page.getByLabel('Body template');
    await body.fill('');
    const fields = page.getByTestId('parsed-fields');
    // Typed key by key: each token shows up as a field once it is closed.
    await body.pressSequentially('{"title": "{{ Title }}"}', { delay: 5 });
    await fields.locator('tr[data-field="Title"]').waitFor();
    expect(await fields.locator('tr[data-field="Priority"]').count()).toBe(0);
    await body.press('End');
    await body.press('ArrowLeft');
    await body.pressSequentially(', "priority": "{{ Priority }}"', { delay: 5 });
    await fields.locator('tr[data-field="Priority"]').waitFor();
    await page.getByLabel('Type of Priority').selectOption('integer');
    await expect.poll(() => page.getByTestId('schema').textContent()).toContain('"type": "integer"');
    await page.getByRole('button', { name: 'Create action type' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Action type open-ticket');

    await page.getByLabel('Title (string)').fill('Printer jammed');
    await page.getByLabel('Priority (integer)').fill('2');
    await page.getByRole('button', { name: 'Render request' }).click();
    const rendered = page.getByTestId('test-result');
    await expect.poll(() => rendered.textContent()).toContain('{"title":"Printer jammed","priority":2}');
    expect(await rendered.textContent()).toContain('(rendered, not sent)');
    expect(await rendered.textContent()).not.toContain('crm-secret-token-123');

    await page.getByRole('button', { name: 'Launch action' }).click();
    await page.getByRole('link', { name: 'open the action' }).click();
    await expect.poll(() => page.getByTestId('state').first().textContent()).toBe('Closed – Done Successfully');
    const stored = await h.api('GET', '/v1/actions?actionType=open-ticket');
    expect(stored.body.items).toHaveLength(1);
    expect(stored.body.items[0].input).toEqual({ Title: 'Printer jammed', Priority: 2 });
  });
});
