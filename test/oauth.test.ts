// OAuth auth types against a real authorization server (oidc-provider) and a loopback API that
// accepts only the tokens that server issued.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuthSpec } from '../src/connectors/connector.ts';
import type { ConnectorEntry } from '../src/engine/registry.ts';
import { FakeClock } from '../src/clock.ts';
import { Sender } from '../src/engine/sender.ts';
import { DestinationRefusedError } from '../src/connectors/destination.ts';
import {
  AuthProviders,
  authProviderFor,
  closeTokenClients,
  CredentialsRefusedError,
  isTokenAuthProvider,
  TokenEndpointUnavailableError,
  type AuthDeps,
  type AuthProvider,
} from '../src/connectors/auth/index.ts';
import { requestToken, TokenCache, type TokenResponse } from '../src/connectors/auth/token-client.ts';
import {
  API_AUDIENCE,
  clientCredentialsOf,
  connectorEntry,
  closedPort,
  startBrokenTokenEndpoint,
  startOAuthServer,
  startResourceServer,
  type OAuthServer,
  type ResourceServer,
} from './helpers/oauth-server.ts';

let as: OAuthServer;
let api: ResourceServer;
const senders: Sender[] = [];

beforeAll(async () => {
  as = await startOAuthServer({ accessTokenTtl: 120 });
  api = await startResourceServer((token) => as.isValid(token));
});
afterEach(async () => {
  await Promise.all(senders.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await closeTokenClients();
  await api?.close();
  await as?.close();
});

const connector = (auth: AuthSpec, id = 'con_orders'): ConnectorEntry => connectorEntry(auth, api.url, id);

const clientCredentials = (over: Partial<Extract<AuthSpec, { type: 'oauth2_client_credentials' }>> = {}): AuthSpec =>
  clientCredentialsOf(as, over);

function deps(clock = new FakeClock(), extra: Partial<AuthDeps> = {}): AuthDeps {
  return { clock, allowPrivateNetworks: true, ...extra };
}

function senderFor(d: AuthDeps): Sender {
  const s = new Sender({ allowPrivateNetworks: true, authFor: (c) => authProviderFor(c, d) });
  senders.push(s);
  return s;
}

const getOrders = { method: 'GET', url: new URL('http://placeholder/orders'), headers: {}, body: undefined };
function send(s: Sender, c: ConnectorEntry): ReturnType<Sender['send']> {
  return s.send(c, { ...getOrders, url: new URL(`${api.url}/orders`) });
}

function bearer(headers: Record<string, string>): string {
  const m = /^Bearer (.+)$/.exec(headers.authorization ?? '');
  if (!m) throw new Error('no bearer token');
  return m[1]!;
}

/** Token requests the server has seen since `mark`. */
function tokenRequestsSince(mark: number): number {
  return as.tokenRequests.length - mark;
}

/** A renewal that says which Authorization header the server refused. */
function renew(p: AuthProvider, rejected: Record<string, string>): Promise<boolean> {
  if (!isTokenAuthProvider(p)) throw new Error('not an OAuth provider');
  return p.renewAfterUnauthorized(rejected);
}

async function rejection(p: unknown): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('oauth2_client_credentials', () => {
  it('fetches a token with the client credentials in the body, sending scope and audience', async () => {
    const p = authProviderFor(connector(clientCredentials({ scope: 'orders:write', audience: API_AUDIENCE })), deps());
    expect(p.headerNames).toEqual(['authorization']);
    const token = bearer(await p.headers());
    expect(await as.isValid(token)).toBe(true);
    expect(as.tokenRequests.at(-1)).toEqual({
      grantType: 'client_credentials',
      clientAuth: 'body',
      scope: 'orders:write',
      audience: API_AUDIENCE,
      status: 200,
    });
  });

  it('fetches a token with HTTP Basic client authentication, form-encoding the id and secret', async () => {
    const p = authProviderFor(
      connector(clientCredentials({ clientId: as.basicClient.id, clientSecret: as.basicClient.secret, clientAuth: 'basic' })),
      deps(),
    );
    const token = bearer(await p.headers());
    expect(await as.isValid(token)).toBe(true);
    expect(as.tokenRequests.at(-1)).toMatchObject({ grantType: 'client_credentials', clientAuth: 'basic', status: 200 });
  });

  it('caches the token: 20 sends need one token request', async () => {
    const mark = as.tokenRequests.length;
    const s = senderFor(deps());
    const c = connector(clientCredentials());
    for (let i = 0; i < 20; i++) expect(await send(s, c)).toMatchObject({ kind: 'answered', status: 200 });
    expect(tokenRequestsSince(mark)).toBe(1);
  });

  it('refreshes the token before it expires, measured with the injected clock', async () => {
    const clock = new FakeClock();
    const p = authProviderFor(connector(clientCredentials()), deps(clock));
    const mark = as.tokenRequests.length;
    const first = bearer(await p.headers());
    // 120 s lifetime: refresh when less than max(30 s, 12 s) remains, i.e. from 90 s on.
    clock.advance(89_000);
    expect(bearer(await p.headers())).toBe(first);
    expect(tokenRequestsSince(mark)).toBe(1);
    clock.advance(2_000);
    const second = bearer(await p.headers());
    expect(second).not.toBe(first);
    expect(tokenRequestsSince(mark)).toBe(2);
    expect(await as.isValid(second)).toBe(true);
  });

  it('50 concurrent sends while the token is expired cause exactly one token request', async () => {
    const clock = new FakeClock();
    const s = senderFor(deps(clock));
    const c = connector(clientCredentials());
    expect(await send(s, c)).toMatchObject({ status: 200 });
    clock.advance(121_000);
    const mark = as.tokenRequests.length;
    const results = await Promise.all(Array.from({ length: 50 }, () => send(s, c)));
    expect(results.map((r) => (r.kind === 'answered' ? r.status : r.kind))).toEqual(Array(50).fill(200));
    expect(tokenRequestsSince(mark)).toBe(1);
  });

  it('a 401 from the external system forces one refresh and one resend', async () => {
    const clock = new FakeClock();
    const d = deps(clock);
    let provider: AuthProvider | undefined;
    const s = new Sender({ allowPrivateNetworks: true, authFor: (c) => (provider = authProviderFor(c, d)) });
    senders.push(s);
    const c = connector(clientCredentials());
    expect(await send(s, c)).toMatchObject({ status: 200 });
    await as.revoke(bearer(await provider!.headers())); // still cached by Callout, no longer valid
    const [mark, unauthorized, requests] = [as.tokenRequests.length, api.unauthorized, api.requests];
    expect(await send(s, c)).toMatchObject({ kind: 'answered', status: 200 });
    expect(api.unauthorized - unauthorized).toBe(1);
    expect(api.requests - requests).toBe(2);
    expect(tokenRequestsSince(mark)).toBe(1);
  });

  it('50 concurrent 401s cause one refresh, and every send is resent once', async () => {
    const d = deps();
    let provider: AuthProvider | undefined;
    const s = new Sender({ allowPrivateNetworks: true, authFor: (c) => (provider = authProviderFor(c, d)) });
    senders.push(s);
    const c = connector(clientCredentials());
    expect(await send(s, c)).toMatchObject({ status: 200 });
    await as.revoke(bearer(await provider!.headers()));
    const [mark, unauthorized, requests] = [as.tokenRequests.length, api.unauthorized, api.requests];
    const results = await Promise.all(Array.from({ length: 50 }, () => send(s, c)));
    expect(results.map((r) => (r.kind === 'answered' ? r.status : r.kind))).toEqual(Array(50).fill(200));
    expect(api.unauthorized - unauthorized).toBe(50);
    expect(api.requests - requests).toBe(100);
    expect(tokenRequestsSince(mark)).toBe(1);
  });

  it('a 401 for a token that was already replaced does not refresh again', async () => {
    const p = authProviderFor(connector(clientCredentials()), deps());
    const old = await p.headers();
    const mark = as.tokenRequests.length;
    expect(await renew(p, old)).toBe(true);
    const renewed = await p.headers();
    expect(renewed.authorization).not.toBe(old.authorization);
    expect(await renew(p, old)).toBe(true);
    expect(tokenRequestsSince(mark)).toBe(1);
    expect(await renew(p, renewed)).toBe(true);
    expect(tokenRequestsSince(mark)).toBe(2);
  });

  it('a wrong client secret is refused with CredentialsRefusedError, and the secret appears nowhere', async () => {
    const wrong = 'wrong-secret-do-not-print-9f8e7d';
    for (const auth of [
      clientCredentials({ clientSecret: wrong }),
      clientCredentials({ clientId: as.basicClient.id, clientSecret: wrong, clientAuth: 'basic' }),
    ]) {
      const err = await rejection(authProviderFor(connector(auth), deps()).headers());
      expect(err).toBeInstanceOf(CredentialsRefusedError);
      const e = err as CredentialsRefusedError;
      expect(e).toMatchObject({ code: 'CREDENTIALS_REFUSED', error: 'invalid_client', status: 401, retryable: false });
      expect(e.message).toMatch(/^token endpoint refused the client credentials: invalid_client/);
      for (const text of [e.message, e.stack ?? '', JSON.stringify(e), String(e.errorDescription)]) expect(text).not.toContain(wrong);
    }
  });

  it('an unreachable token endpoint gives TokenEndpointUnavailableError, retryable', async () => {
    const tokenUrl = `http://127.0.0.1:${await closedPort()}/token`;
    const err = await rejection(authProviderFor(connector(clientCredentials({ tokenUrl })), deps()).headers());
    expect(err).toBeInstanceOf(TokenEndpointUnavailableError);
    expect(err).toMatchObject({ code: 'TOKEN_ENDPOINT_UNAVAILABLE', reason: 'unreachable', retryable: true });
    expect((err as Error).message).toContain('connection refused');
    expect((err as Error).message).not.toContain(as.postClient.secret);
  });

  it('a token endpoint answering 503 or not at all gives TokenEndpointUnavailableError', async () => {
    const down = await startBrokenTokenEndpoint({ status: 503 });
    const hung = await startBrokenTokenEndpoint('hang');
    try {
      const base = {
        clientId: 'c',
        clientSecret: 's',
        clientAuth: 'body' as const,
        allowPrivateNetworks: true,
        grant: { type: 'client_credentials' as const },
      };
      expect(await rejection(requestToken({ ...base, tokenUrl: down.url }))).toMatchObject({
        code: 'TOKEN_ENDPOINT_UNAVAILABLE',
        reason: 'server_error',
        status: 503,
      });
      expect(await rejection(requestToken({ ...base, tokenUrl: hung.url, timeoutMs: 300 }))).toMatchObject({
        code: 'TOKEN_ENDPOINT_UNAVAILABLE',
        reason: 'timeout',
      });
    } finally {
      await down.close();
      await hung.close();
    }
  });

  it('refuses a token URL on a loopback address unless private networks are allowed', async () => {
    const p = authProviderFor(connector(clientCredentials()), deps(new FakeClock(), { allowPrivateNetworks: false }));
    const err = await rejection(p.headers());
    expect(err).toBeInstanceOf(DestinationRefusedError);
    expect((err as Error).message).toContain('loopback or private');
  });

  it('keeps a still-valid token when the endpoint is down during the refresh window', async () => {
    const clock = new FakeClock();
    let down = false;
    const real = (): Promise<TokenResponse> =>
      requestToken({
        tokenUrl: as.tokenUrl,
        grant: { type: 'client_credentials' },
        clientId: as.postClient.id,
        clientSecret: as.postClient.secret,
        clientAuth: 'body',
        allowPrivateNetworks: true,
      });
    const cache = new TokenCache(
      () => (down ? Promise.reject(new TokenEndpointUnavailableError('unreachable', 'token endpoint down')) : real()),
      clock,
    );
    const first = await cache.authorization();
    down = true;
    clock.advance(100_000); // in the refresh window, 20 s before expiry
    expect(await cache.authorization()).toBe(first);
    clock.advance(21_000); // expired: nothing left to fall back on
    expect(await rejection(cache.authorization())).toBeInstanceOf(TokenEndpointUnavailableError);
    down = false;
    expect(await cache.authorization()).not.toBe(first);
  });
});

describe('oauth2_refresh_token', () => {
  function refreshAuth(refreshToken: string): AuthSpec {
    return {
      type: 'oauth2_refresh_token',
      tokenUrl: as.tokenUrl,
      clientId: as.postClient.id,
      clientSecret: as.postClient.secret,
      refreshToken,
    };
  }

  it('exchanges the stored refresh token, keeps each rotated one and reports it for persisting', async () => {
    const stored = await as.mintRefreshToken();
    const rotated: Array<[string, string]> = [];
    const p = authProviderFor(
      connector(refreshAuth(stored), 'con_rt'),
      deps(new FakeClock(), { onRefreshTokenRotated: (id, t) => rotated.push([id, t]) }),
    );
    const first = await p.headers();
    expect(await as.isValid(bearer(first))).toBe(true);
    expect(as.tokenRequests.at(-1)).toMatchObject({ grantType: 'refresh_token', status: 200 });
    expect(rotated).toHaveLength(1);
    expect(rotated[0]![0]).toBe('con_rt');
    expect(rotated[0]![1]).not.toBe(stored);

    // The next refresh must use the rotated token: the server refuses (and revokes on) reuse of the old one.
    expect(await renew(p, first)).toBe(true);
    const second = await p.headers();
    expect(await as.isValid(bearer(second))).toBe(true);
    expect(rotated).toHaveLength(2);
    expect(rotated[1]![1]).not.toBe(rotated[0]![1]);
    expect(as.tokenRequests.at(-1)).toMatchObject({ grantType: 'refresh_token', status: 200 });
  });

  it('a refresh token the server no longer accepts is refused with CredentialsRefusedError (invalid_grant)', async () => {
    const stored = await as.mintRefreshToken();
    await authProviderFor(connector(refreshAuth(stored)), deps()).headers(); // rotates: `stored` is now used up
    const err = await rejection(authProviderFor(connector(refreshAuth(stored)), deps()).headers());
    expect(err).toBeInstanceOf(CredentialsRefusedError);
    expect(err).toMatchObject({ code: 'CREDENTIALS_REFUSED', grant: 'refresh_token', error: 'invalid_grant' });
    expect((err as Error).message).toMatch(/^token endpoint refused the refresh token: invalid_grant/);
    expect((err as Error).message).not.toContain(stored);
  });

  it('persisting a rotated refresh token (a new connector revision) keeps the provider and its token', async () => {
    const stored = await as.mintRefreshToken();
    let latest = '';
    const providers = new AuthProviders(deps(new FakeClock(), { onRefreshTokenRotated: (_id, t) => (latest = t) }));
    const rev1 = connector(refreshAuth(stored), 'con_rt2');
    const p1 = providers.for(rev1);
    const token = await p1.headers();
    const mark = as.tokenRequests.length;
    const rev2: ConnectorEntry = { ...rev1, revision: 2, spec: { ...rev1.spec, auth: refreshAuth(latest) } };
    expect(providers.for(rev2)).toBe(p1);
    expect(await providers.for(rev2).headers()).toEqual(token);
    expect(tokenRequestsSince(mark)).toBe(0);
    // A refresh token pasted in by an operator is a new credential: a new provider.
    const rev3: ConnectorEntry = { ...rev1, revision: 3, spec: { ...rev1.spec, auth: refreshAuth(await as.mintRefreshToken()) } };
    expect(providers.for(rev3)).not.toBe(p1);
  });
});
