// Attack on a saved work view with `dueBefore` (the API takes it on GET /v1/actions and in /v1/views),
// opened in a real browser: the list shown must be the one its count counts. The work page read only
// the filters it knew, so the view listed every task while its count said how many were due.

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { hrTask, launchBrowser, olgaOnHr, signedIn, type Browser } from '../ui/browser.ts';

describe('a saved view of work due before a time, in the browser', () => {
  let h: Harness;
  let b: Browser;
  let olga: string;
  let caseId: string;
  const task = (title: string, dueAt?: string): Promise<string> => hrTask(h, caseId, title, dueAt);
  const rows = (page: Page) => page.locator('table.actions tbody tr[data-id]');

  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    ({ olga, caseId } = await olgaOnHr(h));
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('lists and counts only the work due before the time, shown as a filter that can be removed', async () => {
    const soon = await task('Sign the contract', '2030-01-01T09:00:00Z');
    await task('Book training', '2030-06-01T09:00:00Z');
    await task('Say hello');
    const query = `queue=hr&dueBefore=${encodeURIComponent('2030-02-01T00:00:00Z')}`;
    const view = await h.api('POST', '/v1/views', { name: 'Due in January', screen: 'work', query, shared: true });
    expect(view.status, JSON.stringify(view.body)).toBe(201);

    const page = await signedIn(b, h, olga, '/ui/work?queue=hr');
    await expect.poll(() => rows(page).count()).toBe(3);
    await page.getByRole('link', { name: /^Due in January/ }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('dueBefore')).toBe('2030-02-01T00:00:00Z');
    await expect.poll(() => rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')))).toEqual([soon]);
    // The state counts are of the same list: one in all.
    const counts = page.getByRole('navigation', { name: 'Counts by state' });
    await expect.poll(() => counts.getByRole('link', { name: /^All/ }).textContent()).toBe('All 1');
    // The filter is said, and removing it lists all three again.
    await page.getByRole('link', { name: /Remove filter due-before/ }).click();
    await expect.poll(() => rows(page).count()).toBe(3);
    await page.close();
  });

  it('the counts route takes dueBefore as the list does, and refuses one with no zone by name', async () => {
    const at = encodeURIComponent('2030-02-01T00:00:00Z');
    const r = await h.api('GET', `/v1/actions/counts?queue=hr&dueBefore=${at}`);
    expect([r.status, r.body.states?.todo]).toEqual([200, 1]);
    const bad = await h.api('GET', '/v1/actions/counts?dueBefore=2030-02-01T00:00:00');
    expect([bad.status, bad.body.errors?.map((e: { field: string }) => e.field)]).toEqual([422, ['dueBefore']]);
  });
});
