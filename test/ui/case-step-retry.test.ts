// A failed step the case stopped at, with no action to retry (its map expression failed), on the case
// page in a real browser: the operator reads why, fixes the data, and presses Retry beside the step;
// the step runs again and the case goes on. A `continue` step the case went past offers no Retry, and a
// builder sees none.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { operatorOlga, stepOf, waitForCase } from '../helpers/cases.ts';
import { expectAccessible, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('Retry of a failed step on the case page', () => {
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

  it('the operator fixes the data and presses Retry: the step is done and the case goes on', async () => {
    const id = await failedCase('doubler-stop');
    const page = await signedIn(b, h, operatorKey, `/ui/cases/${id}`);
    const row = page.locator('tr[data-step="shape"]');
    await expect.poll(() => row.getByTestId('step-error').textContent()).toMatch(/^expression: /);
    const retry = row.getByRole('button', { name: 'Retry step shape' });
    await retry.waitFor();
    await expectAccessible(page, 'case-step-retry');

    expect((await h.api('PATCH', `/v1/cases/${id}`, { data: { amount: 21 } })).status).toBe(200);
    await retry.click();
    await expect.poll(() => row.getByTestId('step-status').textContent()).toBe('Done');
    await expect.poll(() => page.locator('tr[data-step="after"]').getByTestId('step-status').textContent()).toBe('Waiting for a person');
    expect(await row.getByRole('button', { name: 'Retry step shape' }).count()).toBe(0);
    // Who retried it, and when, is on the step (as the API gives it).
    await expect.poll(() => row.getByTestId('step-retried').textContent()).toMatch(/^Retried once, last by olga /);
    const c = (await h.api('GET', `/v1/cases/${id}`)).body;
    expect(c.data.total).toBe(42);
    expect(stepOf(c, 'shape').retried).toMatchObject({ count: 1, by: 'olga' });
  });

  it('a Retry that runs the step and fails again is said so, with the new error, not as a retry that went through', async () => {
    const id = await failedCase('doubler-stop');
    const page = await signedIn(b, h, operatorKey, `/ui/cases/${id}`);
    const row = page.locator('tr[data-step="shape"]');
    // The data is not fixed: the step runs again and fails again.
    await row.getByRole('button', { name: 'Retry step shape' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Step shape was retried and failed again: expression: / })
      .waitFor();
    await expect.poll(() => row.getByTestId('step-retried').textContent()).toMatch(/^Retried once, last by olga /);
    await row.getByRole('button', { name: 'Retry step shape' }).click();
    await expect.poll(() => row.getByTestId('step-retried').textContent()).toMatch(/^Retried 2 times, last by olga /);
    expect(stepOf((await h.api('GET', `/v1/cases/${id}`)).body, 'shape')).toMatchObject({ status: 'failed', retried: { count: 2 } });
  });

  it('a Retry on a page someone else already moved on from is refused, said, and the page shows the case as it now is', async () => {
    const id = await failedCase('doubler-stop');
    const page = await signedIn(b, h, operatorKey, `/ui/cases/${id}`);
    const row = page.locator('tr[data-step="shape"]');
    const retry = row.getByRole('button', { name: 'Retry step shape' });
    await retry.waitFor();
    // The page's own reading of the case (every few seconds) stays as it was until the press: the page is stale.
    const stale = (await h.api('GET', `/v1/cases/${id}`)).body;
    await page.route(`**/v1/cases/${id}`, (route) =>
      route.request().method() === 'GET' ? route.fulfill({ json: stale }) : route.fallback(),
    );
    // Another operator fixes the data and retries first.
    expect((await h.api('PATCH', `/v1/cases/${id}`, { data: { amount: 2 } })).status).toBe(200);
    expect((await h.api('POST', `/v1/cases/${id}/steps/shape/retry`)).status).toBe(200);
    await retry.click();
    await page
      .getByRole('status')
      .filter({ hasText: /Step shape was not retried: .*done, not failed/ })
      .waitFor();
    await page.unroute(`**/v1/cases/${id}`);
    await expect.poll(() => row.getByTestId('step-status').textContent()).toBe('Done');
    expect(await row.getByRole('button', { name: 'Retry step shape' }).count()).toBe(0);
    expect(stepOf((await h.api('GET', `/v1/cases/${id}`)).body, 'shape').retried).toMatchObject({ count: 1, by: 'CALLOUT_ADMIN_KEY' });
  });

  it('a manual step whose task was closed Not Done: Retry gives it a new task', async () => {
    const p = await h.api('POST', '/v1/processes', { name: 'approval', steps: [{ name: 'approve', kind: 'manual', queue: 'desk' }] });
    expect(p.status).toBe(201);
    const id = (await h.api('POST', '/v1/cases', { process: 'approval', title: 'Approval' })).body.id as string;
    const first = stepOf(await waitForCase(h, id, (x) => stepOf(x, 'approve').actionId !== null), 'approve').actionId as string;
    expect((await h.api('POST', `/v1/actions/${first}/complete`, { resolution: 'not_done_successfully' })).status).toBe(200);
    await waitForCase(h, id, (x) => stepOf(x, 'approve').status === 'failed');
    const page = await signedIn(b, h, operatorKey, `/ui/cases/${id}`);
    const row = page.locator('tr[data-step="approve"]');
    await row.getByRole('button', { name: 'Retry step approve' }).click();
    await expect.poll(() => row.getByTestId('step-status').textContent()).toBe('Waiting for a person');
    const now = (await h.api('GET', `/v1/cases/${id}`)).body;
    expect(stepOf(now, 'approve').actionId).not.toBe(first);
  });

  it('no Retry for a `continue` step the case went past, nor for a builder', async () => {
    const gone = await failedCase('doubler-continue');
    await waitForCase(h, gone, (x) => stepOf(x, 'after').status === 'waiting_for_person');
    const page = await signedIn(b, h, operatorKey, `/ui/cases/${gone}`);
    await expect.poll(() => page.locator('tr[data-step="after"]').getByTestId('step-status').textContent()).toBe('Waiting for a person');
    expect(await page.getByRole('button', { name: 'Retry step shape' }).count()).toBe(0);

    const stopped = await failedCase('doubler-stop');
    const asBuilder = await signedIn(b, h, builderKey, `/ui/cases/${stopped}`);
    await expect.poll(() => asBuilder.locator('tr[data-step="shape"]').getByTestId('step-status').textContent()).toBe('Failed');
    expect(await asBuilder.getByRole('button', { name: 'Retry step shape' }).count()).toBe(0);
  });
});
