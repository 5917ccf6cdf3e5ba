// The work list's "+N new" banner is heard, not only seen: it appears inside a polite live region that
// was on the page before it (a region added together with its text is often not read out), while the
// rows, refreshed in place as actions move, are in no live region at all.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, launchBrowser, signedIn, type Browser } from './browser.ts';

const LIVE = '[role=status], [role=alert], [role=log], [aria-live=polite], [aria-live=assertive]';

describe('the "+N new" banner for screen readers', () => {
  let h: Harness;
  let b: Browser;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    await connector(h);
    await actionType(h, { name: 'open-ticket', path: '/ok' });
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('is announced politely by a region that was already there, and the rows are not', async () => {
    const first = await launch(h, 'open-ticket');
    const page = await signedIn(b, h, h.adminKey, '/ui/work');
    await page.locator(`tr[data-id="${first.id}"]`).waitFor();
    // Mark the live regions the page has before anything new arrives.
    await page.evaluate((sel) => document.querySelectorAll<HTMLElement>(`main :is(${sel})`).forEach((e) => (e.dataset.before = '1')), LIVE);

    await launch(h, 'open-ticket');
    const banner = page.getByRole('button', { name: /new — show/ });
    await expect.poll(() => banner.textContent(), { timeout: 8000 }).toContain('+1 new');
    const region = await banner.evaluate((el, sel) => {
      const r = el.closest<HTMLElement>(sel);
      return r && { before: r.dataset.before ?? null, live: r.getAttribute('aria-live'), role: r.getAttribute('role') };
    }, LIVE);
    expect(region).not.toBeNull();
    expect(region!.before).toBe('1');
    expect(region!.live === 'polite' || (region!.live === null && region!.role === 'status')).toBe(true);
    // The list itself is not read out on every refresh.
    expect(await page.locator('table.actions').evaluate((el, sel) => el.closest(sel) === null, LIVE)).toBe(true);
    await expectAccessible(page, 'work-new-banner');

    await banner.click();
    await expect.poll(() => page.locator('table.actions tbody tr').count()).toBe(2);
    expect(await banner.count()).toBe(0);
  });
});
