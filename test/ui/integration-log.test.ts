// The action card's integration log in a real browser. GET /v1/actions/{id}/integration-log is being
// added by another part of the work: against this server (no such route) a 404 means "no log" and the
// card shows neither the section nor an error; with the route answering (the browser's request fulfilled
// with the documented shape) the card renders the table; any other failure is shown, not swallowed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('the integration log on the action card', () => {
  let h: Harness;
  let b: Browser;
  let id: string;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    await connector(h);
    await actionType(h, { name: 'sync-ok', path: '/ok' });
    id = (await launch(h, 'sync-ok')).id;
    await h.waitFor(id, (a) => a.state === 'closed');
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('an action with no exchanges shows no integration log section, and no error', async () => {
    expect((await h.api('GET', `/v1/actions/${id}/integration-log`)).body).toEqual({ items: [] });
    const page = await signedIn(b, h, h.adminKey, `/ui/actions/${id}`);
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(await page.getByRole('heading', { name: 'Integration log' }).count()).toBe(0);
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.close();
  });

  it('renders the items when there are some, and shows any other failure', async () => {
    const page = await signedIn(b, h, h.adminKey, '/ui/work');
    const items = [
      {
        requestType: 'create_ticket',
        direction: 'outbound',
        at: '2026-12-01T10:00:00.000Z',
        payload: { ticket: 'T-1' },
        result: 'accepted',
        actionId: id,
      },
      {
        requestType: 'ticket_closed',
        direction: 'inbound',
        at: '2026-12-01T11:00:00.000Z',
        payload: { status: 'done' },
        result: null,
        actionId: id,
      },
    ];
    await page.route(`**/v1/actions/${id}/integration-log`, (r) =>
      r.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ items }) }),
    );
    await page.goto(`${h.url}/ui/actions/${id}`);
    const table = page.getByTestId('integration-log');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
    const text = (await table.textContent()) ?? '';
    for (const w of ['create_ticket', 'outbound', 'T-1', 'accepted', 'ticket_closed', 'inbound']) expect(text).toContain(w);
    await expectAccessible(page, 'action-integration-log');

    await page.unroute(`**/v1/actions/${id}/integration-log`);
    await page.route(`**/v1/actions/${id}/integration-log`, (r) =>
      r.fulfill({ status: 500, contentType: 'application/problem+json', body: JSON.stringify({ title: 'Log store down', status: 500 }) }),
    );
    await page.reload();
    await page.getByRole('alert').filter({ hasText: 'Log store down' }).waitFor();
    await page.close();
  });
});
