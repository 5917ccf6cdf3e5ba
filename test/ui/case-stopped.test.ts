// A case stopped at a failed step reaches a person in a real browser: the cases list's Stopped filter
// finds it (and not a case that goes on) and marks it, its page says above the steps where it stopped,
// since when and why, with the step's row (Retry, Skip) marked just below, and its owner's
// notifications say "Case stopped". Skipped, the banner goes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { operatorOlga, stepOf, waitForCase } from '../helpers/cases.ts';
import { expectAccessible, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('a stopped case in the UI', () => {
  let h: Harness;
  let b: Browser;
  let operatorKey: string;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    operatorKey = await operatorOlga(h);
    const p = await h.api('POST', '/v1/processes', {
      name: 'doubler',
      steps: [
        { name: 'shape', kind: 'map', expression: '{ "total": $number(case.amount) * 2 }' },
        { name: 'after', kind: 'manual', queue: 'desk' },
      ],
    });
    expect(p.status, JSON.stringify(p.body)).toBe(201);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  const start = async (title: string, amount: string): Promise<string> => {
    const r = await h.api('POST', '/v1/cases', { process: 'doubler', title, owner: 'olga', data: { amount } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.id as string;
  };

  it('the Stopped filter lists it, its page names the step and error above the marked row, and a skip ends it', async () => {
    const stopped = await start('Doubling stopped', 'abc');
    const going = await start('Doubling going', '2');
    await waitForCase(h, stopped, (x) => stepOf(x, 'shape').status === 'failed');
    await waitForCase(h, going, (x) => stepOf(x, 'after').status === 'waiting_for_person');

    const page = await signedIn(b, h, operatorKey, '/ui/cases');
    await page.getByRole('link', { name: 'Doubling going' }).waitFor();
    await page.getByLabel('Stopped', { exact: true }).selectOption('true');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/stopped=true/);
    const row = page.locator('tr', { has: page.getByRole('link', { name: 'Doubling stopped' }) });
    await row.waitFor();
    // Polled: the unfiltered list stays on screen until the filtered one replaces it.
    await expect.poll(() => page.getByRole('link', { name: 'Doubling going' }).count()).toBe(0);
    expect(await row.locator('.badge', { hasText: 'Stopped' }).count()).toBe(1);
    await page.getByLabel('Stopped', { exact: true }).selectOption('false');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'Doubling going' }).waitFor();
    await expect.poll(() => page.getByRole('link', { name: 'Doubling stopped' }).count()).toBe(0);

    await page.goto(`${h.url}/ui/cases/${stopped}`);
    const banner = page.getByTestId('case-stopped');
    await banner.waitFor();
    const text = (await banner.textContent()) ?? '';
    expect(text).toMatch(/^Stopped at step shape .*: expression: /);
    expect(text).toContain(stepOf((await h.api('GET', `/v1/cases/${stopped}`)).body, 'shape').error);
    // The step's row, marked, with its Retry and Skip, follows the banner.
    const step = page.locator('tr.stopped[data-step="shape"]');
    expect(await step.getByRole('button', { name: 'Retry step shape' }).count()).toBe(1);
    expect(await step.getByRole('button', { name: 'Skip step shape' }).count()).toBe(1);
    await expectAccessible(page, 'case-stopped');

    page.once('dialog', (d) => void d.accept());
    await step.getByRole('button', { name: 'Skip step shape' }).click();
    await expect.poll(() => page.locator('tr[data-step="shape"]').getByTestId('step-status').textContent()).toBe('Skipped');
    await expect.poll(() => banner.count()).toBe(0);
    expect(await page.locator('tr.stopped').count()).toBe(0);

    await page.goto(`${h.url}/ui/notifications`);
    const notice = page.locator('.timeline li', { hasText: 'Case stopped' });
    await notice.waitFor();
    expect(await notice.textContent()).toContain('The case stopped at step "shape": expression: ');
    expect(await notice.getByRole('link', { name: 'the case' }).getAttribute('href')).toBe(`/ui/cases/${stopped}`);
  });
});
