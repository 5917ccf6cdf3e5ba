// Hostile peers: real loopback servers that trickle a body, hang after the headers, never answer,
// or stream without end. The connector timeout bounds the whole attempt (connect, headers and body),
// the body is read to 1 MiB and no further, and the request is not sent again while the first
// attempt could still be running. Bounds are loose (CI is slow) but fail on the old behaviour,
// where a trickle or an endless body kept the attempt open for as long as the peer liked.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { startHarness, type Harness } from '../helpers/harness.ts';
import type { ActionView } from '../../src/actions/views.ts';
import { requestToken } from '../../src/connectors/auth/token-client.ts';
import { TokenEndpointUnavailableError } from '../../src/connectors/auth/provider.ts';

// Long enough that a loaded CI box (this process serves the peers and runs the engine) still reads
// the hanging peer's headers before the deadline: at 1 s one run saw 'no answer' instead of 'HTTP 200'.
const TIMEOUT_MS = 2500;
/** How long a trickling peer would keep going: far past the timeout and the engine's lease (timeout + 2 s margin). */
const TRICKLE_MS = 8000;
const MiB = 1 << 20;

interface Seen {
  requests: number;
  closedAt: number[];
  bytesWritten: number;
}
const seen = new Map<string, Seen>();
const timers = new Set<NodeJS.Timeout>();

function hostile(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '/';
  const s = seen.get(path) ?? { requests: 0, closedAt: [], bytesWritten: 0 };
  seen.set(path, s);
  s.requests++;
  res.on('close', () => s.closedAt.push(performance.now()));
  res.on('error', () => undefined);
  req.resume();
  const every = (ms: number, f: () => void): void => {
    const t = setInterval(() => (res.destroyed ? (clearInterval(t), timers.delete(t)) : f()), ms);
    timers.add(t);
  };
  switch (path) {
    case '/trickle': {
      // A byte every 100 ms: never an idle gap long enough for undici's body timeout.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(TRICKLE_MS / 100) });
      res.flushHeaders();
      every(100, () => {
        res.write(' ');
        s.bytesWritten++;
      });
      return;
    }
    case '/hang-after-headers':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      return;
    case '/silent':
      return; // reads the request, never answers
    case '/endless': {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = (): void => {
        while (!res.destroyed && s.bytesWritten < 64 * MiB) {
          s.bytesWritten += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      pump();
      return;
    }
    case '/huge-503': {
      const body = Buffer.alloc(3 * MiB, 'e');
      s.bytesWritten = body.length;
      res.writeHead(503, { 'content-type': 'text/plain', 'content-length': String(body.length) });
      res.end(body);
      return;
    }
    default:
      res.writeHead(404).end();
  }
}

let h: Harness;
let server: Server;
let port: number;
beforeAll(async () => {
  server = createServer(hostile);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  h = await startHarness();
  const c = await h.api('POST', '/v1/connectors', { name: 'hostile', baseUrl: `http://127.0.0.1:${port}`, timeout: TIMEOUT_MS });
  expect(c.status).toBe(201);
  for (const path of ['/trickle', '/hang-after-headers', '/silent', '/endless', '/huge-503']) {
    const r = await h.api('POST', '/v1/action-types', {
      name: path.slice(1),
      connector: 'hostile',
      method: 'POST',
      path,
      retry: { maxRetries: 3, interval: '1m', backoff: 'fixed' },
    });
    expect(r.status).toBe(201);
  }
});
afterAll(async () => {
  for (const t of timers) clearInterval(t);
  await h.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function until(pred: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!pred() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

const attempted = (a: ActionView): boolean => a.retry.lastError !== null || a.state !== 'waiting';

/** Launches, waits for the first attempt's outcome, and says how long that took. */
async function firstAttempt(type: string): Promise<{ action: ActionView; elapsedMs: number; launchedAt: number }> {
  const launchedAt = performance.now();
  const r = await h.api('POST', '/v1/actions', { actionType: type, input: {} });
  expect(r.status).toBe(201);
  const action = await h.waitFor(r.body.id, attempted, 20_000);
  return { action, elapsedMs: performance.now() - launchedAt, launchedAt };
}

async function attemptRecord(id: string): Promise<{ durationMs: number; error?: { kind: string }; response?: { body: string } }> {
  const tl = (await h.api('GET', `/v1/actions/${id}/timeline`)).body.items as Array<{ kind: string; data?: any }>;
  const attempts = tl.filter((e) => e.kind === 'attempt' && e.data?.attempt !== undefined);
  expect(attempts).toHaveLength(1);
  return attempts[0]!.data;
}

// Loose: the timeout, the 50 ms sweep, the engine's write and the test's 100 ms polling, on a slow CI box.
const BOUND_MS = TIMEOUT_MS + 2000;

it('ends each hostile attempt within the timeout, with the right retry state, and sends it only once', async () => {
  const [trickle, hang, silent] = await Promise.all([firstAttempt('trickle'), firstAttempt('hang-after-headers'), firstAttempt('silent')]);

  // A body trickling a byte at a time: a timeout, retried per policy, not a read for TRICKLE_MS.
  expect(trickle.elapsedMs).toBeLessThan(BOUND_MS);
  expect(trickle.action).toMatchObject({ state: 'waiting', phase: 'retry_scheduled', attempts: 1 });
  expect(trickle.action.retry).toMatchObject({ count: 0, lastError: expect.stringContaining(`did not finish within ${TIMEOUT_MS} ms`) });
  const tr = await attemptRecord(trickle.action.id);
  expect(tr.error?.kind).toBe('timeout');
  expect(tr.durationMs).toBeLessThan(BOUND_MS);
  expect(seen.get('/trickle')!.bytesWritten).toBeLessThan(TRICKLE_MS / 100 / 2);

  expect(hang.elapsedMs).toBeLessThan(BOUND_MS);
  expect(hang.action).toMatchObject({ phase: 'retry_scheduled', retry: { lastError: expect.stringContaining('HTTP 200') } });
  expect(silent.elapsedMs).toBeLessThan(BOUND_MS);
  expect(silent.action).toMatchObject({ phase: 'retry_scheduled', retry: { lastError: `no answer within ${TIMEOUT_MS} ms` } });

  // Each connection was closed by Callout when its attempt ended, not left to the peer.
  for (const [path, r] of [
    ['/trickle', trickle],
    ['/hang-after-headers', hang],
    ['/silent', silent],
  ] as const) {
    const closed = seen.get(path)!.closedAt;
    await until(() => closed.length > 0);
    expect(closed, path).toHaveLength(1);
    expect(closed[0]! - r.launchedAt, path).toBeLessThan(BOUND_MS);
  }

  // Past the lease (timeout + the harness's 2 s margin) and the trickle's end: still one request
  // each, as the next retry is a minute away. Before, the lease ran out mid-trickle and it was sent again.
  await new Promise((r) => setTimeout(r, Math.max(0, trickle.launchedAt + TRICKLE_MS + 500 - performance.now())));
  for (const path of ['/trickle', '/hang-after-headers', '/silent']) expect(seen.get(path)!.requests, path).toBe(1);
}, 30_000);

it('stops reading an endless 2xx body at 1 MiB and puts the action in To Do with the reason', async () => {
  const { action, elapsedMs } = await firstAttempt('endless');
  expect(elapsedMs).toBeLessThan(BOUND_MS);
  expect(action).toMatchObject({
    state: 'todo',
    reason: 'request_rejected',
    attempts: 1,
    rejectedReason: expect.stringContaining(`larger than ${MiB} bytes`),
  });
  // The connection was closed: the peer could not push much past the cap (socket buffers aside).
  const s = seen.get('/endless')!;
  await until(() => s.closedAt.length > 0); // the peer learns of the close a moment after Callout acts
  expect(s.closedAt).toHaveLength(1);
  expect(s.bytesWritten).toBeLessThan(16 * MiB);
  // The timeline keeps a bounded excerpt, not the megabyte.
  const rec = await attemptRecord(action.id);
  expect(rec.response!.body.length).toBeLessThanOrEqual(4097);
  expect(JSON.stringify(await h.api('GET', `/v1/actions/${action.id}/timeline`)).length).toBeLessThan(32 * 1024);
});

it('a huge error body does not change what the status decides: a 503 is retried per policy', async () => {
  const { action, elapsedMs } = await firstAttempt('huge-503');
  expect(elapsedMs).toBeLessThan(BOUND_MS);
  expect(action).toMatchObject({
    state: 'waiting',
    phase: 'retry_scheduled',
    retry: { lastError: expect.stringMatching(/^HTTP 503: e+$/) },
  });
  expect(action.retry.lastError!.length).toBeLessThan(400);
});

describe('the OAuth token endpoint', () => {
  const token = (path: string): Promise<unknown> =>
    requestToken({
      tokenUrl: `http://127.0.0.1:${port}${path}`,
      grant: { type: 'client_credentials' },
      clientId: 'id',
      clientSecret: 'secret-123',
      clientAuth: 'body',
      allowPrivateNetworks: true,
      timeoutMs: TIMEOUT_MS,
    });

  it('a trickling token endpoint is given up at the timeout', async () => {
    const started = performance.now();
    await expect(token('/trickle')).rejects.toMatchObject({ reason: 'timeout' });
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
  });

  it('an endless token answer is read to 64 KiB, then refused as not a token', async () => {
    const started = performance.now();
    const err = await token('/endless').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenEndpointUnavailableError);
    expect(err).toMatchObject({ reason: 'invalid_response', message: expect.stringContaining('more than 65536 bytes') });
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
  });
});
