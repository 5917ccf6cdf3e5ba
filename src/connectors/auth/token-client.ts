// The OAuth 2.0 token endpoint call shared by both OAuth auth types (RFC 6749 §4.4 and §6), and
// the cached token they hand out: refreshed before expiry, one refresh at a time.

import { Agent, request, errors as undiciErrors } from 'undici';
import type { Clock } from '../../clock.ts';
import { DestinationRefusedError, isLocalHostName } from '../destination.ts';
import { outboundConnector } from '../guarded-connect.ts';
import { type AuthProvider, CredentialsRefusedError, type TokenGrant, TokenEndpointUnavailableError } from './provider.ts';
import { Redactor } from './redact.ts';

/** @default 10 s: connect, headers and body together. */
export const TOKEN_TIMEOUT_MS = 10_000;
/** Most of a token response kept: a token answer is small, anything bigger is not one. */
const MAX_TOKEN_BODY = 64 * 1024;

export interface TokenRequest {
  tokenUrl: string;
  grant: { type: 'client_credentials'; scope?: string; audience?: string } | { type: 'refresh_token'; refreshToken: string };
  clientId: string;
  /** Absent for a public client (refresh_token only): client_id goes in the body alone. */
  clientSecret?: string;
  /** 'body' is client_secret_post, 'basic' client_secret_basic (RFC 6749 §2.3.1). */
  clientAuth: 'body' | 'basic';
  /** When false the token URL must not be (or resolve to) a loopback or private address. */
  allowPrivateNetworks: boolean;
  /** @default TOKEN_TIMEOUT_MS */
  timeoutMs?: number;
}

export interface TokenResponse {
  accessToken: string;
  /** Always 'Bearer': other token types (DPoP, MAC) are refused as an invalid response. */
  tokenType: 'Bearer';
  /** Lifetime from `expires_in`; undefined when the server did not say (then kept until a 401). */
  expiresInMs: number | undefined;
  /** Present when the server issued (or rotated) a refresh token. */
  refreshToken: string | undefined;
  scope: string | undefined;
}

// One Agent (a pool per token origin) for each network policy, shared by every connector.
const agents: { open?: Agent; guarded?: Agent } = {};

function agentFor(allowPrivate: boolean): Agent {
  const key = allowPrivate ? 'open' : 'guarded';
  return (agents[key] ??= new Agent({
    keepAliveTimeout: 10_000,
    connect: outboundConnector({ timeout: TOKEN_TIMEOUT_MS, allowPrivateNetworks: allowPrivate }),
  }));
}

/** Closes the token endpoint connections (on shutdown, and after tests). */
export async function closeTokenClients(): Promise<void> {
  const all = [agents.open, agents.guarded].filter((a): a is Agent => a !== undefined);
  delete agents.open;
  delete agents.guarded;
  await Promise.all(all.map((a) => a.close()));
}

/** Calls the token endpoint once. Throws CredentialsRefusedError, TokenEndpointUnavailableError or DestinationRefusedError. */
export async function requestToken(req: TokenRequest): Promise<TokenResponse> {
  const url = new URL(req.tokenUrl);
  const where = `${url.origin}${url.pathname}`; // never the query: it is not ours to print
  const grant: TokenGrant = req.grant.type;
  if (!req.allowPrivateNetworks && isLocalHostName(url.hostname)) {
    throw new DestinationRefusedError(
      `token endpoint ${url.hostname} is a loopback or private address; the deployment does not allow private networks (CALLOUT_ALLOW_PRIVATE_NETWORKS=1)`,
    );
  }
  const form = new URLSearchParams({ grant_type: grant });
  if (req.grant.type === 'client_credentials') {
    if (req.grant.scope) form.set('scope', req.grant.scope);
    if (req.grant.audience) form.set('audience', req.grant.audience);
  } else form.set('refresh_token', req.grant.refreshToken);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (req.clientSecret !== undefined && req.clientAuth === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${formEncode(req.clientId)}:${formEncode(req.clientSecret)}`).toString('base64')}`;
  } else {
    form.set('client_id', req.clientId);
    if (req.clientSecret !== undefined) form.set('client_secret', req.clientSecret);
  }

  const timeoutMs = req.timeoutMs ?? TOKEN_TIMEOUT_MS;
  let status: number;
  let text: string;
  try {
    const res = await request(url, {
      method: 'POST',
      headers,
      body: form.toString(),
      dispatcher: agentFor(req.allowPrivateNetworks),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = res.statusCode;
    text = await readBounded(res.body);
  } catch (err) {
    if (err instanceof TokenBodyTooLargeError)
      throw new TokenEndpointUnavailableError(
        'invalid_response',
        `token endpoint ${where} answered with more than ${MAX_TOKEN_BODY} bytes`,
        status!,
      );
    throw networkFailure(err, where, timeoutMs);
  }

  const json = parseJson(text);
  if (status >= 200 && status < 300) return tokenFrom(json, where, status);
  if (status >= 500 || status === 429 || status === 408) {
    throw new TokenEndpointUnavailableError('server_error', `token endpoint ${where} answered HTTP ${status}`, status);
  }
  // Any other answer is the server saying no: wrong credentials, revoked grant, wrong URL.
  // Server text goes into messages: cut it short and make sure it cannot echo a secret back.
  const redactor = Redactor.of([
    req.clientSecret,
    req.grant.type === 'refresh_token' ? req.grant.refreshToken : undefined,
    headers.authorization,
  ]);
  const error = typeof json?.error === 'string' && json.error ? redactor.excerpt(json.error, 100, '…') : `http_${status}`;
  const description =
    typeof json?.error_description === 'string' && json.error_description ? redactor.excerpt(json.error_description, 300, '…') : undefined;
  throw new CredentialsRefusedError(grant, error, description, status);
}

function tokenFrom(json: Record<string, unknown> | undefined, where: string, status: number): TokenResponse {
  const invalid = (why: string): TokenEndpointUnavailableError =>
    new TokenEndpointUnavailableError('invalid_response', `token endpoint ${where} answered HTTP ${status} ${why}`, status);
  if (!json) throw invalid('without a JSON body');
  if (typeof json.access_token !== 'string' || json.access_token === '') throw invalid('without an access_token');
  const type = json.token_type === undefined ? 'bearer' : String(json.token_type).toLowerCase();
  if (type !== 'bearer')
    throw invalid(`with token_type ${JSON.stringify(String(json.token_type).slice(0, 40))}; only Bearer tokens are supported`);
  const expiresIn = typeof json.expires_in === 'string' ? Number(json.expires_in) : json.expires_in;
  return {
    accessToken: json.access_token,
    tokenType: 'Bearer',
    expiresInMs: typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : undefined,
    refreshToken: typeof json.refresh_token === 'string' && json.refresh_token !== '' ? json.refresh_token : undefined,
    scope: typeof json.scope === 'string' ? json.scope : undefined,
  };
}

/** Classifies a failed call by undici's own error classes, never by its message. */
function networkFailure(err: unknown, where: string, timeoutMs: number): Error {
  const cause = (err as { cause?: unknown }).cause;
  if (err instanceof DestinationRefusedError) return err;
  if (cause instanceof DestinationRefusedError) return cause;
  if (
    err instanceof undiciErrors.ConnectTimeoutError ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    (err as { name?: string }).name === 'TimeoutError'
  ) {
    return new TokenEndpointUnavailableError('timeout', `token endpoint ${where} did not answer within ${timeoutMs} ms`);
  }
  const code = (err as { code?: string }).code ?? (cause as { code?: string } | undefined)?.code;
  return new TokenEndpointUnavailableError('unreachable', `token endpoint ${where} unreachable: ${describeNetworkError(code, err)}`);
}

/** A short human cause for a connection failure ("connection refused", "DNS lookup failed"). */
export function describeNetworkError(code: string | undefined, err: unknown): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (ECONNREFUSED)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `DNS lookup failed (${code})`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return `connection closed by the server (${code})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to host (${code})`;
    default:
      return code ? `${code}: ${(err as Error).message}` : (err as Error).message || String(err);
  }
}

class TokenBodyTooLargeError extends Error {}

/** Reads at most MAX_TOKEN_BODY: past it, stops (leaving the loop destroys the stream and its connection). */
async function readBounded(body: AsyncIterable<Buffer | Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_TOKEN_BODY) throw new TokenBodyTooLargeError();
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // not JSON: classified by status alone
  }
}

function formEncode(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+');
}

// ---- the cached token -------------------------------------------------------------------------

/** How long after a forced renewal a further 401 is taken to be about the token it replaced. */
const RENEWAL_DEDUPE_MS = 5_000;
/** After the endpoint fails while the cached token is still valid, keep using it this long before trying again. */
const REFRESH_HOLD_MS = 5_000;

interface CachedToken {
  authorization: string;
  /** When to fetch a new one; undefined when the server gave no lifetime (then: until a 401). */
  refreshAt: number | undefined;
  expiresAt: number | undefined;
}

/**
 * Refresh when less than max(30 s, 10 % of the lifetime) remains; never more than half the lifetime
 * early, so a short-lived token is not refetched on every send.
 */
export function refreshMarginMs(lifetimeMs: number): number {
  return Math.min(Math.max(30_000, lifetimeMs * 0.1), lifetimeMs / 2);
}

/**
 * An access token held for one connector. Concurrent callers share one in-flight fetch, both for a
 * refresh before expiry and for a renewal after 401s.
 */
export class TokenCache {
  private token: CachedToken | undefined;
  private inFlight: Promise<CachedToken> | undefined;
  private lastRenewalAt = -Infinity;
  private holdUntil = -Infinity;

  constructor(
    private readonly fetchToken: () => Promise<TokenResponse>,
    private readonly clock: Clock,
  ) {}

  /** The Authorization header value, fetching or refreshing the token when due. */
  async authorization(): Promise<string> {
    const t = this.token;
    const now = this.clock.now();
    if (t && (t.refreshAt === undefined || now < t.refreshAt)) return t.authorization;
    if (t && t.expiresAt !== undefined && now < t.expiresAt) {
      // Due for refresh but still valid: an endpoint outage must not fail sends the token still covers.
      if (now < this.holdUntil) return t.authorization;
      try {
        return (await this.fetch()).authorization;
      } catch (err) {
        if (!(err instanceof TokenEndpointUnavailableError) || this.clock.now() >= t.expiresAt) throw err;
        this.holdUntil = this.clock.now() + REFRESH_HOLD_MS;
        return t.authorization;
      }
    }
    return (await this.fetch()).authorization;
  }

  /**
   * After a 401: fetch a new token unless another caller already did for the same rejection.
   * `rejected` is the Authorization value the refused request carried, when the caller knows it;
   * without it, a renewal finished in the last few seconds counts as this one.
   */
  async renewAfterUnauthorized(rejected?: string): Promise<boolean> {
    if (this.inFlight) {
      await this.inFlight;
      return true;
    }
    if (
      rejected !== undefined
        ? this.token !== undefined && this.token.authorization !== rejected
        : this.clock.now() - this.lastRenewalAt < RENEWAL_DEDUPE_MS
    ) {
      return true;
    }
    this.token = undefined; // the server no longer takes it: do not hand it out again
    await this.fetch();
    this.lastRenewalAt = this.clock.now();
    return true;
  }

  /** Fetches a new token now (Test connection), sharing a fetch already in flight. */
  async fetchNow(): Promise<void> {
    await this.fetch();
  }

  private fetch(): Promise<CachedToken> {
    this.inFlight ??= this.fetchAndStore().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchAndStore(): Promise<CachedToken> {
    const requestedAt = this.clock.now(); // lifetime counts from the request: errs on the early side
    const res = await this.fetchToken();
    const life = res.expiresInMs;
    const t: CachedToken = {
      authorization: `Bearer ${res.accessToken}`,
      expiresAt: life === undefined ? undefined : requestedAt + life,
      refreshAt: life === undefined ? undefined : requestedAt + life - refreshMarginMs(life),
    };
    this.token = t;
    this.holdUntil = -Infinity;
    return t;
  }
}

/** An AuthProvider backed by a token endpoint. */
export interface TokenAuthProvider extends AuthProvider {
  readonly kind: 'oauth';
  /** Fetches a fresh token now; rejects with the endpoint's failure (the Test connection check). */
  fetchNow(): Promise<void>;
  renewAfterUnauthorized(rejectedHeaders?: Record<string, string>): Promise<boolean>;
}

export function isTokenAuthProvider(p: AuthProvider): p is TokenAuthProvider {
  return (p as Partial<TokenAuthProvider>).kind === 'oauth';
}

/** The shared shape of both OAuth providers: a TokenCache behind the AuthProvider interface. */
export function tokenAuthProvider(cache: TokenCache): TokenAuthProvider {
  return {
    kind: 'oauth',
    headerNames: ['authorization'],
    headers: async () => ({ authorization: await cache.authorization() }),
    renewAfterUnauthorized: (rejectedHeaders) => cache.renewAfterUnauthorized(rejectedHeaders?.authorization),
    fetchNow: () => cache.fetchNow(),
  };
}
