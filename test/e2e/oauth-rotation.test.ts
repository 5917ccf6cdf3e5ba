// Bug (issue 11): when the OAuth server rotates the refresh token, storing the new one makes a new
// connector revision; that closed the connector's connection pool under the requests about to go
// out or in flight, which failed with UND_ERR_DESTROYED and used up a retry. A change of secret only
// must not touch requests in flight: every action succeeds at its first attempt.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { actionType, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { startOAuthServer, startResourceServer, type OAuthServer, type ResourceServer } from '../helpers/oauth-server.ts';

let h: Harness;
let oauth: OAuthServer;
let api: ResourceServer;
beforeAll(async () => {
  h = await startHarness();
  oauth = await startOAuthServer({ accessTokenTtl: 1 });
  api = await startResourceServer((t) => oauth.isValid(t));
});
afterAll(async () => {
  await h.close();
  await api.close();
  await oauth.close();
});

it('a rotated refresh token is stored without failing the requests in flight', async () => {
  const c = await h.api('POST', '/v1/connectors', {
    name: 'orders',
    baseUrl: api.url,
    auth: await oauth.refreshTokenAuth(),
  });
  expect(c.status).toBe(201);
  await actionType(h, { connector: 'orders', name: 'place-order', path: '/orders', retry: { maxRetries: 3, interval: '10ms' } });
  // Several rounds: access tokens live a second, so each round refreshes (and rotates) while others send.
  const ids: string[] = [];
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 10; i++) ids.push((await launch(h, 'place-order')).id);
    await new Promise((r) => setTimeout(r, 1100));
  }
  const done = await Promise.all(ids.map((id) => h.waitFor(id, (a) => a.state === 'closed')));
  expect(oauth.tokenRequests.filter((r) => r.grantType === 'refresh_token' && r.status === 200).length).toBeGreaterThanOrEqual(2);
  const failed = done.filter((a) => a.attempts !== 1 || a.resolution !== 'done_successfully');
  expect(failed.map((a) => a.retry?.lastError ?? a.resolution)).toEqual([]);
});
