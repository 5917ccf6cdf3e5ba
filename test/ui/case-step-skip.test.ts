// A failed step the case stopped at, skipped for good from the case page in a real browser: the
// operator writes why, presses Skip, confirms (it cannot be undone), and the case goes on; the step
// says who skipped it, when and why. Pressed again after its answer was lost, the same Idempotency-Key
// goes again and the page shows the case, not a 409. A `continue` step the case went past offers no
// Skip, nor does a step waiting for a person, and a builder sees none.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { operatorOlga, stepOf, waitForCase } from '../helpers/cases.ts';
import { expectAccessible, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('Skip of a failed step on the case page', () => {
  let h: Harness;
  let b: Browser;
  let operatorKey: string;
  let builderKey: string;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    operatorKey = await operatorOlga(h);
    builderKey = (await h.api('POST', '/v1/api-keys', { name: 'bea', roles: ['builder'] })).body.key;
    for (const onFailure of ['stop', 'continue'])
      expect(
        (
          await h.api('POST', '/v1/processes', {
            name: `doubler-${onFailure}`,
            steps: [
              { name: 'shape', kind: 'map', expression: '{ "total": $number(case.amount) * 2 }', onFailure },
              { name: 'after', kind: 'manual', queue: 'desk' },
            ],
          })
        ).status,
      ).toBe(201);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  const failedCase = async (process: string): Promise<string> => {
    const id = (await h.api('POST', '/v1/cases', { process, title: 'Doubling', data: { amount: 'abc' } })).body.id as string;
    await waitForCase(h, id, (x) => stepOf(x, 'shape').status === 'failed');
    return id;
  };

  it('Skip asks first; cancelled it skips nothing; confirmed the step is skipped with the note and the case goes on', async () => {
    const id = await failedCase('doubler-stop');
    const page = await signedIn(b, h, operatorKey, `/ui/cases/${id}`);
    const row = page.locator('tr[data-step="shape"]');
    const skip = row.getByRole('button', { name: 'Skip step shape' });
    await skip.waitFor();
    // Beside Retry.
    expect(await row.getByRole('button', { name: 'Retry step shape' }).count()).toBe(1);
    await expectAccessible(page, 'case-step-skip');

    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.message());
      void d.dismiss();
    });
    await skip.click();
    await expect.poll(() => asked.length).toBe(1);
    expect(asked[0]).toMatch(/Skip step shape for good\?.*cannot be undone/);
    expect(stepOf((await h.api('GET', `/v1/cases/${id}`)).body, 'shape').status).toBe('failed');

    await row.getByLabel('Why skip (optional)').fill('Amount agreed by phone');
    page.once('dialog', (d) => void d.accept());
    await skip.click();
    await expect.poll(() => row.getByTestId('step-status').textContent()).toBe('Skipped');
    await expect.poll(() => page.locator('tr[data-step="after"]').getByTestId('step-status').textContent()).toBe('Waiting for a person');
    await expect.poll(() => row.getByTestId('step-skipped').textContent()).toMatch(/^Skipped by olga .*: Amount agreed by phone$/);
    expect(await row.getByRole('button', { name: 'Skip step shape' }).count()).toBe(0);
    expect(await row.getByRole('button', { name: 'Retry step shape' }).count()).toBe(0);
    expect(stepOf((await h.api('GET', `/v1/cases/${id}`)).body, 'shape').skipped).toMatchObject({
      by: 'olga',
      note: 'Amount agreed by phone',
    });
  });

  it('pressed again after its answer was lost: the same Idempotency-Key, the case shown, no 409', async () => {
    const id = await failedCase('doubler-stop');
    const page = await signedIn(b, h, operatorKey, `/ui/cases/${id}`);
    page.on('dialog', (d) => void d.accept());
    const keys: string[] = [];
    let lose = true;
    await page.route(
      (u) => u.pathname === `/v1/cases/${id}/steps/shape/skip`,
      async (route) => {
        keys.push(route.request().headers()['idempotency-key'] ?? '');
        if (!lose) return route.continue();
        lose = false;
        await route.fetch(); // made by Callout…
        await route.abort('failed'); // …and its answer lost.
      },
    );
    const row = page.locator('tr[data-step="shape"]');
    const button = row.getByRole('button', { name: 'Skip step shape' });
    await button.waitFor();
    // The page's own reading of the case stays as it was, so the button is still there to press again.
    const stale = (await h.api('GET', `/v1/cases/${id}`)).body;
    await page.route(`**/v1/cases/${id}`, (route) =>
      route.request().method() === 'GET' ? route.fulfill({ json: stale }) : route.fallback(),
    );
    await button.click();
    await row.getByText('Callout is not reachable').waitFor();
    await waitForCase(h, id, (x) => stepOf(x, 'shape').status === 'skipped');
    await button.click();
    await expect.poll(() => keys.length).toBe(2);
    expect(keys[1]).toBe(keys[0]);
    await page.getByRole('status').filter({ hasText: 'Step shape skipped' }).waitFor();
    await page.unroute(`**/v1/cases/${id}`);
    await expect.poll(() => row.getByTestId('step-status').textContent()).toBe('Skipped');
    expect(await page.getByRole('alert').count()).toBe(0);
    expect((await h.api('GET', `/v1/cases/${id}`)).body.actions.length).toBe(1);
  });

  it('no Skip for a `continue` step the case went past, for a step waiting for a person, nor for a builder', async () => {
    const gone = await failedCase('doubler-continue');
    await waitForCase(h, gone, (x) => stepOf(x, 'after').status === 'waiting_for_person');
    const page = await signedIn(b, h, operatorKey, `/ui/cases/${gone}`);
    await expect.poll(() => page.locator('tr[data-step="after"]').getByTestId('step-status').textContent()).toBe('Waiting for a person');
    expect(await page.getByRole('button', { name: /^Skip step/ }).count()).toBe(0);

    const stopped = await failedCase('doubler-stop');
    const asBuilder = await signedIn(b, h, builderKey, `/ui/cases/${stopped}`);
    await expect.poll(() => asBuilder.locator('tr[data-step="shape"]').getByTestId('step-status').textContent()).toBe('Failed');
    expect(await asBuilder.getByRole('button', { name: 'Skip step shape' }).count()).toBe(0);
  });
});
