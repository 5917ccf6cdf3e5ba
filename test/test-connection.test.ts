// 'Test connection' says separately whether the external system is reachable and whether the
// credentials work, against a real authorization server (oidc-provider) and a loopback API.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthSpec } from '../src/connectors/connector.ts';
import type { ConnectorEntry } from '../src/engine/registry.ts';
import { FakeClock } from '../src/clock.ts';
import { AuthProviders, authProviderFor, closeTokenClients, type AuthDeps } from '../src/connectors/auth/index.ts';
import { testConnection } from '../src/connectors/test-connection.ts';
import {
  clientCredentialsOf,
  closedPort,
  connectorEntry,
  startOAuthServer,
  startResourceServer,
  type OAuthServer,
  type ResourceServer,
} from './helpers/oauth-server.ts';

let as: OAuthServer;
let api: ResourceServer;
let closedUrl: string;

beforeAll(async () => {
  as = await startOAuthServer();
  api = await startResourceServer((token) => as.isValid(token));
  closedUrl = `http://127.0.0.1:${await closedPort()}`;
});
afterAll(async () => {
  await closeTokenClients();
  await api?.close();
  await as?.close();
});

const connector = (auth: AuthSpec, baseUrl = api.url): ConnectorEntry => connectorEntry(auth, baseUrl);

const clientCredentials = (over: Partial<Extract<AuthSpec, { type: 'oauth2_client_credentials' }>> = {}): AuthSpec =>
  clientCredentialsOf(as, over);

const deps = (extra: Partial<AuthDeps> = {}): AuthDeps => ({ clock: new FakeClock(), allowPrivateNetworks: true, ...extra });

describe('Test connection', () => {
  it('reports a reachable system and working client credentials', async () => {
    const r = await testConnection(connector(clientCredentials()), deps());
    expect(r.reachable).toMatchObject({ ok: true, status: 200 });
    expect(r.reachable.durationMs).toBeGreaterThanOrEqual(0);
    expect(r.authentication).toEqual({
      ok: true,
      detail: 'token obtained from the token endpoint; the external system answered 200 with it',
    });
  });

  it('reports reachable but authentication failed when the token endpoint refuses the client secret', async () => {
    const wrong = 'wrong-secret-never-shown-4242';
    const r = await testConnection(connector(clientCredentials({ clientSecret: wrong })), deps());
    expect(r.reachable).toMatchObject({ ok: true, status: 401 }); // the probe went without a token
    expect(r.authentication.ok).toBe(false);
    expect(r.authentication.detail).toMatch(/^token endpoint refused the client credentials: invalid_client/);
    expect(JSON.stringify(r)).not.toContain(wrong);
  });

  it('reports reachable but authentication failed when the external system answers 401 to static credentials', async () => {
    const r = await testConnection(connector({ type: 'bearer', token: 'not-a-token-we-issued' }), deps());
    expect(r.reachable).toMatchObject({ ok: true, status: 401 });
    expect(r.authentication).toEqual({ ok: false, detail: 'the external system answered 401 to the credentials' });
    expect(JSON.stringify(r)).not.toContain('not-a-token-we-issued');
  });

  it('reports static credentials the external system accepts as ok', async () => {
    const token = /^Bearer (.+)$/.exec((await authProviderFor(connector(clientCredentials()), deps()).headers()).authorization!)![1]!;
    const r = await testConnection(connector({ type: 'bearer', token }), deps());
    expect(r.reachable).toMatchObject({ ok: true, status: 200 });
    expect(r.authentication.ok).toBe(true);
  });

  it('says there is nothing to check without authentication', async () => {
    const r = await testConnection(connector({ type: 'none' }), deps());
    expect(r.reachable.ok).toBe(true);
    expect(r.authentication).toEqual({ ok: null, detail: 'no authentication configured' });
  });

  it('reports an unreachable system (closed port), leaving static credentials unchecked', async () => {
    const r = await testConnection(connector({ type: 'basic', username: 'u', password: 'p4ssw0rd-secret' }, closedUrl), deps());
    expect(r.reachable.ok).toBe(false);
    expect(r.reachable.status).toBeUndefined();
    expect(r.reachable.detail).toContain('connection refused');
    expect(r.authentication).toEqual({ ok: null, detail: 'not checked: the external system could not be reached' });
  });

  it('keeps the two apart: system unreachable while the token endpoint issues a token', async () => {
    const r = await testConnection(connector(clientCredentials(), closedUrl), deps());
    expect(r.reachable.ok).toBe(false);
    expect(r.reachable.detail).toContain('connection refused');
    expect(r.authentication.ok).toBe(true);
  });

  it('keeps the two apart: system reachable while the token endpoint is unreachable', async () => {
    const r = await testConnection(connector(clientCredentials({ tokenUrl: `${closedUrl}/token` })), deps());
    expect(r.reachable.ok).toBe(true);
    expect(r.authentication.ok).toBe(false);
    expect(r.authentication.detail).toMatch(/^token endpoint http:\/\/127\.0\.0\.1:\d+\/token unreachable: connection refused/);
  });

  it('reports a private address refused when the deployment does not allow private networks', async () => {
    const r = await testConnection(connector(clientCredentials()), deps({ allowPrivateNetworks: false }));
    expect(r.reachable.ok).toBe(false);
    expect(r.reachable.detail).toContain('loopback or private address');
    expect(r.authentication.ok).toBe(false);
    expect(r.authentication.detail).toContain('loopback or private address');
  });

  it('tests a refresh-token connector through the engine provider, so the rotated refresh token stays in use', async () => {
    const rotated: string[] = [];
    const providers = new AuthProviders(deps({ onRefreshTokenRotated: (_id, t) => rotated.push(t) }));
    const c = connector({
      type: 'oauth2_refresh_token',
      tokenUrl: as.tokenUrl,
      clientId: as.postClient.id,
      clientSecret: as.postClient.secret,
      refreshToken: await as.mintRefreshToken(),
    });
    const engineProvider = providers.for(c);
    await engineProvider.headers();
    const r = await testConnection(c, { ...deps(), auth: providers.for(c) });
    expect(r.authentication.ok).toBe(true);
    expect(r.reachable).toMatchObject({ ok: true, status: 200 });
    expect(rotated).toHaveLength(2);
    // The engine's provider still refreshes fine: it holds the token the test rotated to.
    const again = await testConnection(c, { ...deps(), auth: engineProvider });
    expect(again.authentication.ok).toBe(true);
    expect(rotated).toHaveLength(3);
  });
});
