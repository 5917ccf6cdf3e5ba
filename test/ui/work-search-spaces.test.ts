// Work search with an action type whose name has spaces: the box writes it quoted and the search
// reads it whole; a search that fails shows its error once and no rows from the search before.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { launchBrowser, signedIn, type Browser } from './browser.ts';

describe('work search with spaces in names', () => {
  let h: Harness;
  let b: Browser;
  let id: string;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    await connector(h);
    await actionType(h, { name: 'send letter', path: '/reject' });
    id = (await launch(h, 'send letter')).id;
    await h.waitFor(id, (a) => a.state === 'todo');
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  const rows = (page: import('playwright-core').Page) => page.locator('table.actions tbody tr');

  it('keeps a quoted name whole, and a failed search shows one error and no stale rows', async () => {
    const page = await signedIn(b, h, h.adminKey, '/ui/work?actionType=send+letter');
    await expect.poll(() => rows(page).count()).toBe(1);
    expect(await page.getByLabel('Search').inputValue()).toBe('type:"send letter"');
    await page.getByLabel('Search').fill('type:"send letter" state:todo');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('state')).toBe('todo');
    expect(new URL(page.url()).searchParams.get('actionType')).toBe('send letter');
    expect(new URL(page.url()).searchParams.get('q')).toBeNull();
    await expect.poll(() => rows(page).count()).toBe(1);
    expect(await page.getByRole('alert').count()).toBe(0);

    await page.getByLabel('Search').fill('type:nosuch');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('alert').first().waitFor();
    await page.waitForTimeout(500);
    expect(await rows(page).count()).toBe(0);
    expect(await page.getByRole('alert').count()).toBe(1);
    const text = (await page.getByRole('alert').textContent()) ?? '';
    expect(text.split('nosuch').length - 1).toBe(1);
    await page.close();
  });
});
