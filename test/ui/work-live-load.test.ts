// An idle work list while the engine is busy: the live feed says `overflow` (more changes than it
// lists) every half second. The page must read its rows again with one list call every few seconds,
// not one request per shown row per message, and its counts one at a time and more slowly.

import type { Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { launchBrowser, signedIn, type Browser } from './browser.ts';

const OVERFLOW = `event: actions\ndata: ${JSON.stringify({ changes: [], overflow: true, newestId: null })}\n\n`;

describe('work list under overflow', () => {
  let h: Harness;
  let b: Browser;
  const ids: string[] = [];
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    await connector(h);
    await actionType(h, { name: 'charge', path: '/reject' });
    for (let i = 0; i < 8; i++) ids.push((await launch(h, 'charge')).id);
    for (const id of ids) await h.waitFor(id, (a) => a.state === 'todo');
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('refetches the shown page with one list call every few seconds, and the counts slowly', async () => {
    // A busy engine's feed, as the page sees it: overflow twice a second, the stream reopened 200 ms after each pair.
    await b.context.route('**/v1/events', (route) =>
      route.fulfill({ status: 200, contentType: 'text/event-stream', body: `retry: 200\n\n${OVERFLOW}${OVERFLOW}` }),
    );
    const page = await signedIn(b, h, h.adminKey, '/ui/work');
    await expect.poll(() => page.locator('table.actions tbody tr').count()).toBe(8);
    const seen: Record<string, number> = { row: 0, list: 0, counts: 0 };
    const count = (r: Request): void => {
      const path = new URL(r.url()).pathname;
      if (path === '/v1/actions') seen.list!++;
      else if (path === '/v1/actions/counts') seen.counts!++;
      else if (/^\/v1\/actions\/[0-9a-f-]{36}$/.test(path)) seen.row!++;
    };
    page.on('request', count);
    const t0 = Date.now();
    // A change the feed did not list still shows: the page is read again.
    expect((await h.api('POST', `/v1/actions/${ids[3]}/pick-up`, {})).status).toBe(200);
    await expect
      .poll(() => page.locator(`tr[data-id="${ids[3]}"] [data-testid=state]`).textContent(), { timeout: 8000 })
      .toMatch(/^In Progress/);
    await page.waitForTimeout(6000);
    page.off('request', count);
    const secs = (Date.now() - t0) / 1000;
    expect(seen.row).toBe(0);
    expect(seen.list).toBeLessThanOrEqual(Math.ceil(secs / 3) + 1);
    expect(seen.counts).toBeLessThanOrEqual(Math.ceil(secs / 5) + 1);
    expect(seen.list).toBeGreaterThan(0);
    await page.close();
    await b.context.unroute('**/v1/events');
  });
});
