// Due times on the work list in a real browser: a Due column that says "Overdue" in words, an
// "Overdue" quick view, and the card beside the list setting and clearing a task's due time in the
// zone the person chose to see times in (Asia/Tokyo here, not the browser's).

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, hrTask, launchBrowser, olgaOnHr, signedIn, type Browser } from './browser.ts';

describe('task due times on the work list', () => {
  let h: Harness;
  let b: Browser;
  let olga: string;
  let caseId: string;
  const task = (title: string, dueAt?: string): Promise<string> => hrTask(h, caseId, title, dueAt);
  const row = (page: Page, id: string) => page.locator(`table.actions tr[data-id="${id}"]`);

  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    ({ olga, caseId } = await olgaOnHr(h));
    await b.context.addInitScript(() => localStorage.setItem('callout.timeZone', 'Asia/Tokyo'));
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('shows Due with an Overdue word, offers an Overdue view, and sets and clears a due time in the chosen zone', async () => {
    const late = await task('Return the laptop', new Date(Date.now() - 3_600_000).toISOString());
    const later = await task('Book training', '2030-06-01T09:00:00Z');
    const none = await task('Say hello');
    const page = await signedIn(b, h, olga, '/ui/work?queue=hr');
    await row(page, late).waitFor();
    expect(await row(page, late).getByTestId('due').textContent()).toMatch(/^Overdue: /);
    expect(await row(page, later).getByTestId('due').textContent()).not.toMatch(/Overdue/);
    expect(await row(page, none).getByTestId('due').count()).toBe(0);

    const quick = page.getByRole('navigation', { name: 'Whose work' }).getByRole('list', { name: 'Quick views' });
    await expect.poll(() => quick.getByRole('link', { name: /^Overdue/ }).textContent()).toBe('Overdue 1');
    await quick.getByRole('link', { name: /^Overdue/ }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('due')).toBe('overdue');
    await expect.poll(() => page.locator('table.actions tbody tr').count()).toBe(1);
    await row(page, late).waitFor();
    await expectAccessible(page, 'work, overdue');

    await page.goto(`${h.url}/ui/work?queue=hr&selected=${none}`);
    const pane = page.getByTestId('pane');
    // 10:30 in Tokyo (UTC+9) is 01:30 UTC.
    await pane.getByLabel('Due (Asia/Tokyo)').fill('2030-01-02T10:30');
    await pane.getByRole('button', { name: 'Set due' }).click();
    await expect.poll(async () => (await h.api('GET', `/v1/actions/${none}`)).body.dueAt).toBe('2030-01-02T01:30:00.000Z');
    await expect.poll(() => row(page, none).getByTestId('due').count()).toBe(1);
    await pane.getByText(/Due date set to .+ by olga/).waitFor();
    expect(await pane.getByLabel('Due (Asia/Tokyo)').inputValue()).toBe('2030-01-02T10:30');
    await expectAccessible(page, 'work with a task card and its due time');

    await pane.getByRole('button', { name: 'Clear due' }).click();
    await expect.poll(async () => (await h.api('GET', `/v1/actions/${none}`)).body.dueAt).toBeNull();
    await pane.getByText(/Due date cleared by olga/).waitFor();
    await page.close();
  });

  it('sorts by the Due column: only work with a due time, the earliest first, kept across a search', async () => {
    const c = (await h.api('POST', '/v1/cases', { title: 'Sorting' })).body.id as string;
    const at = (hours: number): string => new Date(Date.now() + hours * 3_600_000).toISOString();
    const add = async (title: string, dueAt?: string) =>
      (await h.api('POST', `/v1/cases/${c}/tasks`, { title, queue: 'hr', ...(dueAt ? { dueAt } : {}) })).body.id as string;
    const late = await add('Sort late', at(48));
    const early = await add('Sort early', at(1));
    await add('Sort none');
    const page = await signedIn(b, h, olga, `/ui/work?caseId=${c}`);
    await row(page, early).waitFor();
    await page.getByRole('link', { name: 'Due: sort by due time, earliest first' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('sort')).toBe('due');
    const order = () => page.locator('table.actions tbody tr').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-id')));
    await expect.poll(order).toEqual([early, late]);
    expect(await page.locator('th[aria-sort="ascending"]').textContent()).toContain('Due');
    // A search keeps the order.
    await page.getByLabel('Search').fill(`case:${c} Sort`);
    await page.getByLabel('Search').press('Enter');
    await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe('Sort');
    expect(new URL(page.url()).searchParams.get('sort')).toBe('due');
    await expect.poll(order).toEqual([early, late]);
    // Newest first again from the column.
    await page.getByRole('link', { name: /sort newest first instead/ }).click();
    await expect.poll(() => page.locator('table.actions tbody tr').count()).toBe(3);
    expect(new URL(page.url()).searchParams.get('sort')).toBeNull();
    await page.close();
  });
});
