// An action whose timeline is longer than one page (1,000 entries): the card and the case page's
// notes follow `next`, so the newest entries (the closing state change, the last note) show. The card
// reads the newest page first and older ones on request, up to ten thousand (it once showed the oldest,
// never the action's end, then waited for ten pages before showing anything).

import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { launchBrowser, signedIn, type Browser } from './browser.ts';

describe('a timeline past its first page', () => {
  let h: Harness;
  let b: Browser;
  let id: string;
  let caseId: string;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    await connector(h);
    await actionType(h, { name: 'charge', path: '/reject' });
    caseId = (await h.api('POST', '/v1/cases', { title: 'Chatty', data: {} })).body.id;
    id = (await launch(h, 'charge', {}, { caseId })).id;
    await h.waitFor(id, (a) => a.state === 'todo');
    for (let i = 0; i < 1010; i++) expect((await h.api('POST', `/v1/actions/${id}/notes`, { note: `note ${i}` })).status).toBe(200);
    expect((await h.api('POST', `/v1/actions/${id}/pick-up`, {})).status).toBe(200);
    const done = await h.api('POST', `/v1/actions/${id}/complete`, { resolution: 'not_done_successfully', note: 'the final word' });
    expect(done.status).toBe(200);
    expect((await h.api('GET', `/v1/actions/${id}/timeline`)).body.next).not.toBeNull();
  }, 120_000);
  // Heartbeats written straight to the file (through the API thousands would take minutes).
  const beats = (action: string, n: number): void => {
    const db = new Database(join(h.dataDir, 'callout.db'));
    try {
      db.pragma('busy_timeout = 5000');
      const insert = db.prepare("INSERT INTO timeline (action_id, at, actor, kind, message) VALUES (?, ?, 'system', 'heartbeat', ?)");
      db.transaction(() => {
        for (let i = 0; i < n; i++) insert.run(action, Date.now(), `beat ${i}`);
      })();
    } finally {
      db.close();
    }
  };
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('the card shows the newest entries and the case page the last note', async () => {
    const page = await signedIn(b, h, h.adminKey, `/ui/actions/${id}`);
    const timeline = page.getByRole('region', { name: 'Timeline' });
    await timeline.getByText('the final word').waitFor();
    await timeline.getByText('note 1009').waitFor();
    // The newest page first; the first notes are a click away.
    expect(await timeline.getByText(/ note 0$/).count()).toBe(0);
    await page.getByRole('button', { name: 'Show 1,000 older entries' }).click();
    await timeline.getByText(/ note 0$/).waitFor();
    expect(await page.getByTestId('timeline-older').count()).toBe(0);
    expect(await page.getByTestId('timeline-more').count()).toBe(0);

    await page.goto(`${h.url}/ui/cases/${caseId}`);
    await page.getByRole('heading', { name: /Chatty/ }).waitFor();
    await page.locator('ul.notes').getByText('note 1009').waitFor();
    await page.close();
  });

  // A change to the action reads the timeline again while older entries are being read: neither read
  // may drop the other's entries (a reload that landed during the read threw the older page away, so a
  // click on "Show older" did nothing).
  for (const held of ['older', 'newer'] as const) {
    it(`older entries read while the timeline is read again are kept (the ${held} read answers last)`, async () => {
      const act = (await launch(h, 'charge')).id;
      await h.waitFor(act, (a) => a.state === 'todo');
      beats(act, 2500);
      const page = await signedIn(b, h, h.adminKey, `/ui/actions/${act}`);
      const timeline = page.getByRole('region', { name: 'Timeline' });
      await timeline.getByText(/ beat 2499$/).waitFor();
      const entries = page.locator('ol.timeline > li');
      expect(await entries.count()).toBe(1000);
      let release = (): void => {};
      const gate = new Promise<void>((r) => (release = r));
      let asked = 0;
      await page.route(
        (u) => u.pathname.endsWith('/timeline') && u.searchParams.has(held === 'older' ? 'before' : 'after'),
        async (route) => {
          asked++;
          await gate;
          await route.continue();
        },
      );
      if (held === 'older') {
        await page.getByTestId('timeline-older').click();
        // A change may read it more than once; every read waits.
        await expect.poll(() => asked).toBeGreaterThanOrEqual(1);
        expect((await h.api('POST', `/v1/actions/${act}/notes`, { note: 'said meanwhile' })).status).toBe(200);
        await timeline.getByText('said meanwhile').waitFor();
      } else {
        expect((await h.api('POST', `/v1/actions/${act}/notes`, { note: 'said meanwhile' })).status).toBe(200);
        // A change may read it more than once; every read waits.
        await expect.poll(() => asked).toBeGreaterThanOrEqual(1);
        await page.getByTestId('timeline-older').click();
        await expect.poll(() => entries.count()).toBe(2000);
      }
      release();
      await expect.poll(() => entries.count()).toBe(2001);
      await timeline.getByText('said meanwhile').waitFor();
      await timeline.getByText(/ beat 1000$/).waitFor();
      await page.close();
    }, 60_000);
  }

  it('past ten thousand entries the card shows the newest, and says where the older ones are', async () => {
    const long = (await launch(h, 'charge')).id;
    await h.waitFor(long, (a) => a.state === 'todo');
    beats(long, 12_000);
    expect((await h.api('POST', `/v1/actions/${long}/notes`, { note: 'the latest word' })).status).toBe(200);
    const page = await signedIn(b, h, h.adminKey, `/ui/actions/${long}`);
    const timeline = page.getByRole('region', { name: 'Timeline' });
    await timeline.getByText('the latest word').waitFor();
    await timeline.getByText(/ beat 11999$/).waitFor();
    // One page at first: the card does not wait for ten thousand entries to show the last.
    const entries = page.locator('ol.timeline > li');
    expect(await entries.count()).toBe(1000);
    const older = page.getByTestId('timeline-older');
    for (let shown = 2000; shown <= 10_000; shown += 1000) {
      await older.click();
      await expect.poll(() => entries.count()).toBe(shown);
    }
    expect(await older.count()).toBe(0);
    const more = page.getByTestId('timeline-more');
    await more.waitFor();
    expect(await more.textContent()).toContain('Showing the newest 10,000 entries');
    expect(await more.textContent()).toContain('order=newest&before=');
    expect(await timeline.getByText(/ beat 0$/).count()).toBe(0);
    await page.close();
  }, 60_000);
});
