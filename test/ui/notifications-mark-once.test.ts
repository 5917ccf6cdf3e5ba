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
});
