// Marking notifications read from a slow server or with a double click: one request, and the count
// said is the one that request marked (a second request marked none and said "Marked 0 read" over it).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { launchBrowser, olgaWithTasks, signedIn, type Browser } from './browser.ts';

describe('marking notifications read once', () => {
  let h: Harness;
  let b: Browser;
  let olgaKey: string;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    olgaKey = await olgaWithTasks(h, 3);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('sends Mark all read once for a double click and says how many it marked', async () => {
    const page = await signedIn(b, h, olgaKey, '/ui/notifications');
    const marks: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname.startsWith('/v1/notifications')) marks.push(r.url());
    });
    // A slow server: the answer waits, as a busy one's would.
    await page.route('**/v1/notifications/read', async (r) => {
      await new Promise((res) => setTimeout(res, 300));
      await r.continue();
    });
    await page.getByRole('button', { name: 'Mark all 3 read' }).dblclick();
    await expect.poll(() => page.getByRole('status').last().textContent()).toBe('Marked 3 read');
    await expect.poll(() => page.getByRole('button', { name: 'Mark read' }).count()).toBe(0);
    await new Promise((res) => setTimeout(res, 600));
    expect(marks).toHaveLength(1);
    expect(await page.getByRole('status').last().textContent()).toBe('Marked 3 read');
  });
  it('a notice replaced by a newer one about the same task while on screen: Mark read reads the list again, no error', async () => {
    // An outside review: the unread notice's id goes when a newer one about its task replaces it, and
    // Mark read on the row still shown answered 404 in the error box.
    const page = await signedIn(b, h, olgaKey, '/ui/notifications');
    await expect.poll(() => page.getByRole('button', { name: 'Mark read' }).count()).toBe(0);
    expect((await h.api('POST', '/v1/users', { name: 'pat' })).status).toBe(201);
    const task = (await h.api('GET', '/v1/actions?assignee=olga&limit=1')).body.items[0] as { id: string };
    expect((await h.api('POST', `/v1/actions/${task.id}/assign`, { assignee: 'pat' })).status).toBe(200);
    expect((await h.api('POST', `/v1/actions/${task.id}/assign`, { assignee: 'olga' })).status).toBe(200);
    await page.reload();
    // Told it was taken from her, then given it: two unread notices about it.
    const rows = page.locator('li[data-id]').filter({ has: page.getByRole('button', { name: 'Mark read' }) });
    await expect.poll(() => rows.count()).toBe(2);
    const shown = (await rows.first().getAttribute('data-id'))!;
    // Once more while the page shows it: a newer notice takes its place.
    expect((await h.api('POST', `/v1/actions/${task.id}/assign`, { assignee: 'pat' })).status).toBe(200);
    expect((await h.api('POST', `/v1/actions/${task.id}/assign`, { assignee: 'olga' })).status).toBe(200);
    await rows.first().getByRole('button', { name: 'Mark read' }).click();
    await expect.poll(() => page.getByRole('status').last().textContent()).toBe('A newer notice about it took its place');
    expect(await page.getByRole('alert').count()).toBe(0);
    // The list read again: the newer notices, unread, in their place.
    await expect.poll(() => page.locator(`li[data-id="${shown}"]`).count()).toBe(0);
    expect(await rows.count()).toBe(2);
  });
});
