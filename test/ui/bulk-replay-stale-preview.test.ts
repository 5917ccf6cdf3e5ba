// The bulk replay screen on a slow server: while a preview is being counted (another filter, or the
// same one counted again), the preview before it is not shown as its answer, and no Run is offered
// for it: Run would act on the new filter with the count and sample of the old one.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Route } from 'playwright-core';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { launchBrowser, signedIn, type Browser } from './browser.ts';

describe('bulk replay preview on a slow server', () => {
  let h: Harness;
  let b: Browser;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    await connector(h);
    await actionType(h, { name: 'create-ticket', path: '/reject', retry: { maxRetries: 0 } });
    await actionType(h, { name: 'send-letter', path: '/reject', retry: { maxRetries: 0 } });
    const all = [...(await Promise.all([1, 2, 3].map(() => launch(h, 'create-ticket')))), await launch(h, 'send-letter')];
    for (const a of all) await h.waitFor(a.id, (x) => x.state === 'todo');
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('shows Counting…, not the previous preview with Run…, until the new count answers', async () => {
    const page = await signedIn(b, h, h.adminKey, '/ui/replays?actionType=create-ticket&operation=retry');
    const count = page.getByTestId('preview-count');
    await expect.poll(() => count.textContent()).toBe('3 actions');

    // Dry runs held until released: the server is slow to count.
    const held: Route[] = [];
    await page.route('**/v1/bulk-replays', (r) => void held.push(r));
    const release = async (): Promise<void> => {
      await expect.poll(() => held.length).toBeGreaterThan(0);
      for (const r of held.splice(0)) await r.continue();
    };

    // The same filter counted again.
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect.poll(() => held.length).toBe(1);
    await page.getByText('Counting…').waitFor();
    expect(await count.count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Run…' }).count()).toBe(0);
    await release();
    await expect.poll(() => count.textContent()).toBe('3 actions');

    // Another filter.
    await page.getByLabel('Action type').fill('send-letter');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.waitForURL(/actionType=send-letter/);
    await expect.poll(() => held.length).toBe(1);
    await page.getByText('Counting…').waitFor();
    expect(await count.count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Run…' }).count()).toBe(0);
    await release();
    await expect.poll(() => count.textContent()).toBe('1 action');
    expect(await page.getByRole('button', { name: 'Run…' }).count()).toBe(1);
  });
});
