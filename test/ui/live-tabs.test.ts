// Many tabs of one browser: they share one live stream (a browser opens at most 6 HTTP/1.1
// connections to a host, so a stream per tab left the seventh tab unable to load), the tabs that do
// not hold it still hear every change, and closing the tab that holds it hands it to another. A tab
// whose session ended while it held the stream signs out and hands it on, so a tab signed in again hears.

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { launchBrowser, signedIn, type Browser } from './browser.ts';

describe('live updates across many tabs', () => {
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

  const banner = (p: Page) => p.getByRole('button', { name: /new — show/ });

  it('nine tabs all load, and all hear a launch, also after the stream holder closes', async () => {
    const first = await signedIn(b, h, h.adminKey, '/ui/work');
    await first.getByText('No actions match these filters.').waitFor();
    const tabs: Page[] = [first];
    for (let i = 2; i <= 9; i++) {
      const p = await b.context.newPage();
      await p.goto(`${h.url}/ui/work`);
      // Well under the default timeout: a tab that waits for a free connection never gets here.
      await p.getByText('No actions match these filters.').waitFor({ timeout: 8000 });
      tabs.push(p);
    }
    await launch(h, 'open-ticket');
    for (const p of tabs) await expect.poll(() => banner(p).textContent(), { timeout: 8000 }).toContain('+1 new');

    // The first tab took the stream; without it, another tab opens it and the rest still hear.
    await first.close();
    await launch(h, 'open-ticket');
    for (const p of tabs.slice(1)) await expect.poll(() => banner(p).textContent(), { timeout: 8000 }).toContain('+2 new');
  });

  it('a sign-out in one tab signs out the tab that held the stream, and a sign-in again hears changes', async () => {
    for (const p of b.context.pages()) await p.close();
    // The holder shows one action's card: a screen that asks the server nothing until the feed says something changed.
    const shown = await launch(h, 'open-ticket');
    // Closed before the card opens: a change to it would make the holder read again, and be refused.
    await h.waitFor(shown.id, (a) => a.state === 'closed');
    const holder = await signedIn(b, h, h.adminKey, `/ui/actions/${shown.id}`);
    await holder.getByRole('region', { name: 'Timeline' }).waitFor();
    // The card reads again once, a second after its stream opens; after that it asks nothing on its own.
    await expect
      .poll(() => holder.evaluate(() => performance.getEntriesByType('resource').some((e) => e.name.includes('/timeline?after='))))
      .toBe(true);
    await expect.poll(() => holder.evaluate(async () => (await navigator.locks.query()).held?.length ?? 0)).toBe(1);
    const other = await b.context.newPage();
    await other.goto(`${h.url}/ui/work`);
    await other.getByRole('heading', { name: 'Work' }).waitFor();
    await other.getByRole('button', { name: 'Sign out' }).click();
    await other.getByRole('heading', { name: 'Sign in to Callout' }).waitFor();

    // The server ends the holder's feed; its session is gone, so it shows the sign-in form too.
    await holder.getByRole('heading', { name: 'Sign in to Callout' }).waitFor({ timeout: 15_000 });

    // Signed in again in the other tab, which now opens the stream and hears a launch.
    await other.getByLabel('API key').fill(h.adminKey);
    await other.getByRole('button', { name: 'Sign in' }).click();
    // The list read before the launch (on a loaded machine the heading came first and the list's read after
    // the launch, which then showed the new action as a row: nothing new to announce).
    await other.locator(`table.actions tr[data-id="${shown.id}"]`).waitFor();
    await launch(h, 'open-ticket');
    await expect.poll(() => banner(other).textContent(), { timeout: 10_000 }).toContain('+1 new');
  });
});
