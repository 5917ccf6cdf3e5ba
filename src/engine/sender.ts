// Sending attempts: one undici Pool per connector (never the global fetch, several times slower
// here), a deadline on the whole attempt, a bounded response body, and failures classified by
// undici's own error classes.

import { Pool, type Dispatcher, errors as undiciErrors } from 'undici';
import { headerValueProblem } from '../validation/header-value.ts';
import type { ConnectorEntry } from './registry.ts';
import { CredentialsRefusedError, TokenEndpointUnavailableError, staticAuth, type AuthProvider } from '../connectors/auth/provider.ts';
import { DestinationRefusedError } from '../connectors/destination.ts';
import { outboundConnector } from '../connectors/guarded-connect.ts';
import { Redactor, authSecrets } from '../connectors/auth/redact.ts';

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
  /** Answered, but the body went past MAX_RESPONSE_BODY: reading stopped there; `body` is its start. */
  | { kind: 'too_large'; status: number; headers: Record<string, string>; body: string; message: string; durationMs: number }
  | { kind: 'connection_error' | 'timeout'; message: string; durationMs: number }
  | { kind: 'refused'; message: string; durationMs: number }
  /** The HTTP client would not build the request (a header it cannot carry): nothing went out. */
  | { kind: 'unsendable'; message: string; durationMs: number }
  /** Not sent: `stillAllowed` said the permit had run out (waiting for a token, a busy event loop). */
  | { kind: 'too_late'; message: string; durationMs: number }
  /** The connector's credentials were refused (e.g. by its token endpoint): a person must fix them. */
  | { kind: 'credentials_refused'; message: string; durationMs: number };

/**
 * A send's result and the redactor for the credentials it carried: what is recorded or shown of the
 * answer (excerpts, messages) goes through it, as the external system may echo them back.
 */
export type Sent = SendResult & { readonly redactor: Redactor };

/** Most of a response body read: enough for mapping, bounded for memory. Past it the attempt stops reading. */
export const MAX_RESPONSE_BODY = 1 << 20;
/** How often the deadline sweep runs while requests are out: how late after its deadline an attempt may end. */
const SWEEP_MS = 50;

interface PoolEntry {
  revision: number;
  pool: Pool;
  auth: AuthProvider;
  /** Sends using this pool now, from their auth headers to their answer. */
  active: number;
  /** Replaced by a newer revision: closed once its last send ends. */
  retired: boolean;
  /** The connector's stored secrets, then the auth headers last sent: the redactor is rebuilt only when they change. */
  readonly stored: readonly string[];
  sentHeaders: Record<string, string> | undefined;
  sentKey: string;
  redactor: Redactor;
}

export class Sender {
  private pools = new Map<string, PoolEntry>();
  /** Retired pools with sends still using them. */
  private readonly retiring = new Set<PoolEntry>();
  /** Requests out now; one sweeping timer ends the overdue ones (no timer or AbortSignal per request). */
  private inFlight = new Set<Exchange>();
  private sweeper: NodeJS.Timeout | undefined;

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
    if (hit) this.retire(hit);
    const origin = new URL(c.spec.baseUrl).origin;
    const pool = new Pool(origin, {
      connections: c.spec.maxConcurrency ?? this.opts.connectionsPerConnector ?? 128,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      connect: outboundConnector({ timeout: c.spec.timeoutMs, allowPrivateNetworks: this.opts.allowPrivateNetworks }),
    });
    const auth = (this.opts.authFor ?? ((x) => staticAuth(x.spec.auth)))(c);
    const stored = authSecrets(c.spec.auth);
    const e: PoolEntry = {
      revision: c.revision,
      pool,
      auth,
      active: 0,
      retired: false,
      stored,
      sentHeaders: undefined,
      sentKey: '',
      redactor: Redactor.of(stored),
    };
    this.pools.set(c.id, e);
    return e;
  }

  /**
   * A connector changed (a new revision, even one that only stores a rotated refresh token, which
   * happens inside a send): new sends get a new pool; this one closes when the sends using it end.
   * Closing it at once destroyed the requests in flight (UND_ERR_DESTROYED, a retry used up).
   */
  private retire(e: PoolEntry): void {
    if (e.retired) return;
    e.retired = true;
    if (e.active === 0) void e.pool.close().catch(() => undefined);
    else this.retiring.add(e);
  }

  private release(e: PoolEntry): void {
    e.active--;
    if (e.retired && e.active === 0 && this.retiring.delete(e)) void e.pool.close().catch(() => undefined);
  }

  private sweep = (): void => {
    const now = performance.now();
    for (const x of this.inFlight) if (x.deadline <= now) x.expire();
    if (this.inFlight.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  };

  /** Names of headers added by the connector's auth: kept out of request logs. */
  authHeaderNames(c: ConnectorEntry): readonly string[] {
    return this.entry(c).auth.headerNames;
  }

  async send(c: ConnectorEntry, req: OutboundRequest): Promise<Sent> {
    const e = this.entry(c);
    let redactor = e.redactor;
    const result = await this.sendWith(e, c, req, (sent) => (redactor = this.redactorFor(e, sent)));
    return { ...result, redactor };
  }

  /**
   * The redactor for auth headers about to be sent: the same object as last time (static auth) or the
   * same values (a cached OAuth token) reuse the one built, so a send pays nothing for it.
   */
  private redactorFor(e: PoolEntry, sent: Record<string, string>): Redactor {
    if (sent === e.sentHeaders) return e.redactor;
    let key = '';
    for (const k in sent) key += `${sent[k]}\n`;
    e.sentHeaders = sent;
    if (key === e.sentKey) return e.redactor;
    e.sentKey = key;
    return (e.redactor = Redactor.of([...e.stored, ...Object.values(sent)]));
  }

  private async sendWith(
    e: PoolEntry,
    c: ConnectorEntry,
    req: OutboundRequest,
    sending: (authHeaders: Record<string, string>) => void,
  ): Promise<SendResult> {
    const started = performance.now();
    e.active++;
    try {
      const authHeaders = await e.auth.headers();
      if (req.stillAllowed && !req.stillAllowed())
        return {
          kind: 'too_late',
          message: 'the rate-limit window ended before the request could start',
          durationMs: Math.round(performance.now() - started),
        };
      sending(authHeaders);
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
        const renewed = await e.auth.headers();
        sending(renewed);
        result = await this.once(e, c, req, renewed, started);
      }
      return result;
    } catch (err) {
      // Failures of the connector's own authentication (token endpoint), classified by their classes.
      const durationMs = Math.round(performance.now() - started);
      if (err instanceof CredentialsRefusedError) return { kind: 'credentials_refused', message: err.message, durationMs };
      if (err instanceof TokenEndpointUnavailableError) return { kind: 'connection_error', message: err.message, durationMs };
      if (err instanceof DestinationRefusedError) return { kind: 'refused', message: err.message, durationMs };
      throw err;
    } finally {
      this.release(e);
    }
  }

  private once(
    e: PoolEntry,
    c: ConnectorEntry,
    req: OutboundRequest,
    authHeaders: Record<string, string>,
    started: number,
  ): Promise<SendResult> {
    // Credentials HTTP cannot carry (a token saved before they were checked, or a token endpoint's
    // answer) are the connector's problem, not this action's input: a person fixes them.
    for (const name in authHeaders)
      if (headerValueProblem(authHeaders[name]!) !== undefined)
        return Promise.resolve({
          kind: 'credentials_refused',
          message: `the connector's ${name} header holds a character HTTP cannot carry; enter its credentials again`,
          durationMs: 0,
        });
    const timeoutMs = c.spec.timeoutMs;
    return new Promise((resolve) => {
      // The deadline covers the whole exchange: connect, headers and body (undici's own timeouts
      // below only bound the gaps between bytes, which a trickling peer never lets run out).
      const x = new Exchange(performance.now() + timeoutMs, timeoutMs, started, (r) => {
        this.inFlight.delete(x);
        resolve(r);
      });
      this.inFlight.add(x);
      this.sweeper ??= setInterval(this.sweep, SWEEP_MS).unref();
      e.pool.dispatch(
        {
          method: req.method as 'POST',
          path: req.url.pathname + req.url.search,
          headers: { ...req.headers, ...authHeaders },
          body: req.body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        },
        x,
      );
    });
  }

  async close(): Promise<void> {
    for (const x of this.inFlight) x.expire();
    const all = [...this.pools.values(), ...this.retiring];
    await Promise.all(all.map((e) => e.pool.close().catch(() => undefined)));
    this.pools.clear();
    this.retiring.clear();
  }

  /** The connector changed or went away: its pool closes once the sends using it end. */
  forget(connectorId: string): void {
    const e = this.pools.get(connectorId);
    if (e) this.retire(e);
    this.pools.delete(connectorId);
  }
}

class AttemptDeadlineError extends Error {}
class BodyCapError extends Error {}

/**
 * One request and its answer, as an undici dispatch handler: the body is collected up to
 * MAX_RESPONSE_BODY with no stream in between, and `expire` ends the exchange from the sweep.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private settled = false;
  private status = 0;
  private headers: Record<string, string> = {};
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(
    readonly deadline: number,
    private readonly timeoutMs: number,
    private readonly started: number,
    private readonly done: (r: SendResult) => void,
  ) {}

  /** Past the deadline: answer 'timeout' now and abort the request (or, still queued, as soon as it starts). */
  expire(): void {
    if (this.settled) return;
    const durationMs = Math.round(performance.now() - this.started);
    const message =
      this.status === 0
        ? `no answer within ${this.timeoutMs} ms`
        : `the answer (HTTP ${this.status}) did not finish within ${this.timeoutMs} ms; ${this.size} bytes of body arrived`;
    this.finish({ kind: 'timeout', message, durationMs });
    this.controller?.abort(new AttemptDeadlineError(message));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Expired while waiting for a connection: never write it (undici checks before writing).
    if (this.settled) controller.abort(new AttemptDeadlineError('the attempt already ended'));
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.status = statusCode;
    for (const k in headers) {
      const v = headers[k];
      if (v !== undefined) this.headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.size + chunk.length > MAX_RESPONSE_BODY) {
      this.chunks.push(chunk.subarray(0, MAX_RESPONSE_BODY - this.size));
      this.size = MAX_RESPONSE_BODY;
      const message = `the response body is larger than ${MAX_RESPONSE_BODY} bytes (the most Callout reads); reading stopped there`;
      this.finish({
        kind: 'too_large',
        status: this.status,
        headers: this.headers,
        body: this.text(),
        message,
        durationMs: this.elapsed(),
      });
      controller.abort(new BodyCapError(message)); // closes the connection: the rest is never read
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  onResponseEnd(): void {
    this.finish({ kind: 'answered', status: this.status, headers: this.headers, body: this.text(), durationMs: this.elapsed() });
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.finish(classify(err, this.timeoutMs, this.elapsed()));
  }

  private finish(r: SendResult): void {
    if (this.settled) return;
    this.settled = true;
    this.done(r);
  }

  private elapsed(): number {
    return Math.round(performance.now() - this.started);
  }

  private text(): string {
    const c = this.chunks;
    return c.length === 1 ? c[0]!.toString('utf8') : Buffer.concat(c).toString('utf8');
  }
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
  // Not the connection's fault: counted against the circuit breaker it would hold every other action.
  if (err instanceof undiciErrors.InvalidArgumentError)
    return { kind: 'unsendable', message: `the request cannot be sent: ${message}`, durationMs };
  return { kind: 'connection_error', message: code && !message.includes(code) ? `${code}: ${message}` : message, durationMs };
}
