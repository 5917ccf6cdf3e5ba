// GET /v1/processes pages (50 by default, newest first): the builder's list reads on with "More
// processes", and the pickers that offer processes (a new case, a schedule's launch) read every page
// of their names (GET /v1/process-names), so a process past the first page can still be chosen.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

const MANY = 53;
const names = Array.from({ length: MANY }, (_, i) => `p-${String(i).padStart(2, '0')}`);

describe('processes past the first page', () => {
  let h: Harness;
  let b: Browser;
  beforeAll(async () => {
    h = await startHarness({ start: false });
    b = await launchBrowser();
    for (const name of names)
      expect(
        (await h.api('POST', '/v1/processes', { name, steps: [{ name: 'a', kind: 'map', expression: '{ "ok": true }' }] })).status,
      ).toBe(201);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('the builder list shows a page and reads on with More processes to the oldest', async () => {
    const page = await signedIn(b, h, await keyWith(h, 'bella', ['builder']), '/ui/processes');
    const rows = page.locator('main table tbody tr');
    await expect.poll(() => rows.count()).toBe(50);
    expect(await rows.first().locator('a').textContent()).toBe('p-52');
    await page.getByRole('button', { name: 'More processes' }).click();
    await expect.poll(() => rows.count()).toBe(MANY);
    expect(await rows.last().locator('a').textContent()).toBe('p-00');
    expect(await page.getByRole('button', { name: 'More processes' }).count()).toBe(0);
    await page.close();
  });

  it("a new case and a schedule's launch offer every process, by name", async () => {
    // The names alone are read (GET /v1/process-names), not every definition (pages of up to 4 MB).
    const read: string[] = [];
    const seen = (r: { url(): string }): number => read.push(new URL(r.url()).pathname);
    b.context.on('request', seen);
    const operator = await signedIn(b, h, await keyWith(h, 'olga', ['operator']), '/ui/cases');
    await operator.getByText('New case', { exact: true }).click();
    const processOf = operator.getByRole('form', { name: 'New case' }).getByLabel('Process');
    await expect.poll(() => processOf.locator('option').count()).toBe(MANY + 1);
    expect(await processOf.locator('option').allTextContents()).toEqual(['None: a plain case', ...names]);
    expect(read).toContain('/v1/process-names');
    expect(read).not.toContain('/v1/processes');
    b.context.off('request', seen);
    await operator.close();

    const builder = await signedIn(b, h, await keyWith(h, 'bert', ['builder']), '/ui/schedules');
    const form = builder.getByTestId('schedule-form');
    await form.getByLabel('Launches', { exact: true }).selectOption('case');
    const launched = form.getByLabel('Process', { exact: true });
    await expect.poll(() => launched.locator('option').count()).toBe(MANY + 1);
    expect((await launched.locator('option').allTextContents()).slice(1)).toEqual(names);
    await builder.close();
  });
});
