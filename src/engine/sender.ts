// Sending attempts: one undici Pool per connector (never the global fetch, several times slower
// here), the attempt timeout, and failures classified by undici's own error classes.

import { Pool, errors as undiciErrors } from 'undici';
import type { ConnectorEntry } from './registry.ts';
import { CredentialsRefusedError, TokenEndpointUnavailableError, staticAuth, type AuthProvider } from '../connectors/auth/provider.ts';
import { DestinationRefusedError, guardedLookup } from '../connectors/destination.ts';

export interface OutboundRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string | undefined;
  /** Checked right before the request goes out (a rate-limit permit's window): false → not sent. */
  stillAllowed?: () => boolean;
}

export type SendResult =
  | { kind: 'answered'; status: number; headers: Record<string, string>; body: string; durationMs: number }
  | { kind: 'connection_error' | 'timeout'; message: string; durationMs: number }
  | { kind: 'refused'; message: string; durationMs: number }
  /** Not sent: `stillAllowed` said the permit had run out (waiting for a token, a busy event loop). */
  | { kind: 'too_late'; message: string; durationMs: number }
  /** The connector's credentials were refused (e.g. by its token endpoint): a person must fix them. */
  | { kind: 'credentials_refused'; message: string; durationMs: number };

/** Most of a response body the engine keeps: enough for mapping, bounded for memory. */
const MAX_BODY = 1 << 20;

interface PoolEntry {
  revision: number;
  pool: Pool;
  auth: AuthProvider;
}

export class Sender {
  private pools = new Map<string, PoolEntry>();

  constructor(
    private readonly opts: {
      allowPrivateNetworks: boolean;
      connectionsPerConnector?: number;
      authFor?: (c: ConnectorEntry) => AuthProvider;
    },
  ) {}

  private entry(c: ConnectorEntry): PoolEntry {
    const hit = this.pools.get(c.id);
    if (hit && hit.revision === c.revision) return hit;
    if (hit) void hit.pool.close().catch(() => undefined);
    const origin = new URL(c.spec.baseUrl).origin;
    const pool = new Pool(origin, {
      connections: c.spec.maxConcurrency ?? this.opts.connectionsPerConnector ?? 128,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      connect: this.opts.allowPrivateNetworks
        ? { timeout: c.spec.timeoutMs }
        : { timeout: c.spec.timeoutMs, lookup: guardedLookup as never },
    });
    const e: PoolEntry = { revision: c.revision, pool, auth: (this.opts.authFor ?? ((x) => staticAuth(x.spec.auth)))(c) };
    this.pools.set(c.id, e);
    return e;
  }

  /** Names of headers added by the connector's auth: kept out of request logs. */
  authHeaderNames(c: ConnectorEntry): readonly string[] {
    return this.entry(c).auth.headerNames;
  }

  async send(c: ConnectorEntry, req: OutboundRequest): Promise<SendResult> {
    const e = this.entry(c);
    const started = performance.now();
    try {
      const authHeaders = await e.auth.headers();
      if (req.stillAllowed && !req.stillAllowed())
        return {
          kind: 'too_late',
          message: 'the rate-limit window ended before the request could start',
          durationMs: Math.round(performance.now() - started),
        };
      let result = await this.once(e, c, req, authHeaders, started);
      // A 401 may mean an expired token: renew once and resend once.
      if (
        result.kind === 'answered' &&
        result.status === 401 &&
        e.auth.renewAfterUnauthorized &&
        (await e.auth.renewAfterUnauthorized(authHeaders))
      ) {
        // Under a rate limit the resend needs a permit of its own.
        if (req.stillAllowed)
          return {
            kind: 'too_late',
            message: 'credentials renewed after a 401; resending with a new rate-limit permit',
            durationMs: Math.round(performance.now() - started),
          };
        result = await this.once(e, c, req, await e.auth.headers(), started);
      }
      return result;
    } catch (err) {
      // Failures of the connector's own authentication (token endpoint), classified by their classes.
      const durationMs = Math.round(performance.now() - started);
      if (err instanceof CredentialsRefusedError) return { kind: 'credentials_refused', message: err.message, durationMs };
      if (err instanceof TokenEndpointUnavailableError) return { kind: 'connection_error', message: err.message, durationMs };
      if (err instanceof DestinationRefusedError) return { kind: 'refused', message: err.message, durationMs };
      throw err;
    }
  }

  private async once(
    e: PoolEntry,
    c: ConnectorEntry,
    req: OutboundRequest,
    authHeaders: Record<string, string>,
    started: number,
  ): Promise<SendResult> {
    const timeoutMs = c.spec.timeoutMs;
    const durationMs = (): number => Math.round(performance.now() - started);
    try {
      const res = await e.pool.request({
        method: req.method as 'POST',
        path: req.url.pathname + req.url.search,
        headers: { ...req.headers, ...authHeaders },
        body: req.body,
        // undici's own per-phase timeouts (no AbortSignal per request: it costs more than the send).
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const body = await readBody(res.body);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      return { kind: 'answered', status: res.statusCode, headers, body, durationMs: durationMs() };
    } catch (err) {
      return classify(err, timeoutMs, durationMs());
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((e) => e.pool.close().catch(() => undefined)));
    this.pools.clear();
  }

  forget(connectorId: string): void {
    const e = this.pools.get(connectorId);
    if (e) void e.pool.close().catch(() => undefined);
    this.pools.delete(connectorId);
  }
}

/** The body as text, kept up to MAX_BODY and read to its end (listeners: an async iterator per response costs more). */
function readBody(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      if (size < MAX_BODY) chunks.push(chunk);
      size += chunk.length;
    });
    stream.on('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

function classify(err: unknown, timeoutMs: number, durationMs: number): SendResult {
  const cause = (err as { cause?: unknown }).cause;
  if (err instanceof DestinationRefusedError || cause instanceof DestinationRefusedError) {
    return { kind: 'refused', message: (cause instanceof DestinationRefusedError ? cause : (err as Error)).message, durationMs };
  }
  if (
    err instanceof undiciErrors.ConnectTimeoutError ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError')) ||
    (err as { name?: string }).name === 'TimeoutError'
  ) {
    return { kind: 'timeout', message: `no answer within ${timeoutMs} ms`, durationMs };
  }
  const code = (err as { code?: string }).code ?? (cause as { code?: string } | undefined)?.code;
  const message = (err as Error).message || String(err);
  return { kind: 'connection_error', message: code && !message.includes(code) ? `${code}: ${message}` : message, durationMs };
}
