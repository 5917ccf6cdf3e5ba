// 'Test connection': is the external system reachable, and are the credentials accepted? Two
// separate answers, so a builder knows which one to fix. Details never contain a secret.

import { Client, errors as undiciErrors } from 'undici';
import type { ConnectorEntry } from '../engine/registry.ts';
import { DestinationRefusedError, isLocalHostName } from './destination.ts';
import { outboundConnector } from './guarded-connect.ts';
import { authProviderFor, type AuthDeps } from './auth/index.ts';
import { type AuthProvider, CredentialsRefusedError, TokenEndpointUnavailableError } from './auth/provider.ts';
import { describeNetworkError, isTokenAuthProvider } from './auth/token-client.ts';

export interface ConnectionTestResult {
  /** Any HTTP answer from the base URL counts as reachable. */
  reachable: { ok: boolean; detail: string; status?: number; durationMs: number };
  /** null when there is nothing to check (no auth) or it could not be checked. */
  authentication: { ok: boolean | null; detail: string };
}

export interface TestConnectionDeps extends AuthDeps {
  /**
   * The provider the engine uses for this connector (`AuthProviders.for`). Pass it for
   * oauth2_refresh_token: a test with a separate provider would rotate the refresh token behind the
   * engine's back. @default a new provider from the connector's auth
   */
  auth?: AuthProvider;
  /** Reachability timeout. @default the connector's attempt timeout, at most 10 s */
  timeoutMs?: number;
}

const MAX_PROBE_TIMEOUT_MS = 10_000;

export async function testConnection(entry: ConnectorEntry, deps: TestConnectionDeps): Promise<ConnectionTestResult> {
  const spec = entry.spec;
  const provider = deps.auth ?? authProviderFor(entry, deps);
  const oauth = isTokenAuthProvider(provider);

  // For OAuth, obtaining a token is the authentication check; the probe then carries it.
  let tokenFailure: string | undefined;
  let authHeaders: Record<string, string> = {};
  if (oauth) {
    try {
      await provider.fetchNow();
      authHeaders = await provider.headers();
    } catch (err) {
      tokenFailure = describeTokenFailure(err);
    }
  } else authHeaders = await provider.headers();

  const headers: Record<string, string> = { 'user-agent': 'Callout/0.1 (test connection)' };
  for (const [k, v] of Object.entries(spec.headers)) headers[k.toLowerCase()] = v;
  Object.assign(headers, authHeaders);
  const reachable = await probe(
    spec.baseUrl,
    headers,
    deps.timeoutMs ?? Math.min(spec.timeoutMs, MAX_PROBE_TIMEOUT_MS),
    deps.allowPrivateNetworks,
  );
  const refused = reachable.status === 401 || reachable.status === 403;

  let authentication: ConnectionTestResult['authentication'];
  if (spec.auth.type === 'none') authentication = { ok: null, detail: 'no authentication configured' };
  else if (tokenFailure !== undefined) authentication = { ok: false, detail: tokenFailure };
  else if (oauth) {
    if (!reachable.ok)
      authentication = { ok: true, detail: 'token obtained from the token endpoint; the external system could not be reached to try it' };
    else if (refused) authentication = { ok: false, detail: `token obtained, but the external system answered ${reachable.status} to it` };
    else
      authentication = {
        ok: true,
        detail: `token obtained from the token endpoint; the external system answered ${reachable.status} with it`,
      };
  } else {
    if (!reachable.ok) authentication = { ok: null, detail: 'not checked: the external system could not be reached' };
    else if (refused) authentication = { ok: false, detail: `the external system answered ${reachable.status} to the credentials` };
    else authentication = { ok: true, detail: `the credentials were not refused: the external system answered ${reachable.status}` };
  }
  return { reachable, authentication };
}

function describeTokenFailure(err: unknown): string {
  // These messages are built from the endpoint URL (without query) and the server's OAuth error: no secrets.
  if (err instanceof CredentialsRefusedError || err instanceof TokenEndpointUnavailableError || err instanceof DestinationRefusedError)
    return err.message;
  throw err;
}

/** One GET to the base URL with its own short-lived connection. */
async function probe(
  baseUrl: string,
  headers: Record<string, string>,
  timeoutMs: number,
  allowPrivate: boolean,
): Promise<ConnectionTestResult['reachable']> {
  const started = performance.now();
  const durationMs = (): number => Math.round(performance.now() - started);
  const url = new URL(baseUrl);
  if (!allowPrivate && isLocalHostName(url.hostname)) {
    return {
      ok: false,
      detail: `refused: ${url.hostname} is a loopback or private address and the deployment does not allow private networks`,
      durationMs: durationMs(),
    };
  }
  const client = new Client(url.origin, {
    connect: outboundConnector({ timeout: timeoutMs, allowPrivateNetworks: allowPrivate }),
  });
  try {
    const res = await client.request({
      method: 'GET',
      path: url.pathname + url.search,
      headers,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body.dump();
    return { ok: true, status: res.statusCode, detail: `${url.host} answered HTTP ${res.statusCode}`, durationMs: durationMs() };
  } catch (err) {
    return { ok: false, detail: unreachableDetail(err, url, timeoutMs), durationMs: durationMs() };
  } finally {
    await client.destroy().catch(() => undefined); // nothing to keep: the probe is a one-off
  }
}

function unreachableDetail(err: unknown, url: URL, timeoutMs: number): string {
  const cause = (err as { cause?: unknown }).cause;
  if (err instanceof DestinationRefusedError) return `refused: ${err.message}`;
  if (cause instanceof DestinationRefusedError) return `refused: ${cause.message}`;
  if (
    err instanceof undiciErrors.ConnectTimeoutError ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    (err as { name?: string }).name === 'TimeoutError'
  ) {
    return `${url.host} did not answer within ${timeoutMs} ms`;
  }
  const code = (err as { code?: string }).code ?? (cause as { code?: string } | undefined)?.code;
  return `${url.host}: ${describeNetworkError(code, err)}`;
}
