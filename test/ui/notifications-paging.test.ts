// Notifications page by page: more than a page of them shows the newest page, says there are older
// ones and pages to them with "Older" (the API's `next`, kept in the URL so a reload stays put), and
// "Mark all read" counts and marks the unread ones on every page, not only the ones on screen.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, launchBrowser, olgaWithTasks, signedIn, type Browser } from './browser.ts';

const TASKS = 55;

describe('notifications paging', () => {
  let h: Harness;
  let b: Browser;
  let olgaKey: string;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    // Each task given to Olga by someone else tells her: one notification each.
    olgaKey = await olgaWithTasks(h, TASKS);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  const unreadCount = async (): Promise<number> =>
    (await h.api('GET', '/v1/notifications?unread=true', undefined, { authorization: `Bearer ${olgaKey}` })).body.items.length;

  it('pages to older ones with Older, says more exist, and marks all of them read', async () => {
    expect(await unreadCount()).toBe(TASKS);
    const all = (await h.api('GET', '/v1/notifications', undefined, { authorization: `Bearer ${olgaKey}` })).body.items as Array<{
      id: number;
    }>;
    const ids = all.map((n) => String(n.id));
    const page = await signedIn(b, h, olgaKey, '/ui/notifications');
    const rows = page.locator('ul.timeline > li');
    await expect.poll(() => rows.count()).toBe(50);
    expect(await rows.first().getAttribute('data-id')).toBe(ids[0]);
    expect(await rows.last().getAttribute('data-id')).toBe(ids[49]);
    expect(await page.getByTestId('notifications-shown').textContent()).toMatch(/older ones/);
    // Counted over every page, not the 50 on screen.
    await page.getByRole('button', { name: `Mark all ${TASKS} read` }).waitFor();
    await expectAccessible(page, 'notifications');

    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Older' }).click();
    await page.waitForURL(/before=/);
    await expect.poll(() => rows.count()).toBe(TASKS - 50);
    expect(await rows.first().getAttribute('data-id')).toBe(ids[50]);
    expect(await rows.last().getAttribute('data-id')).toBe(ids[TASKS - 1]);
    // The page is in the address: a reload shows the same older ones.
    await page.reload();
    await expect.poll(() => rows.count()).toBe(TASKS - 50);
    expect(await page.getByTestId('notifications-shown').textContent()).toContain('down to the first');
    await expectAccessible(page, 'notifications-older');

    // From an older page, Mark all read marks the newer pages' ones too.
    await page.getByRole('button', { name: `Mark all ${TASKS} read` }).click();
    await expect.poll(unreadCount).toBe(0);
    await expect.poll(() => page.getByRole('button', { name: 'Mark read' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Newest' }).click();
    await expect.poll(() => rows.count()).toBe(50);
    await expect.poll(() => page.getByRole('button', { name: 'Mark read' }).count()).toBe(0);
  });
});
