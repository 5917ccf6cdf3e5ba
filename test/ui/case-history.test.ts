// The case page shows the case's history in a real browser: who did what and when, in words, newest
// first: the failed step, the operator's skip with the note (read again as the case changes), the
// close; a long history shows its newest 20 and More reads the older ones.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { operatorOlga, stepOf, waitForCase } from '../helpers/cases.ts';
import { expectAccessible, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('History on the case page', () => {
  let h: Harness;
  let b: Browser;
  let operatorKey: string;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    operatorKey = await operatorOlga(h);
    const p = await h.api('POST', '/v1/processes', {
      name: 'doubler',
      steps: [{ name: 'shape', kind: 'map', expression: '{ "total": $number(case.amount) * 2 }' }],
    });
    expect(p.status).toBe(201);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('says who did what, newest first, and follows the skip pressed on the page', async () => {
    const id = (await h.api('POST', '/v1/cases', { process: 'doubler', title: 'Doubling', data: { amount: 'abc' } })).body.id as string;
    await waitForCase(h, id, (x) => stepOf(x, 'shape').status === 'failed');
    const page = await signedIn(b, h, operatorKey, `/ui/cases/${id}`);
    const items = page.getByTestId('case-history').locator('li');
    await expect.poll(() => items.count()).toBe(2);
    expect(await items.nth(0).textContent()).toMatch(/Callout marked step shape failed: expression: /);
    expect(await items.nth(1).textContent()).toMatch(/created the case \(process doubler\)$/);
    await expectAccessible(page, 'case-history');

    await page.locator('tr[data-step="shape"]').getByLabel('Why skip (optional)').fill('Amount agreed by phone');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Skip step shape' }).click();
    await expect.poll(() => items.count()).toBe(4);
    expect(await items.nth(0).textContent()).toMatch(/Callout closed the case: its process finished$/);
    expect(await items.nth(1).textContent()).toMatch(/olga skipped step shape: “Amount agreed by phone”$/);
  });

  it('shows the newest 20 of a long history; More reads the older ones, none twice', async () => {
    const id = (await h.api('POST', '/v1/cases', { title: 'Busy', data: {} })).body.id as string;
    for (let i = 0; i < 24; i++) expect((await h.api('PATCH', `/v1/cases/${id}`, { data: { [`f${i}`]: i } })).status).toBe(200);
    const page = await signedIn(b, h, operatorKey, `/ui/cases/${id}`);
    const items = page.getByTestId('case-history').locator('li');
    await expect.poll(() => items.count()).toBe(20);
    expect(await items.nth(0).textContent()).toMatch(/changed the data: f23$/);
    await page.getByRole('button', { name: 'More history' }).click();
    await expect.poll(() => items.count()).toBe(25);
    expect(await items.nth(24).textContent()).toMatch(/created the case$/);
    expect(await page.getByRole('button', { name: 'More history' }).count()).toBe(0);
  });
});
