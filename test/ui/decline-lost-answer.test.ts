// A Decline of a provider's solution whose answer is lost on the way back (the decline made, the page
// told Callout is not reachable) is pressed again: the page sends it with the same Idempotency-Key, so
// the provider gets one Resolution Rejection and the page shows the task with the provider, not a 409
// "already declined". The next decline (another hand-back) is another key. Real chromium; the lost
// answer is Playwright's abort after the request reached Callout, and the live feed is held silent (the
// network is down) so the page does not learn of the decline some other way first.

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Route } from 'playwright-core';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';
import { keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

const fields = {
  TaskId: { type: 'string' },
  Title: { type: 'string' },
  Note: { type: 'string', required: false },
  ExternalReference: { type: 'string', required: false },
};

/** Waits for `f` to give something truthy (expect.poll is for tests, not their setup). */
async function until<T>(f: () => T | Promise<T>, what: string): Promise<NonNullable<T>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await f();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let h: Harness;
let b: Browser;
let olga: string;
let id: string;
let callbackUrl: string;
const provider = (path: string) => h.mock.log.filter((e) => e.path === path);
const rejections = async (): Promise<number> =>
  ((await h.api('GET', `/v1/actions/${id}/integration-log`)).body.items as Array<{ requestType: string }>).filter(
    (x) => x.requestType === 'Resolution Rejection',
  ).length;
/** The provider answering on the token it was given with its submission. */
const fromProvider = async (path: string, body: unknown): Promise<void> => {
  const r = await h.api('POST', `${callbackUrl.slice(h.url.length)}/${path}`, body, { authorization: '' });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
};

beforeAll(async () => {
  h = await startHarness({ mock: { keepBodies: true } });
  b = await launchBrowser();
  expect((await h.api('POST', '/v1/users', { name: 'olga' })).status).toBe(201);
  olga = await keyWith(h, 'olga-laptop', ['operator'], 'olga');
  await connector(h, { name: 'provider' });
  const type = (name: string, path: string, template: string) =>
    actionType(h, { name, connector: 'provider', path, fields, body: { format: 'json', template } });
  await type('prv-submit', '/provider/submit', '{"callbackUrl": "{{ $callbackUrl }}", "task": "{{ TaskId }}", "script": "none"}');
  await type('prv-close', '/provider/close', '{"ref": "{{ ExternalReference }}", "note": "{{ Note }}"}');
  await type('prv-reject', '/provider/reject', '{"ref": "{{ ExternalReference }}", "note": "{{ Note }}"}');
  const integration = { connector: 'provider', onAssign: 'prv-submit', onClose: 'prv-close', onResolutionRejected: 'prv-reject' };
  const q = await h.api('POST', '/v1/queues', { name: 'vendor-desk', members: ['olga'], allocation: 'round_robin', integration });
  expect(q.status, JSON.stringify(q.body)).toBe(201);
  const steps = [{ name: 'fix', kind: 'manual', title: 'Fix the printer', queue: 'vendor-desk' }];
  expect((await h.api('POST', '/v1/processes', { name: 'printer', steps })).status).toBe(201);
  const k = await h.api('POST', '/v1/cases', { process: 'printer', title: 'Printer jams' });
  expect(k.status, JSON.stringify(k.body)).toBe(201);
  id = await until(async () => (await h.api('GET', `/v1/cases/${k.body.id}`)).body.steps[0].actionId as string | null, 'the task');
  await until(() => provider('/provider/submit').length === 1, 'the submission');
  callbackUrl = (provider('/provider/submit')[0]!.body as { callbackUrl: string }).callbackUrl;
  await h.waitFor(id, (a) => a.state === 'waiting');
  await fromProvider('acknowledge', { externalReference: 'PRV-7' });
});
afterAll(async () => {
  await b?.close();
  await h?.close();
});

it('a Decline pressed again after its answer was lost sends one Resolution Rejection; the next decline is another', async () => {
  await fromProvider('hand-back', { resolution: 'solved', solution: 'Cleaned the rollers' });
  await h.waitFor(id, (a) => a.state === 'todo');
  // The live feed says nothing (held open, never answered): only the decline's own answer tells the page.
  const held: Route[] = [];
  await b.context.route('**/v1/events', (route) => void held.push(route));
  const page = await signedIn(b, h, olga, `/ui/actions/${id}`);
  const keys: string[] = [];
  let lose = true;
  await page.route(
    (u) => u.pathname === `/v1/actions/${id}/decline-solution`,
    async (route) => {
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (!lose) return route.continue();
      lose = false;
      await route.fetch(); // made by Callout…
      await route.abort('failed'); // …and its answer lost.
    },
  );
  const panel = page.getByTestId('solution');
  await panel.getByRole('button', { name: 'Decline solution' }).click();
  await panel.getByLabel(/^Reason/).fill('Still jams on page 2');
  const send = panel.getByRole('button', { name: 'Decline solution' });
  await send.click();
  await panel.getByText('Callout is not reachable').waitFor();
  await h.waitFor(id, (a) => a.state === 'waiting');
  await expect.poll(() => provider('/provider/reject').length, { timeout: 10_000 }).toBe(1);

  await send.click();
  await expect.poll(() => keys.length).toBe(2);
  // Answered with the task as it is (not a 409 "already declined"): with the provider again, nothing
  // left to decide, no error.
  await expect.poll(() => page.getByTestId('solution').count()).toBe(0);
  expect(await page.getByRole('alert').count()).toBe(0);
  expect(await page.getByRole('heading', { level: 1 }).getByTestId('state').textContent()).toBe('Waiting');
  expect(keys[0]).toMatch(/^ui-decline-[0-9a-f]{32}$/);
  expect(keys[1]).toBe(keys[0]);
  await page.waitForTimeout(500);
  expect(provider('/provider/reject')).toHaveLength(1);
  expect(await rejections()).toBe(1);
  const timeline = (await h.api('GET', `/v1/actions/${id}/timeline?limit=500`)).body.items as Array<{ message?: string }>;
  expect(timeline.filter((x) => x.message?.startsWith('Solution declined')).map((x) => x.message)).toEqual([
    'Solution declined: Still jams on page 2. Resolution Rejection sent to the provider (prv-reject).',
  ]);

  // Handed back again and declined again (the same reason): a new decline, under a new key.
  await fromProvider('hand-back', { resolution: 'solved', solution: 'Cleaned them again' });
  await h.waitFor(id, (a) => a.state === 'todo');
  await page.reload();
  await page.getByTestId('solution').getByRole('button', { name: 'Decline solution' }).click();
  await page
    .getByTestId('solution')
    .getByLabel(/^Reason/)
    .fill('Still jams on page 2');
  await page.getByTestId('solution').getByRole('button', { name: 'Decline solution' }).click();
  await expect.poll(() => keys.length).toBe(3);
  expect(keys[2]).toMatch(/^ui-decline-[0-9a-f]{32}$/);
  expect(keys[2]).not.toBe(keys[0]);
  await expect.poll(() => provider('/provider/reject').length, { timeout: 10_000 }).toBe(2);
  expect(await rejections()).toBe(2);
  await page.close();
  await b.context.unroute('**/v1/events');
  for (const r of held) await r.abort().catch(() => undefined);
});
