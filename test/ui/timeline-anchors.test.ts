// Each timeline entry (an attempt too) has a link of its own (#entry-<seq>): following it marks the
// entry, and opening that link in a fresh page (a colleague's) scrolls to the entry once the timeline
// has loaded, which the browser's own jump to the fragment cannot do (the entries load after the page).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('links to timeline entries', () => {
  let h: Harness;
  let b: Browser;
  let id: string;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    await connector(h);
    await actionType(h, { name: 'charge', path: '/reject' });
    id = (await launch(h, 'charge', {})).id;
    await h.waitFor(id, (a) => a.state === 'todo');
    // Enough entries after the attempt that it is far below the first screen.
    for (let i = 0; i < 40; i++) expect((await h.api('POST', `/v1/actions/${id}/notes`, { note: `note ${i}` })).status).toBe(200);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  const inView = (el: Element): boolean => {
    const r = el.getBoundingClientRect();
    return r.top >= 0 && r.bottom <= window.innerHeight;
  };

  it("an attempt's link marks it and, opened afresh, scrolls to it", async () => {
    const attempt = (await h.api('GET', `/v1/actions/${id}/timeline`)).body.items.find((e: { kind: string }) => e.kind === 'attempt');
    const anchor = `entry-${attempt.seq}`;
    const page = await signedIn(b, h, h.adminKey, `/ui/actions/${id}`);
    const entry = page.locator(`#${anchor}`);
    await entry.waitFor();
    expect(await entry.getAttribute('class')).toBe('kind-attempt');
    await entry.getByRole('link', { name: `Link to entry ${attempt.seq}` }).click();
    expect(new URL(page.url()).hash).toBe(`#${anchor}`);
    await expect.poll(() => entry.getAttribute('class')).toBe('kind-attempt target');
    await expectAccessible(page, 'action with a linked entry');

    // The link as a colleague opens it: a new page, the timeline loaded after it.
    await page.goto(`${h.url}/ui/work`);
    await page.goto(`${h.url}/ui/actions/${id}#${anchor}`);
    const again = page.locator(`#${anchor}`);
    await again.waitFor();
    await expect.poll(() => again.getAttribute('class')).toBe('kind-attempt target');
    await expect.poll(() => again.evaluate(inView)).toBe(true);
    // Only the linked entry is marked.
    expect(await page.locator('.timeline li.target').count()).toBe(1);
  });
});
