// The case page's notes when they cannot be read, in a real browser: reading an action's notes fails
// (the server answers 500), and the page says so as an error instead of "No notes yet"; once reads
// work again, the next read of the (open) case shows the note and the error goes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, launchBrowser, signedIn, type Browser } from './browser.ts';

describe("a case's notes that could not be read", () => {
  let h: Harness;
  let b: Browser;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    expect((await h.api('POST', '/v1/queues', { name: 'hr' })).status).toBe(201);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('shows the failure as an error, not as "No notes yet", and the note once reads work again', async () => {
    const caseId = (await h.api('POST', '/v1/cases', { title: 'Desk for Jane', queue: 'hr' })).body.id as string;
    const task = await h.api('POST', `/v1/cases/${caseId}/tasks`, { title: 'Order the chair' });
    expect(task.status).toBe(201);
    expect((await h.api('POST', `/v1/actions/${task.body.id}/notes`, { note: 'Chair ordered from the usual supplier' })).status).toBe(200);

    await b.context.clearCookies();
    const page = await signedIn(b, h, h.adminKey, '/ui/work');
    const failing = (u: URL): boolean => u.pathname.endsWith('/timeline') && u.searchParams.get('kind') === 'message';
    await page.route(failing, (r) =>
      r.fulfill({
        status: 500,
        contentType: 'application/problem+json',
        body: JSON.stringify({ title: 'Internal error', detail: 'The store did not answer', status: 500 }),
      }),
    );
    await page.goto(`${h.url}/ui/cases/${caseId}`);
    const failed = page.getByTestId('notes-failed');
    await expect.poll(() => failed.textContent()).toContain('Notes could not be read for one action: The store did not answer');
    await page.locator('section.task', { hasText: 'Order the chair' }).waitFor();
    expect(await page.getByText('No notes yet.').count()).toBe(0);
    await expectAccessible(page, 'case-notes-failed');

    // Reads work again: the case is read every 3 s while open, and its notes with it.
    await page.unroute(failing);
    const notes = page.locator('ul.notes li');
    await expect.poll(() => notes.first().textContent(), { timeout: 10_000 }).toContain('Chair ordered from the usual supplier');
    expect(await failed.count()).toBe(0);
  });
});
