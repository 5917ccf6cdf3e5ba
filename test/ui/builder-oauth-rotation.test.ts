// A connector whose OAuth server rotates refresh tokens: Callout stores each new one, which makes a new
// revision. That is not a builder's change: the connector screen, open on the revision before it, must
// still save (no "Someone else saved this"), and the rotated token must be kept, not overwritten.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { startOAuthServer, startResourceServer, type OAuthServer, type ResourceServer } from '../helpers/oauth-server.ts';
import { keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

let h: Harness;
let b: Browser;
let oauth: OAuthServer;
let res: ResourceServer;
beforeAll(async () => {
  h = await startHarness({ start: false });
  b = await launchBrowser();
  oauth = await startOAuthServer({ accessTokenTtl: 1 });
  res = await startResourceServer((t) => oauth.isValid(t));
});
afterAll(async () => {
  await b?.close();
  await h?.close();
  await res?.close();
  await oauth?.close();
});

it('a builder saves a connector whose refresh token was rotated since the screen was opened', async () => {
  const c = await h.api('POST', '/v1/connectors', {
    name: 'orders',
    baseUrl: res.url,
    description: 'first',
    auth: await oauth.refreshTokenAuth(),
  });
  expect(c.status).toBe(201);
  const key = await keyWith(h, 'bella', ['builder']);
  const page = await signedIn(b, h, key, '/ui/connectors/orders');
  await expect.poll(() => page.getByLabel('Description').inputValue()).toBe('first');
  // Test connection refreshes the access token; the server rotates the refresh token, which is stored.
  await page.getByRole('button', { name: 'Test connection' }).click();
  await page.getByTestId('test-connection').waitFor();
  await expect.poll(async () => (await h.api('GET', '/v1/connectors/orders')).body.revision).toBe(c.body.revision + 1);

  await page.getByLabel('Description').fill('second');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Saved orders.' }).waitFor();
  expect(await page.getByRole('alert').count()).toBe(0);
  expect((await h.api('GET', '/v1/connectors/orders')).body).toMatchObject({ description: 'second', revision: c.body.revision + 2 });
  // The rotated token was kept: the connection still authenticates (the first one is spent).
  const t = await h.api('POST', '/v1/connectors/orders/test', {});
  expect(t.status).toBe(200);
  expect(JSON.stringify(t.body)).not.toMatch(/invalid_grant/);

  // A builder's change since the screen was opened is still refused.
  expect((await h.api('PATCH', '/v1/connectors/orders', { description: 'alice' })).status).toBe(200);
  await page.getByLabel('Description').fill('third');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'Someone else saved this since you opened it' }).waitFor();
  expect((await h.api('GET', '/v1/connectors/orders')).body.description).toBe('alice');
  await page.close();
});
