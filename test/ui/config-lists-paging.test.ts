// The configuration lists page (50 by default): their screens read on with More, and the pickers that
// offer connectors and queues (an action type's form) read every page, so one past the first page can
// still be chosen.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

const MANY = 53;
const pad = (i: number): string => String(i).padStart(2, '0');

describe('configuration lists past the first page', () => {
  let h: Harness;
  let b: Browser;
  beforeAll(async () => {
    h = await startHarness({ start: false });
    b = await launchBrowser();
    for (let i = 0; i < MANY; i++) {
      expect((await h.api('POST', '/v1/connectors', { name: `c-${pad(i)}`, baseUrl: h.mock.url, timeout: '2s' })).status).toBe(201);
      expect((await h.api('POST', '/v1/queues', { name: `q-${pad(i)}` })).status).toBe(201);
      expect((await h.api('POST', '/v1/users', { name: `u-${pad(i)}` })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('the connector, queue and user lists show a page and read on with More to the last', async () => {
    const builder = await keyWith(h, 'bella', ['builder']);
    const connectors = await signedIn(b, h, builder, '/ui/connectors');
    const rows = connectors.locator('main table tbody tr');
    await expect.poll(() => rows.count()).toBe(50);
    expect(await rows.first().locator('a').textContent()).toBe('c-52');
    await connectors.getByRole('button', { name: 'More connectors' }).click();
    await expect.poll(() => rows.count()).toBe(MANY);
    expect(await rows.last().locator('a').textContent()).toBe('c-00');
    expect(await connectors.getByRole('button', { name: 'More connectors' }).count()).toBe(0);
    await connectors.close();

    const queues = await signedIn(b, h, builder, '/ui/queues');
    const queueRows = queues.locator('main table.queues tbody tr');
    await expect.poll(() => queueRows.count()).toBe(50);
    expect(await queueRows.first().getAttribute('data-queue')).toBe('q-00');
    await queues.getByRole('button', { name: 'More queues' }).click();
    await expect.poll(() => queueRows.count()).toBe(MANY);
    expect(await queueRows.last().getAttribute('data-queue')).toBe('q-52');
    await queues.close();

    const users = await signedIn(b, h, await keyWith(h, 'ada', ['admin']), '/ui/users');
    const userRows = users.locator('main table tbody tr');
    await expect.poll(() => userRows.count()).toBe(50);
    await users.getByRole('button', { name: 'More users' }).click();
    await expect.poll(() => userRows.count()).toBe(MANY);
    await expect.poll(() => users.getByRole('button', { name: 'Disable u-52' }).count()).toBe(1);
    await users.close();
  });

  it("the webhook list reads on with More, and a link to an old subscription's deliveries shows them", async () => {
    const ids: string[] = [];
    for (let i = 0; i < MANY; i++) {
      const r = await h.api('POST', '/v1/webhooks', { url: `${h.mock.url}/hook-${pad(i)}`, events: ['case.created'] });
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
    const builder = await keyWith(h, 'wes', ['builder']);
    const page = await signedIn(b, h, builder, '/ui/webhooks');
    const rows = page.getByTestId('webhooks').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(50);
    await page.getByRole('button', { name: 'More webhooks' }).click();
    await expect.poll(() => rows.count()).toBe(MANY);
    await page.close();
    // The oldest is past the first page the screen reads: it is read on its own, not "no such subscription".
    const linked = await signedIn(b, h, builder, `/ui/webhooks?deliveries=${ids[0]}`);
    await expect.poll(() => linked.locator('#deliveries-h').textContent()).toContain(`${h.mock.url}/hook-00`);
    expect(await linked.getByText('There is no webhook subscription').count()).toBe(0);
    // One that is no subscription's is still said so.
    const gone = await signedIn(b, h, builder, '/ui/webhooks?deliveries=00000000-0000-7000-8000-000000000000');
    await expect.poll(() => gone.getByText('There is no webhook subscription').count()).toBe(1);
    await linked.close();
    await gone.close();
  });

  it("an action type's form offers every connector and every queue, by name", async () => {
    const page = await signedIn(b, h, await keyWith(h, 'bert', ['builder']), '/ui/action-types/new');
    const connector = page.locator('#t-connector option');
    await expect.poll(() => connector.count()).toBe(MANY);
    expect(await connector.allTextContents()).toEqual(Array.from({ length: MANY }, (_, i) => `c-${pad(i)}`));
    // c-00 is the oldest: past the first page of GET /v1/connectors.
    await page.locator('#t-connector').selectOption({ label: 'c-00' });
    const queue = page.locator('#t-queue-names option');
    await expect.poll(() => queue.count()).toBe(MANY);
    expect(await queue.evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(
      Array.from({ length: MANY }, (_, i) => `q-${pad(i)}`),
    );
    await page.close();
  });
});
