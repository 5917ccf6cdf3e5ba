// A Retry whose answer is lost on the way back (the request made, the page told it failed) is pressed
// again: the page sends it with the same Idempotency-Key, so the action is retried once, not twice; a
// Retry after an answer is a new one. Real chromium; the lost answer is Playwright's abort after the
// request reached Callout.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

let h: Harness;
let b: Browser;
let operator: string;
beforeAll(async () => {
  h = await startHarness();
  b = await launchBrowser();
  await connector(h);
  // Refused at once (400): To Do, Rejected; each retry is sent and refused again.
  await actionType(h, { name: 'refused', path: '/status/400', retry: { maxRetries: 0 } });
  await actionType(h, {
    name: 'refused-titled',
    path: '/status/400',
    fields: { Title: { type: 'string' } },
    body: { format: 'json', template: '{"title": "{{ Title }}"}' },
    retry: { maxRetries: 0 },
  });
  await h.api('POST', '/v1/users', { name: 'olga' });
  operator = await keyWith(h, 'olga', ['operator'], 'olga');
});
afterAll(async () => {
  await b?.close();
  await h?.close();
});

/** Loses the answer of the first request to `path` (made by Callout, the page told it failed); records every request's key. */
async function losingFirst(page: import('playwright-core').Page, path: string): Promise<string[]> {
  const keys: string[] = [];
  let lose = true;
  await page.route(
    (u) => u.pathname === path,
    async (route) => {
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (!lose) return route.continue();
      lose = false;
      await route.fetch();
      await route.abort('failed');
    },
  );
  return keys;
}

const retries = async (id: string): Promise<number> =>
  (await h.api('GET', `/v1/actions/${id}/timeline?kind=retry_requested`)).body.items.length;

it('a Retry pressed again after its answer was lost retries the action once; the next Retry is another', async () => {
  const a = await launch(h, 'refused', {});
  await h.waitFor(a.id, (x) => x.state === 'todo');
  const page = await signedIn(b, h, operator, `/ui/actions/${a.id}`);
  const keys: string[] = [];
  let lose = true;
  await page.route(
    (u) => u.pathname === `/v1/actions/${a.id}/retry`,
    async (route) => {
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (!lose) return route.continue();
      lose = false;
      await route.fetch(); // made by Callout…
      await route.abort('failed'); // …and its answer lost.
    },
  );
  const retry = page.getByRole('button', { name: 'Retry', exact: true });
  await retry.click();
  await page.getByText('Callout is not reachable').waitFor();
  await h.waitFor(a.id, (x) => x.state === 'todo' && x.retry.count === 1);
  await retry.click();
  await expect.poll(() => keys.length).toBe(2);
  await page.getByText('Callout is not reachable').waitFor({ state: 'detached' });
  expect(keys[0]).toMatch(/^ui-retry-[0-9a-f]{32}$/);
  expect(keys[1]).toBe(keys[0]);
  expect(await retries(a.id)).toBe(1);
  expect((await h.api('GET', `/v1/actions/${a.id}`)).body.retry.count).toBe(1);

  await retry.click();
  await expect.poll(() => keys.length).toBe(3);
  expect(keys[2]).not.toBe(keys[0]);
  await h.waitFor(a.id, (x) => x.state === 'todo' && x.retry.count === 2);
  expect(await retries(a.id)).toBe(2);
  await page.close();
});

it('a correction sent again after its answer was lost is made once and retried once', async () => {
  const a = await launch(h, 'refused-titled', { Title: 'Laptpo' });
  await h.waitFor(a.id, (x) => x.state === 'todo');
  const page = await signedIn(b, h, operator, `/ui/actions/${a.id}`);
  const keys = await losingFirst(page, `/v1/actions/${a.id}/retry`);
  const panel = page.getByTestId('input-correction');
  await panel.getByText('Correct the input and retry').click();
  const title = page.getByLabel('Title (string)');
  await expect.poll(() => title.inputValue()).toBe('Laptpo');
  await title.fill('Laptop');
  const send = page.getByRole('button', { name: 'Retry with these values' });
  await send.click();
  await panel.getByText('Callout is not reachable').waitFor();
  await h.waitFor(a.id, (x) => x.state === 'todo' && x.retry.count === 1);
  // The live update brings the corrected input before the second press (as it did in a CI run): the
  // press sends the first request again, not a patch of what is left to change.
  await expect.poll(() => page.getByTestId('retried').textContent()).toMatch(/^retried 1 /);
  await send.click();
  await expect.poll(() => keys.length).toBe(2);
  await panel.getByText('Callout is not reachable').waitFor({ state: 'detached' });
  expect(keys[0]).toMatch(/^ui-correction-[0-9a-f]{32}$/);
  expect(keys[1]).toBe(keys[0]);
  expect(await retries(a.id)).toBe(1);
  const after = (await h.api('GET', `/v1/actions/${a.id}`)).body;
  expect(after).toMatchObject({ input: { Title: 'Laptop' }, retry: { count: 1 } });
  const changes = (await h.api('GET', `/v1/actions/${a.id}/timeline?kind=input_changed`)).body.items;
  expect(changes).toHaveLength(1);
  await page.close();
});
