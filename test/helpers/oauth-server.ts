// A real OAuth 2.0 authorization server (oidc-provider) on loopback for the OAuth tests, plus a
// small resource server that accepts only tokens that server issued and still holds.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
// @ts-expect-error oidc-provider ships no type declarations; the little used here is typed below.
import ProviderClass from 'oidc-provider';
import { compileConnector, type AuthSpec } from '../../src/connectors/connector.ts';
import type { ConnectorEntry } from '../../src/engine/registry.ts';

/** The part of oidc-provider's token models the tests touch. */
interface TokenModel {
  destroy(): Promise<void>;
}
interface TokenModelClass {
  find(value: string): Promise<TokenModel | undefined>;
}
interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  use(fn: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): void;
  on(event: string, fn: (...args: unknown[]) => void): void;
  Client: { find(id: string): Promise<unknown> };
  Grant: new (init: { accountId: string; clientId: string }) => { addOIDCScope(scope: string): void; save(): Promise<string> };
  RefreshToken: new (init: Record<string, unknown>) => { save(): Promise<string> };
  ClientCredentials: TokenModelClass;
  AccessToken: TokenModelClass;
}
interface KoaContext {
  path: string;
  status: number;
  headers: Record<string, string | undefined>;
  oidc?: { body?: Record<string, string | undefined> };
}
const Provider = ProviderClass as new (issuer: string, config: Record<string, unknown>) => OidcProvider;

/** One call to the token endpoint, as the server saw it. */
export interface TokenRequestSeen {
  grantType: string | undefined;
  /** How the client authenticated: HTTP Basic header or credentials in the body. */
  clientAuth: 'basic' | 'body';
  audience: string | undefined;
  scope: string | undefined;
  status: number;
}

export interface OAuthServer {
  issuer: string;
  tokenUrl: string;
  /** A client registered for client_secret_post. */
  postClient: { id: string; secret: string };
  /** A client registered for client_secret_basic (its secret has characters Basic must encode). */
  basicClient: { id: string; secret: string };
  tokenRequests: TokenRequestSeen[];
  /** Mints a refresh token for postClient, as if a user had consented through the code flow. */
  mintRefreshToken(): Promise<string>;
  /** A connector's `auth` for postClient with a fresh refresh token (oauth2_refresh_token). */
  refreshTokenAuth(): Promise<Record<string, string>>;
  /** True when the server issued this access token and it is still valid. */
  isValid(accessToken: string): Promise<boolean>;
  /** Revokes an access token at the server (it stays cached by the client). */
  revoke(accessToken: string): Promise<void>;
  close(): Promise<void>;
}

export interface OAuthServerOptions {
  /** Access token lifetime in seconds. @default 120 */
  accessTokenTtl?: number;
}

/** A resource (API) the audience names. */
export const API_AUDIENCE = 'https://api.example.test/orders';

export async function startOAuthServer(opts: OAuthServerOptions = {}): Promise<OAuthServer> {
  const ttl = opts.accessTokenTtl ?? 120;
  const postClient = { id: 'callout-post', secret: 'post-secret-0123456789abcdef' };
  const basicClient = { id: 'callout-basic', secret: 'basic:secret+with/odd=chars%' };
  const clientBase = {
    grant_types: ['client_credentials', 'refresh_token', 'authorization_code'],
    response_types: ['code'],
    redirect_uris: ['https://callout.example.test/cb'],
    scope: 'offline_access orders:write',
  };
  const { server, url } = await listen();
  const provider = new Provider(url, {
    clients: [
      { ...clientBase, client_id: postClient.id, client_secret: postClient.secret, token_endpoint_auth_method: 'client_secret_post' },
      { ...clientBase, client_id: basicClient.id, client_secret: basicClient.secret, token_endpoint_auth_method: 'client_secret_basic' },
    ],
    scopes: ['openid', 'offline_access', 'orders:write'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Callout sends an `audience` parameter (as Auth0 and others name it): map it to the
        // resource indicator oidc-provider understands.
        defaultResource: (ctx: KoaContext) => ctx.oidc?.body?.audience,
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({
          scope: 'orders:write',
          audience: resource,
          accessTokenTTL: ttl,
          accessTokenFormat: 'opaque',
        }),
      },
    },
    ttl: { AccessToken: ttl, ClientCredentials: ttl, RefreshToken: 86_400, Grant: 86_400 },
    rotateRefreshToken: true,
    // Our own keys, so oidc-provider does not fall back to its shared development ones.
    cookies: { keys: [randomBytes(32).toString('hex')] },
    jwks: { keys: [generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' })] },
    findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
  });
  const tokenRequests: TokenRequestSeen[] = [];
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token') {
      const body = ctx.oidc?.body ?? {};
      tokenRequests.push({
        grantType: body.grant_type,
        clientAuth: ctx.headers.authorization ? 'basic' : 'body',
        audience: body.audience,
        scope: body.scope,
        status: ctx.status,
      });
    }
  });
  // oidc-provider reports server-side failures as events; surface them instead of hiding them.
  provider.on('server_error', (_ctx, err) => console.error('oidc-provider server_error', err));
  const handle = provider.callback();
  server.on('request', handle);

  const find = async (token: string): Promise<TokenModel | undefined> =>
    (await provider.ClientCredentials.find(token)) ?? (await provider.AccessToken.find(token));
  const mintRefreshToken = async (): Promise<string> => {
    const client = await provider.Client.find(postClient.id);
    const grant = new provider.Grant({ accountId: 'case-worker-1', clientId: postClient.id });
    grant.addOIDCScope('offline_access');
    const grantId = await grant.save();
    return new provider.RefreshToken({
      client,
      accountId: 'case-worker-1',
      grantId,
      scope: 'offline_access',
      gty: 'authorization_code',
    }).save();
  };
  return {
    issuer: url,
    tokenUrl: `${url}/token`,
    postClient,
    basicClient,
    tokenRequests,
    mintRefreshToken,
    async refreshTokenAuth() {
      return {
        type: 'oauth2_refresh_token',
        tokenUrl: `${url}/token`,
        clientId: postClient.id,
        clientSecret: postClient.secret,
        refreshToken: await mintRefreshToken(),
      };
    },
    isValid: async (token) => (await find(token)) !== undefined,
    async revoke(token) {
      await (await find(token))?.destroy();
    },
    close: () => closeServer(server),
  };
}

/** A loopback API that answers 200 to tokens `accepts` approves and 401 otherwise, and counts. */
export interface ResourceServer {
  url: string;
  requests: number;
  unauthorized: number;
  close(): Promise<void>;
}

export async function startResourceServer(accepts: (bearer: string) => Promise<boolean>): Promise<ResourceServer> {
  const { server, url } = await listen();
  const rs: ResourceServer = { url, requests: 0, unauthorized: 0, close: () => closeServer(server) };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    rs.requests++;
    req.resume();
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    void (m ? accepts(m[1]!) : Promise.resolve(false)).then(
      (ok) => {
        if (!ok) rs.unauthorized++;
        res.writeHead(ok ? 200 : 401, {
          'content-type': 'application/json',
          ...(ok ? {} : { 'www-authenticate': 'Bearer error="invalid_token"' }),
        });
        res.end(JSON.stringify(ok ? { ok: true } : { error: 'invalid_token' }));
      },
      (err: unknown) => {
        res.writeHead(500).end(String(err));
      },
    );
  });
  return rs;
}

/** A hand-written token endpoint for outage cases only: answers every request with `status`, or never. */
export async function startBrokenTokenEndpoint(behaviour: { status: number } | 'hang'): Promise<{ url: string; close(): Promise<void> }> {
  const { server, url } = await listen();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    if (behaviour === 'hang') return;
    res.writeHead(behaviour.status, { 'content-type': 'text/html' }).end('<h1>Service Unavailable</h1>');
  });
  return { url: `${url}/token`, close: () => closeServer(server) };
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const { server } = await listen();
  const port = (server.address() as AddressInfo).port;
  await closeServer(server);
  return port;
}

async function listen(): Promise<{ server: Server; url: string }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}

/** A connector entry as the registry would hold it, built through the real validation (every default set). */
export function connectorEntry(auth: AuthSpec, baseUrl: string, id = 'con_orders'): ConnectorEntry {
  const spec = compileConnector({ name: 'orders', baseUrl, auth, timeout: 5_000 }, { allowPrivateNetworks: true });
  return { id, revision: 1, createdAt: 0, updatedAt: 0, spec };
}

/** Client-credentials auth for the server's client_secret_post client. */
export function clientCredentialsOf(
  server: OAuthServer,
  over: Partial<Extract<AuthSpec, { type: 'oauth2_client_credentials' }>> = {},
): AuthSpec {
  return {
    type: 'oauth2_client_credentials',
    tokenUrl: server.tokenUrl,
    clientId: server.postClient.id,
    clientSecret: server.postClient.secret,
    clientAuth: 'body',
    ...over,
  };
}
