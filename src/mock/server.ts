// The built-in mock external system: a raw node:http server on loopback, fast enough for the
// benchmarks, used by the demo, end-to-end and crash tests (in-process, or as its own process).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallbackSender } from './callbacks.ts';
import type { Clock } from '../clock.ts';
import { LogFileWriter } from './log-file.ts';
import { findRoute, json, MOCK_FAILURE, NOT_FOUND, type Answer, type MockRequest, type RouteState } from './routes.ts';

export interface MockOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (an ephemeral port) */
  port?: number;
  /** Added to every answer on a non-underscore route. @default 0 */
  latencyMs?: number;
  /** Uniform random extra latency, 0..jitterMs. @default 0 */
  jitterMs?: number;
  /** Share (0..1) of requests on any route answered 503 instead. @default 0 */
  failRate?: number;
  /** Over this many requests per fixed window on /ratelimited -> 429 with Retry-After. @default none */
  rateBudget?: { limit: number; perMs: number };
  /** Delay before /callback calls back, unless the request gives `delayMs`. @default 100 */
  callbackDelayMs?: number;
  /** Retries of a failed callback, 200 ms apart. @default 3 */
  callbackRetries?: number;
  /** Append each logged request to this file as a JSON line (buffered, flushed every 100 ms and on close). */
  logFile?: string;
  /** Keep log entries in memory (`server.log`, `GET /_log`). @default true */
  keepLog?: boolean;
  /** Keep each request's parsed body in its log entry. @default false */
  keepBodies?: boolean;
  /** Times callback delays and retries (in-process only; tests pass a fake one). @default the system clock */
  clock?: Clock;
}

export interface MockLogEntry {
  /** Date.now() at arrival, in ms. */
  at: number;
  method: string;
  /** Without the query string. */
  path: string;
  /** The Idempotency-Key header. */
  key: string | null;
  /** The status answered. */
  status: number;
  /** Parsed JSON (or form) body, only when keepBodies. */
  body?: unknown;
}

export interface MockServer {
  /** e.g. http://127.0.0.1:43521 (no trailing slash). */
  url: string;
  port: number;
  /** The in-memory log; the same array for the server's life (clearLog empties it in place). */
  log: MockLogEntry[];
  clearLog(): void;
  close(): Promise<void>;
  /** Changes behaviour while running; host and port are ignored. */
  setOptions(o: Partial<MockOptions>): void;
  readonly callbacksSent: number;
  readonly callbackErrors: number;
  /** Callbacks scheduled, in flight or waiting for a retry. */
  readonly callbacksPending: number;
  /** Requests answered on non-underscore routes, logged in memory or not. */
  readonly requestCount: number;
}

/** Largest request body accepted; the mock is not a file store. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
const JSON_TYPE = 'application/json';

export async function startMockServer(opts: MockOptions = {}): Promise<MockServer> {
  const problem = optionsProblem(opts);
  if (problem) throw new RangeError(`mock options: ${problem}`);
  let latencyMs = opts.latencyMs ?? 0;
  let jitterMs = opts.jitterMs ?? 0;
  let failRate = opts.failRate ?? 0;
  let keepLog = opts.keepLog ?? true;
  let keepBodies = opts.keepBodies ?? false;
  let logWriter = opts.logFile ? new LogFileWriter(opts.logFile) : null;
  const closingWriters: Promise<void>[] = [];
  const log: MockLogEntry[] = [];
  const delayTimers = new Set<NodeJS.Timeout>();
  const callbacks = new CallbackSender(opts.clock);
  if (opts.callbackRetries !== undefined) callbacks.retries = opts.callbackRetries;
  const state: RouteState = {
    callbackDelayMs: opts.callbackDelayMs ?? 100,
    rateBudget: opts.rateBudget,
    rateWindowStart: -1,
    rateWindowCount: 0,
    failThenOkCounts: new Map(),
    nextRef: 0,
    tokens: new Set(),
    callbacks,
  };
  let requestCount = 0;
  let closing: Promise<void> | null = null;

  function setOptions(o: Partial<MockOptions>): void {
    const problem = optionsProblem(o);
    if (problem) throw new RangeError(`mock options: ${problem}`);
    if (o.latencyMs !== undefined) latencyMs = o.latencyMs;
    if (o.jitterMs !== undefined) jitterMs = o.jitterMs;
    if (o.failRate !== undefined) failRate = o.failRate;
    if (o.keepLog !== undefined) keepLog = o.keepLog;
    if (o.keepBodies !== undefined) keepBodies = o.keepBodies;
    if (o.callbackDelayMs !== undefined) state.callbackDelayMs = o.callbackDelayMs;
    if ('rateBudget' in o) {
      state.rateBudget = o.rateBudget ?? undefined; // null arrives over HTTP
      state.rateWindowStart = -1;
    }
    if ('logFile' in o && o.logFile !== logWriter?.path) {
      if (logWriter) closingWriters.push(logWriter.close());
      logWriter = o.logFile ? new LogFileWriter(o.logFile) : null;
    }
  }

  function answer(res: ServerResponse, req: MockRequest, at: number, a: Answer): void {
    requestCount++;
    if (keepLog || logWriter) {
      const entry: MockLogEntry = { at, method: req.method, path: req.path, key: req.key, status: a.status };
      if (keepBodies && req.body !== null) entry.body = req.body;
      if (keepLog) log.push(entry);
      if (logWriter) logWriter.append(JSON.stringify(entry));
    }
    write(res, a);
    if (a.then) a.then();
  }

  function handle(req: IncomingMessage, res: ServerResponse, at: number, path: string, rawQuery: string | null, body: unknown): void {
    const key = req.headers['idempotency-key'];
    const mreq: MockRequest = {
      method: req.method ?? 'GET',
      path,
      query: rawQuery === null ? null : new URLSearchParams(rawQuery),
      key: typeof key === 'string' ? key : null,
      authorization: req.headers.authorization ?? null,
      body,
    };
    const route = findRoute(path);
    // Decide at arrival, so a 503 consumes no id and no fail-then-ok count.
    const a = !route ? NOT_FOUND : failRate > 0 && Math.random() < failRate ? MOCK_FAILURE : route(mreq, state);
    const delay = latencyMs + (jitterMs > 0 ? Math.random() * jitterMs : 0) + (a.delayMs ?? 0);
    if (delay <= 0) return answer(res, mreq, at, a);
    const timer = setTimeout(() => {
      delayTimers.delete(timer);
      answer(res, mreq, at, a);
    }, delay);
    delayTimers.add(timer);
  }

  function admin(req: IncomingMessage, res: ServerResponse, path: string, body: unknown): void {
    const method = req.method;
    if (path === '/_health') return write(res, json(200, '{"ok":true}'));
    if (path === '/_log') {
      if (method === 'GET') return write(res, json(200, JSON.stringify(log)));
      if (method === 'DELETE') {
        log.length = 0;
        return write(res, json(204, ''));
      }
      return write(res, json(405, '{"error":"use GET or DELETE"}', ['allow', 'GET, DELETE']));
    }
    if (path === '/_stats') {
      const stats = {
        requests: requestCount,
        callbacksSent: callbacks.sent,
        callbackErrors: callbacks.errors,
        callbacksPending: callbacks.pending,
      };
      return write(res, json(200, JSON.stringify(stats)));
    }
    // Lets a parent process steer a mock running as its own process (crash tests, benchmarks).
    if (path === '/_options' && method === 'POST') {
      const o = (typeof body === 'object' && body !== null ? body : {}) as Partial<MockOptions>;
      // Over HTTP only behaviour changes: no files, and the socket stays where it is.
      if ('logFile' in o || 'host' in o || 'port' in o) {
        return write(res, json(400, '{"error":"logFile, host and port cannot be changed over HTTP"}'));
      }
      try {
        setOptions(o);
      } catch (err) {
        return write(res, json(400, JSON.stringify({ error: (err as Error).message })));
      }
      return write(res, json(204, ''));
    }
    write(res, NOT_FOUND);
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const at = Date.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const rawQuery = q === -1 ? null : url.slice(q + 1);
    const isAdmin = path.charCodeAt(1) === 95; // '/_'
    const length = req.headers['content-length'];
    if (req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) {
      // No body: answer now (node dumps the empty request stream once the response ends).
      if (isAdmin) admin(req, res, path, null);
      else handle(req, res, at, path, rawQuery, null);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        write(res, json(413, '{"error":"request body too large"}', ['connection', 'close']));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return;
      const raw = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      const body = parseBody(raw, req.headers['content-type']);
      if (isAdmin) admin(req, res, path, body);
      else handle(req, res, at, path, rawQuery, body);
    });
    req.on('error', () => res.destroy());
  }

  const server = createServer({ keepAlive: true, noDelay: true }, onRequest);
  // Longer than undici's default (4 s) and than benchmark pauses, so pooled sockets stay reusable.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0; // /slow may take as long as the caller asks
  // Reachable beyond loopback with --host: sockets held open cannot use up its descriptors either.
  server.maxConnections = 4096;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  function close(): Promise<void> {
    if (closing) return closing;
    closing = (async () => {
      for (const timer of delayTimers) clearTimeout(timer);
      delayTimers.clear();
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await Promise.all([serverClosed, callbacks.close()]);
      if (logWriter) closingWriters.push(logWriter.close());
      await Promise.all(closingWriters);
    })();
    return closing;
  }

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    log,
    clearLog: () => {
      log.length = 0;
    },
    close,
    setOptions,
    get callbacksSent() {
      return callbacks.sent;
    },
    get callbackErrors() {
      return callbacks.errors;
    },
    get callbacksPending() {
      return callbacks.pending;
    },
    get requestCount() {
      return requestCount;
    },
  };
}

function write(res: ServerResponse, a: Answer): void {
  if (res.destroyed) return;
  const headers =
    a.body === ''
      ? (a.headers ?? [])
      : ['content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(a.body)), ...(a.headers ?? [])];
  res.writeHead(a.status, headers);
  res.end(a.body === '' ? undefined : a.body);
}

/** JSON when it parses, an object for form bodies, else the raw text. */
function parseBody(raw: string, contentType: string | undefined): unknown {
  if (raw === '') return null;
  if (contentType?.startsWith('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(raw));
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

const NUMBER_OPTIONS = ['latencyMs', 'jitterMs', 'failRate', 'callbackDelayMs'] as const;

/** Names the first invalid option and the rule it breaks, or null when all are valid. */
function optionsProblem(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'expected an object';
  const o = body as Record<string, unknown>;
  for (const name of NUMBER_OPTIONS) {
    const v = o[name];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
      return `${name} must be a number >= 0`;
    }
  }
  if (o.failRate !== undefined && (o.failRate as number) > 1) return 'failRate must be from 0 to 1';
  const budget = o.rateBudget;
  if (budget !== undefined && budget !== null) {
    const b = budget as Record<string, unknown>;
    if (typeof b.limit !== 'number' || typeof b.perMs !== 'number' || b.perMs <= 0 || b.limit < 0) {
      return 'rateBudget must be { limit: number >= 0, perMs: number > 0 }';
    }
  }
  for (const name of ['keepLog', 'keepBodies'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'boolean') return `${name} must be a boolean`;
  }
  if (o.logFile !== undefined && typeof o.logFile !== 'string') return 'logFile must be a string';
  return null;
}
