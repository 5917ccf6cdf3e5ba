// A real Callout for end-to-end tests: a temporary SQLite file, the HTTP API on loopback, the mock
// external system on loopback, and helpers to call the API and wait for an action to reach a state.

import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { request } from 'undici';
import type { FastifyInstance } from 'fastify';
import { Callout, type CalloutOptions } from '../../src/callout.ts';
import { buildServer, type ServerOptions } from '../../src/api/server.ts';
import { startMockServer, type MockOptions, type MockServer } from '../../src/mock/server.ts';
import { createLogger } from '../../src/logger.ts';
import type { ActionView } from '../../src/actions/views.ts';
import { contractOf } from './contract.ts';

export interface ApiResponse<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

export interface Harness {
  callout: Callout;
  app: FastifyInstance;
  url: string;
  mock: MockServer;
  adminKey: string;
  dataDir: string;
  api<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  waitFor(id: string, pred: (a: ActionView) => boolean, timeoutMs?: number): Promise<ActionView>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const held = await holdPort();
  await held.release();
  return held.port;
}

/**
 * Ports are taken below the kernel's ephemeral range, in a block of 1,000 per test worker: a port
 * freed before a child server binds it cannot then be handed to another file's `listen(0)` or to an
 * outgoing connection, which is how "port … already in use" used to fail a child's start now and then.
 */
const PORTS_PER_WORKER = 1000;
const ephemeralLow = (() => {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
})();
const worker = Number(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? 0);
const blockStart = 20_000 + (worker % 12) * PORTS_PER_WORKER;
// A random start: files run one after another in a worker, each with fresh module state.
let nextPort = Math.floor(Math.random() * PORTS_PER_WORKER);

function listenOn(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    // Unref'd: a harness whose open throws before release must not keep the test process alive.
    s.unref();
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

/**
 * A loopback port kept bound until `release`: the harness opens Callout (which needs its public URL)
 * before its server listens, and a port freed at once could be handed to another test file meanwhile.
 */
export async function holdPort(): Promise<{ port: number; release(): Promise<void> }> {
  const ranged = blockStart + PORTS_PER_WORKER <= ephemeralLow;
  for (let tries = 0; ranged && tries < PORTS_PER_WORKER; tries++) {
    const port = blockStart + (nextPort++ % PORTS_PER_WORKER);
    const s = await listenOn(port);
    if (s) return { port, release: () => new Promise<void>((done) => s.close(() => done())) };
  }
  // No room below the ephemeral range (or all taken): any free port, as before.
  const s = (await listenOn(0))!;
  const port = (s.address() as { port: number }).port;
  return { port, release: () => new Promise<void>((done) => s.close(() => done())) };
}

export async function startHarness(
  opts: { mock?: MockOptions; callout?: Partial<CalloutOptions>; server?: ServerOptions; start?: boolean } = {},
): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'callout-test-'));
  const held = await holdPort();
  const port = held.port;
  const url = `http://127.0.0.1:${port}`;
  const mock = await startMockServer({ callbackDelayMs: 30, ...opts.mock });
  const callout = await Callout.open({
    dataDir,
    publicUrl: url,
    allowPrivateNetworks: true,
    logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    engine: { pollIntervalMs: 50, leaseMarginMs: 2000 },
    ...opts.callout,
  });
  const adminKey = 'test-admin-key-0123456789';
  await callout.apiKeys.ensureAdminKey(adminKey);
  const app = await buildServer(callout, opts.server);
  await held.release();
  await app.listen({ port, host: '127.0.0.1' });
  if (opts.start !== false) callout.start();
  const contract = contractOf((await (await request(`${url}/openapi.json`)).body.json()) as Parameters<typeof contractOf>[0]);

  const api = async <T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> => {
    const res = await request(`${url}${path}`, {
      method: method as 'GET',
      headers: { authorization: `Bearer ${adminKey}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      // A string or Buffer is sent as it is (CSV, YAML, bytes in another encoding), anything else as JSON.
      body: body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
    const text = await res.body.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    const broken = contract(method, path, res.statusCode, res.headers['content-type'] as string | undefined, parsed);
    if (broken) {
      if (process.env.CONTRACT_REPORT) appendFileSync(process.env.CONTRACT_REPORT, `${broken}\n`);
      else throw new Error(`the answer breaks the OpenAPI document: ${broken}`);
    }
    return { status: res.statusCode, headers: res.headers, body: parsed as T };
  };

  // One engine listener for every pending wait, added while any waits: a test waiting on twenty actions at
  // once added twenty, and Node warned of a leak (MaxListenersExceededWarning) on the Engine.
  const waiters = new Map<string, Set<() => void>>();
  const onAction = (x: { id: string }): void => {
    for (const wake of [...(waiters.get(x.id) ?? [])]) wake();
  };
  /** Resolves on the engine's next write of action `id`, or after `ms`. */
  const nextWrite = (id: string, ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      if (waiters.size === 0) callout.engine.on('action', onAction);
      const t = setTimeout(done, ms);
      const mine = waiters.get(id) ?? new Set();
      waiters.set(id, mine.add(done));
      function done(): void {
        clearTimeout(t);
        mine.delete(done);
        if (mine.size === 0) waiters.delete(id);
        if (waiters.size === 0) callout.engine.off('action', onAction);
        resolve();
      }
    });

  const waitFor = async (id: string, pred: (a: ActionView) => boolean, timeoutMs = 15_000): Promise<ActionView> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const a = await callout.actions.getAction(id);
      if (pred(a)) return a;
      if (Date.now() > deadline)
        throw new Error(`action ${id} did not reach the expected state in ${timeoutMs} ms; it is ${JSON.stringify(a)}`);
      // Wake on the engine's next write of this action, or re-check shortly.
      await nextWrite(id, 100);
    }
  };

  return {
    callout,
    app,
    url,
    mock,
    adminKey,
    dataDir,
    api,
    waitFor,
    async close() {
      await app.close();
      await callout.close();
      await mock.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates the connector `name` pointing at `baseUrl` and returns its id. */
export async function connector(h: Harness, body: Record<string, unknown> = {}): Promise<string> {
  const r = await h.api('POST', '/v1/connectors', {
    name: 'vendor',
    baseUrl: h.mock.url,
    auth: { type: 'bearer', token: 'secret-token-123' },
    timeout: '2s',
    ...body,
  });
  if (r.status !== 201) throw new Error(`connector: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id;
}

export async function actionType(h: Harness, body: Record<string, unknown>): Promise<string> {
  const r = await h.api('POST', '/v1/action-types', { connector: 'vendor', method: 'POST', ...body });
  if (r.status !== 201) throw new Error(`action type: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id;
}

export async function launch(
  h: Harness,
  actionType: string,
  input: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<ActionView> {
  const r = await h.api('POST', '/v1/actions', { actionType, input, ...extra });
  if (r.status !== 201) throw new Error(`launch: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
