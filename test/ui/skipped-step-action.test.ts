// The action card of a case's step an operator skipped offers no Retry (the server refuses it: nothing
// waits for the action) and says why, in a real browser; before the skip it offers one.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';
import { actionOf, stepOf, waitForCase } from '../helpers/cases.ts';
import { launchBrowser, signedIn, type Browser } from './browser.ts';

describe('The action of a skipped step on its card', () => {
  let h: Harness;
  let b: Browser;
  let operatorKey: string;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    await connector(h, { circuitBreaker: false });
    await actionType(h, { name: 'down', path: '/status/500', retry: { maxRetries: 0 } });
    const p = await h.api('POST', '/v1/processes', {
      name: 'sending',
      steps: [
        { name: 'call', kind: 'external', actionType: 'down' },
        { name: 'after', kind: 'manual', queue: 'desk' },
      ],
    });
    expect(p.status, JSON.stringify(p.body)).toBe(201);
    expect((await h.api('POST', '/v1/users', { name: 'olga' })).status).toBe(201);
    operatorKey = (await h.api('POST', '/v1/api-keys', { name: 'olga-laptop', roles: ['operator'], user: 'olga' })).body.key;
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('offers Retry while the step is failed; once it is skipped, no Retry nor correction, and the card says who skipped it', async () => {
    const r = await h.api('POST', '/v1/cases', { process: 'sending' });
    const c = await waitForCase(h, r.body.id, (x) => stepOf(x, 'call').status === 'failed');
    const id = actionOf(c, 'call');
    const page = await signedIn(b, h, operatorKey, `/ui/actions/${id}`);
    await page.getByRole('button', { name: 'Retry', exact: true }).waitFor();
    expect(await page.getByTestId('step-skipped').count()).toBe(0);
    expect(await page.getByText('Correct the input and retry').count()).toBe(1);

    const s = await h.api(
      'POST',
      `/v1/cases/${c.id}/steps/call/skip`,
      { note: 'done by phone' },
      { authorization: `Bearer ${operatorKey}` },
    );
    expect(s.status, JSON.stringify(s.body)).toBe(200);
    await page.reload();
    await expect
      .poll(() => page.getByTestId('step-skipped').textContent())
      .toMatch(/^Not retried: its case's step call was skipped by olga .*, so nothing waits for it\.$/);
    expect(await page.getByRole('button', { name: 'Retry', exact: true }).count()).toBe(0);
    expect(await page.getByText('Correct the input and retry').count()).toBe(0);
    expect((await h.api('GET', `/v1/actions/${id}`)).body.stepSkipped).toMatchObject({ step: 'call', by: 'olga' });
  });
});
