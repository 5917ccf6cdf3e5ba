// An action whose timeline is longer than one page (1,000 entries, oldest first): the card and the
// case page's notes follow `next`, so the newest entries (the closing state change, the last note) show.

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
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('the card shows the newest entries and the case page the last note', async () => {
    const page = await signedIn(b, h, h.adminKey, `/ui/actions/${id}`);
    const timeline = page.getByRole('region', { name: 'Timeline' });
    await timeline.getByText('the final word').waitFor();
    await timeline.getByText('note 1009').waitFor();
    expect(await page.getByTestId('timeline-more').count()).toBe(0);

    await page.goto(`${h.url}/ui/cases/${caseId}`);
    await page.getByRole('heading', { name: /Chatty/ }).waitFor();
    await page.locator('ul.notes').getByText('note 1009').waitFor();
    await page.close();
  });
});
