// The line that says why a launch for later waits, in a real browser: an action launched with a
// `startAt` tomorrow says when it goes out, on its card and in the work list, where it said "goes out
// as soon as the engine takes it"; one launched for now still says that.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('why a launch for later waits', () => {
  let h: Harness;
  let b: Browser;
  beforeAll(async () => {
    h = await startHarness({ start: false });
    b = await launchBrowser();
    await connector(h);
    await actionType(h, { name: 'send-letter', path: '/ok' });
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('says when a scheduled action goes out, on its card and in the work list', async () => {
    // 1 March next year, 09:00 UTC (a launch may be at most ten years ahead).
    const year = new Date().getUTCFullYear() + 1;
    const startAt = new Date(Date.UTC(year, 2, 1, 9)).toISOString();
    const later = await h.api('POST', '/v1/actions', { actionType: 'send-letter', startAt });
    expect(later.status).toBe(201);
    expect(later.body).toMatchObject({ state: 'waiting', phase: 'queued', startAt });
    // The engine is not started: this one stays queued, due now.
    const now = (await h.api('POST', '/v1/actions', { actionType: 'send-letter' })).body.id as string;

    const page = await signedIn(b, h, h.adminKey, `/ui/actions/${later.body.id}`);
    const why = page.getByTestId('why');
    // The browser runs in UTC, en-GB: the date in full, as every other day's time on the page.
    await expect.poll(() => why.textContent()).toBe(`Queued: scheduled: goes out 1 Mar ${year}, 09:00:00`);
    await expectAccessible(page, 'action-scheduled');

    await page.goto(`${h.url}/ui/work?state=waiting&phase=queued`);
    const row = (id: string) => page.locator(`tr[data-id="${id}"] td.why`);
    await expect.poll(() => row(later.body.id).textContent()).toBe(`scheduled: goes out 1 Mar ${year}, 09:00:00`);
    expect(await row(now).textContent()).toBe('queued: goes out as soon as the engine takes it');
  });
});
