// OAuth connectors through the whole engine, against a real OAuth 2.0 server (oidc-provider) and a
// resource server on loopback: actions authenticate; refused credentials hold actions without
// burning retries and mark the connector; fixing the connector lets them go.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { actionType, launch, startHarness, type Harness } from '../helpers/harness.ts';
import {
  API_AUDIENCE,
  clientCredentialsOf,
  startOAuthServer,
  startResourceServer,
  type OAuthServer,
  type ResourceServer,
} from '../helpers/oauth-server.ts';

let h: Harness;
let oauth: OAuthServer;
let api: ResourceServer;
beforeAll(async () => {
  h = await startHarness();
  oauth = await startOAuthServer();
  api = await startResourceServer((t) => oauth.isValid(t));
});
afterAll(async () => {
  await h.close();
  await api.close();
  await oauth.close();
});

it('an oauth2_client_credentials connector fetches one token and every action authenticates with it', async () => {
  const c = await h.api('POST', '/v1/connectors', {
    name: 'orders',
    baseUrl: api.url,
    auth: clientCredentialsOf(oauth, { audience: API_AUDIENCE, scope: 'orders:write' }),
  });
  expect(c.status).toBe(201);
  expect(JSON.stringify(c.body)).not.toContain(oauth.postClient.secret);
  await actionType(h, { connector: 'orders', name: 'place-order', path: '/orders' });
  const ids = [];
  for (let i = 0; i < 10; i++) ids.push((await launch(h, 'place-order')).id);
  for (const id of ids) expect((await h.waitFor(id, (a) => a.state === 'closed')).resolution).toBe('done_successfully');
  expect(oauth.tokenRequests.filter((r) => r.grantType === 'client_credentials' && r.status === 200)).toHaveLength(1);
  expect(api.unauthorized).toBe(0);
  const test = (await h.api('POST', '/v1/connectors/orders/test')).body;
  expect(test.reachable.ok).toBe(true);
  expect(test.authentication.ok).toBe(true);
});

it('refused client credentials mark the connector as needing attention and hold its actions without burning retries', async () => {
  await h.api('POST', '/v1/connectors', {
    name: 'orders-bad',
    baseUrl: api.url,
    auth: clientCredentialsOf(oauth, { clientSecret: 'wrong-secret-value', audience: API_AUDIENCE }),
  });
  await actionType(h, { connector: 'orders-bad', name: 'place-order-bad', path: '/orders', retry: { maxRetries: 1, interval: '10ms' } });
  const a = await launch(h, 'place-order-bad');
  const held = await h.waitFor(a.id, (x) => x.phase === 'throttled');
  expect(held).toMatchObject({ state: 'waiting', attempts: 0, retry: { count: 0 }, heldBy: { reason: 'needs_attention' } });
  const c = (await h.api('GET', '/v1/connectors/orders-bad')).body;
  expect(c.status.needsAttention).toContain('invalid_client');
  expect(JSON.stringify(c)).not.toContain('wrong-secret-value');
  const test = (await h.api('POST', '/v1/connectors/orders-bad/test')).body;
  expect(test.reachable.ok).toBe(true);
  expect(test.authentication).toMatchObject({ ok: false, detail: expect.stringContaining('invalid_client') });
  const tl = (await h.api('GET', `/v1/actions/${a.id}/timeline`)).body.items;
  expect(tl.some((e: { kind: string; message: string }) => e.kind === 'throttled' && e.message.includes('needs attention'))).toBe(true);

  // The builder fixes the secret; the held action goes at its next look and succeeds.
  await h.api('PATCH', '/v1/connectors/orders-bad', {
    auth: clientCredentialsOf(oauth, { audience: API_AUDIENCE }),
  });
  expect((await h.api('GET', '/v1/connectors/orders-bad')).body.status.needsAttention).toBeNull();
  await h.api('POST', `/v1/actions/${a.id}/retry`);
  const done = await h.waitFor(a.id, (x) => x.state === 'closed');
  expect(done).toMatchObject({ resolution: 'done_successfully', attempts: 1 });
});
