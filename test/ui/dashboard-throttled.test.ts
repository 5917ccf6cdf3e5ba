// The dashboard's throttled backlog per connector, in a real browser: a connector's "N throttled"
// leads to that connector's held actions, not to every connector's.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, launchBrowser, signedIn, type Browser } from './browser.ts';

describe("a connector's throttled backlog on the dashboard", () => {
  let h: Harness;
  let b: Browser;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  /** A connector that sends one call a day (a long window: what it holds stays held while the test looks), and its held actions. */
  async function heldOn(name: string, held: number): Promise<string[]> {
    expect((await h.api('POST', '/v1/connectors', { name, baseUrl: h.mock.url, rateLimits: [{ limit: 1, per: '1d' }] })).status).toBe(201);
    await actionType(h, { connector: name, name: `${name}-note`, path: '/ok' });
    const first = (await h.api('POST', '/v1/actions', { actionType: `${name}-note` })).body.id as string;
    await h.waitFor(first, (a) => a.state === 'closed');
    const ids: string[] = [];
    for (let i = 0; i < held; i++) ids.push((await h.api('POST', '/v1/actions', { actionType: `${name}-note` })).body.id);
    for (const id of ids) await h.waitFor(id, (a) => a.phase === 'throttled');
    return ids;
  }

  it("leads from a connector's throttled count to its own held actions", async () => {
    const crm = await heldOn('crm', 2);
    const hr = await heldOn('hr-system', 1);

    const page = await signedIn(b, h, h.adminKey, '/ui/dashboard');
    const panel = page.getByRole('region', { name: 'Connector crm' });
    await panel.getByRole('link', { name: '2 throttled' }).click();
    await page.getByRole('heading', { name: 'Work' }).waitFor();
    const rows = page.locator('table.actions tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(new Set(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id'))))).toEqual(new Set(crm));
    expect(await page.locator(`tr[data-id="${hr[0]}"]`).count()).toBe(0);
    const url = new URL(page.url());
    expect(Object.fromEntries(url.searchParams)).toEqual({ state: 'waiting', phase: 'throttled', connector: 'crm' });
    await expectAccessible(page, 'work-throttled-by-connector');
  });
});
