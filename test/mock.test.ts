// The built-in mock external system: every route, the log, callbacks to a real receiver, and the
// mock run as its own process. Real loopback servers throughout.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startMockServer, type MockOptions, type MockServer } from '../src/mock/server.ts';
import { FakeClock } from '../src/clock.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function mock(opts: MockOptions = {}): Promise<MockServer> {
  const server = await startMockServer(opts);
  servers.push(server);
  return server;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

async function call(
  url: string,
  init: { method?: string; json?: unknown; form?: Record<string, string>; key?: string } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  } else if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  if (init.key) headers['idempotency-key'] = init.key;
  const res = await request(url, {
    method: (init.method ?? (body === undefined ? 'GET' : 'POST')) as 'GET',
    headers,
    body,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text === '' ? null : (JSON.parse(text) as unknown) };
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Received {
  at: number;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** A small callback receiver; `answers` gives the status for each request in turn (then 200). */
async function receiver(answers: number[] = []): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({
        at: Date.now(),
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
      });
      res.writeHead(answers.shift() ?? 200).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push({
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got };
}

describe('mock routes', () => {
  it('/ok answers 200 with an incrementing id and echoes a JSON or form body', async () => {
    const m = await mock();
    expect(await call(`${m.url}/ok`)).toMatchObject({ status: 200, body: { ok: true, id: 'EXT-1', echo: null } });
    const second = await call(`${m.url}/ok`, { json: { title: 'Laptop', priority: 2 } });
    expect(second.body).toEqual({ ok: true, id: 'EXT-2', echo: { title: 'Laptop', priority: 2 } });
    expect(second.headers['content-type']).toBe('application/json');
    const form = await call(`${m.url}/ok`, { form: { text: 'hello there', n: '3' } });
    expect(form.body).toEqual({ ok: true, id: 'EXT-3', echo: { text: 'hello there', n: '3' } });
    expect((await call(`${m.url}/ok`, { method: 'PUT', json: [1, 2] })).body).toMatchObject({ echo: [1, 2] });
  });

  it('/slow answers like /ok after the asked delay', async () => {
    const m = await mock();
    const started = Date.now();
    const res = await call(`${m.url}/slow?ms=80`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
    expect(res).toMatchObject({ status: 200, body: { ok: true, id: 'EXT-1' } });
  });

  it('/status/:code answers that status, with Retry-After when asked', async () => {
    const m = await mock();
    expect(await call(`${m.url}/status/418`)).toMatchObject({ status: 418, body: { error: 'mock status 418' } });
    const limited = await call(`${m.url}/status/503?retryAfter=7`);
    expect(limited.status).toBe(503);
    expect(limited.headers['retry-after']).toBe('7');
    expect((await call(`${m.url}/status/500`)).headers['retry-after']).toBeUndefined();
    expect(await call(`${m.url}/status/204`)).toMatchObject({ status: 204, body: null });
    expect((await call(`${m.url}/status/abc`)).status).toBe(400);
  });

  it('/flaky fails with the asked probability', async () => {
    const m = await mock();
    expect((await call(`${m.url}/flaky?failRate=1`)).status).toBe(503);
    expect((await call(`${m.url}/flaky?failRate=0`)).status).toBe(200);
  });

  it('/fail-then-ok fails the first N requests of each idempotency key, then succeeds', async () => {
    const m = await mock();
    const url = `${m.url}/fail-then-ok?times=2`;
    expect((await call(url, { key: 'A' })).status).toBe(503);
    expect((await call(url, { key: 'B' })).status).toBe(503);
    expect((await call(url, { key: 'A' })).status).toBe(503);
    expect(await call(url, { key: 'A', json: { n: 1 } })).toMatchObject({ status: 200, body: { ok: true, echo: { n: 1 } } });
    expect((await call(url, { key: 'A' })).status).toBe(200);
    expect((await call(url, { key: 'B' })).status).toBe(503);
    expect((await call(url, { key: 'B' })).status).toBe(200);
  });

  it('/reject answers 400 with the reason', async () => {
    const m = await mock();
    expect(await call(`${m.url}/reject`, { json: {} })).toEqual(
      expect.objectContaining({ status: 400, body: { error: 'Cost centre unknown' } }),
    );
  });

  it('/ratelimited answers 429 with Retry-After over the budget of the window', async () => {
    const m = await mock({ rateBudget: { limit: 2, perMs: 1000 } });
    const replies = await Promise.all(Array.from({ length: 6 }, () => call(`${m.url}/ratelimited`)));
    const limited = replies.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    for (const r of limited) expect(r.headers['retry-after']).toBe('1');
    expect(replies.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(2);

    m.setOptions({ rateBudget: undefined });
    const free = await Promise.all(Array.from({ length: 6 }, () => call(`${m.url}/ratelimited`)));
    expect(free.every((r) => r.status === 200)).toBe(true);
  });

  it('an unknown route is 404', async () => {
    const m = await mock();
    expect((await call(`${m.url}/nope`)).status).toBe(404);
    expect(m.log[0]).toMatchObject({ path: '/nope', status: 404 });
  });

  it('global failRate answers 503 on routes but not on underscore routes, and is logged', async () => {
    const m = await mock({ failRate: 1 });
    expect((await call(`${m.url}/ok`, { key: 'k1' })).status).toBe(503);
    expect((await call(`${m.url}/_health`)).status).toBe(200);
    expect(m.log).toEqual([expect.objectContaining({ path: '/ok', key: 'k1', status: 503 })]);
    m.setOptions({ failRate: 0 });
    expect((await call(`${m.url}/ok`)).body).toMatchObject({ id: 'EXT-1' });
  });

  it('global latency delays every answer', async () => {
    const m = await mock({ latencyMs: 60 });
    const started = Date.now();
    expect((await call(`${m.url}/reject`)).status).toBe(400);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('POST /_options changes behaviour of a running mock', async () => {
    const m = await mock();
    expect((await call(`${m.url}/_options`, { json: { failRate: 1 } })).status).toBe(204);
    expect((await call(`${m.url}/ok`)).status).toBe(503);
    expect((await call(`${m.url}/_options`, { json: { failRate: 2 } })).status).toBe(400);
    expect((await call(`${m.url}/_options`, { json: { logFile: '/tmp/x' } })).status).toBe(400);
    expect((await call(`${m.url}/_options`, { json: { failRate: 0 } })).status).toBe(204);
    expect((await call(`${m.url}/ok`)).status).toBe(200);
  });

  it('refuses invalid options naming the field', async () => {
    await expect(startMockServer({ failRate: 3 })).rejects.toThrow(/failRate/);
    await expect(startMockServer({ rateBudget: { limit: 1, perMs: 0 } })).rejects.toThrow(/rateBudget/);
  });
});

describe('mock log', () => {
  it('records arrival time, method, path without query, idempotency key and status', async () => {
    const m = await mock();
    const before = Date.now();
    await call(`${m.url}/ok?x=1`, { key: 'key-1', json: { a: 1 } });
    await call(`${m.url}/status/502`);
    await call(`${m.url}/_health`);
    expect(m.log).toEqual([
      { at: expect.any(Number), method: 'POST', path: '/ok', key: 'key-1', status: 200 },
      { at: expect.any(Number), method: 'GET', path: '/status/502', key: null, status: 502 },
    ]);
    expect(m.log[0]!.at).toBeGreaterThanOrEqual(before);
    expect(m.requestCount).toBe(2);

    expect((await call(`${m.url}/_log`)).body).toEqual(JSON.parse(JSON.stringify(m.log)));
    expect((await call(`${m.url}/_log`, { method: 'DELETE' })).status).toBe(204);
    expect(m.log).toEqual([]);
    await call(`${m.url}/ok`);
    m.clearLog();
    expect((await call(`${m.url}/_log`)).body).toEqual([]);
  });

  it('keeps bodies only when asked, and nothing in memory with keepLog false', async () => {
    const withBodies = await mock({ keepBodies: true });
    await call(`${withBodies.url}/ok`, { json: { a: 1 } });
    expect(withBodies.log[0]!.body).toEqual({ a: 1 });

    const noLog = await mock({ keepLog: false });
    await call(`${noLog.url}/ok`);
    expect(noLog.log).toEqual([]);
    expect(noLog.requestCount).toBe(1);
  });

  it('appends each request to the log file as a JSON line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'callout-mock-'));
    try {
      const file = join(dir, 'requests.jsonl');
      const m = await startMockServer({ logFile: file, keepLog: false });
      await call(`${m.url}/ok`, { key: 'a' });
      await call(`${m.url}/reject`, { key: 'b' });
      await call(`${m.url}/_health`);
      await m.close();
      const lines = (await readFile(file, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown);
      expect(lines).toEqual([
        expect.objectContaining({ method: 'GET', path: '/ok', key: 'a', status: 200 }),
        expect.objectContaining({ method: 'GET', path: '/reject', key: 'b', status: 400 }),
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('mock callbacks', () => {
  it('/callback answers 202, then posts success to the callback URL after the delay', async () => {
    const r = await receiver();
    const m = await mock();
    const res = await call(`${m.url}/callback?delayMs=120`, { json: { callbackUrl: `${r.url}/v1/callbacks/tok-1?x=y` } });
    const answeredAt = Date.now();
    expect(res).toMatchObject({ status: 202, body: { accepted: true, ref: 'EXT-1' } });
    expect(m.callbacksPending).toBe(1);
    await waitFor(() => m.callbacksSent === 1);
    expect(r.got).toHaveLength(1);
    const got = r.got[0]!;
    expect(got.at - answeredAt).toBeGreaterThanOrEqual(100);
    expect(got).toMatchObject({ method: 'POST', url: '/v1/callbacks/tok-1?x=y' });
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.body).toEqual({ outcome: 'success', data: { ticketNo: 'EXT-1', resolvedAt: expect.any(String) } });
    const resolvedAt = (got.body as { data: { resolvedAt: string } }).data.resolvedAt;
    expect(new Date(resolvedAt).toISOString()).toBe(resolvedAt);
    expect(m.callbackErrors).toBe(0);
    expect(m.callbacksPending).toBe(0);
  });

  it('posts a failure with the given reason, or the default one (query parameters, form body)', async () => {
    const r = await receiver();
    const m = await mock({ callbackDelayMs: 10 });
    await call(`${m.url}/callback`, { json: { callbackUrl: `${r.url}/a`, outcome: 'failure', reason: 'Cost centre unknown' } });
    await call(`${m.url}/callback?outcome=failure&callbackUrl=${encodeURIComponent(`${r.url}/b`)}`);
    await call(`${m.url}/callback`, { form: { callbackUrl: `${r.url}/c`, outcome: 'failure' } });
    await waitFor(() => m.callbacksSent === 3);
    const byUrl = Object.fromEntries(r.got.map((g) => [g.url, g.body]));
    expect(byUrl).toEqual({
      '/a': { outcome: 'failure', reason: 'Cost centre unknown' },
      '/b': { outcome: 'failure', reason: 'Rejected by the external system' },
      '/c': { outcome: 'failure', reason: 'Rejected by the external system' },
    });
  });

  it('never calls back with ?never=1, and refuses a missing callback URL', async () => {
    const m = await mock({ callbackDelayMs: 0 });
    expect((await call(`${m.url}/callback?never=1`, { json: {} })).status).toBe(202);
    expect(m.callbacksPending).toBe(0);
    expect((await call(`${m.url}/callback`, { json: {} })).status).toBe(400);
    expect((await call(`${m.url}/callback`, { json: { callbackUrl: 'ftp://x' } })).status).toBe(400);
  });

  it('retries a callback on 5xx and connection errors, then counts an error', async () => {
    const r = await receiver([503, 500]);
    const m = await mock({ callbackDelayMs: 0 });
    await call(`${m.url}/callback`, { json: { callbackUrl: `${r.url}/cb` } });
    await waitFor(() => m.callbacksSent === 1);
    expect(r.got).toHaveLength(3);

    const down = await receiver();
    const downUrl = down.url;
    await servers.pop()!.close(); // nothing listens there any more
    await call(`${m.url}/callback`, { json: { callbackUrl: `${downUrl}/cb` } });
    await waitFor(() => m.callbackErrors === 1);
    expect(m.callbacksSent).toBe(1);
    expect(m.callbacksPending).toBe(0);
  });

  it('close() cancels pending callbacks', async () => {
    const r = await receiver();
    const clock = new FakeClock();
    const m = await startMockServer({ callbackDelayMs: 150, clock });
    await call(`${m.url}/callback`, { json: { callbackUrl: `${r.url}/cb` } });
    expect(m.callbacksPending).toBe(1);
    await m.close();
    expect(m.callbacksPending).toBe(0);
    // Past the delay: a callback that close() missed would start now, synchronously.
    clock.advance(250);
    expect(m.callbacksPending).toBe(0);
    expect(r.got).toHaveLength(0);
  });
});

describe('mock as its own process', () => {
  it('prints the ready line, serves /ok, and exits cleanly on SIGTERM with the log file flushed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'callout-mock-'));
    const file = join(dir, 'requests.jsonl');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/mock/main.ts', '--port', '0', '--latency', '5ms', '--log-file', file, '--no-memory-log'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          stdout += c.toString();
          const m = /^mock listening (\S+)\n/.exec(stdout);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`mock exited early (${code}): ${stderr}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await call(`${url}/ok`, { key: 'child-1' })).toMatchObject({ status: 200, body: { ok: true, id: 'EXT-1' } });
      expect((await call(`${url}/_log`)).body).toEqual([]);

      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
      expect(stdout).toBe(`mock listening ${url}\n`);
      const lines = (await readFile(file, 'utf8')).trim().split('\n');
      expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([expect.objectContaining({ path: '/ok', key: 'child-1', status: 200 })]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad flags with a usage message', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/mock/main.ts', '--rate-limit', 'lots'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toMatch(/--rate-limit must be N\/MS/);
  });
});

describe('/oauth/token and /secure', () => {
  it('issues a bearer token for the demo client, and /secure routes accept only tokens it issued', async () => {
    const m = await mock();
    const refused = await call(`${m.url}/oauth/token`, {
      form: { grant_type: 'client_credentials', client_id: 'demo-client', client_secret: 'wrong' },
    });
    expect(refused.status).toBe(401);
    const t = await call(`${m.url}/oauth/token`, {
      form: { grant_type: 'client_credentials', client_id: 'demo-client', client_secret: 'demo-client-secret' },
    });
    expect(t.status).toBe(200);
    const token = (t.body as { access_token: string; expires_in: number }).access_token;
    expect((t.body as { expires_in: number }).expires_in).toBe(300);
    const without = await request(`${m.url}/secure/ok`, { method: 'POST' });
    await without.body.text();
    expect(without.statusCode).toBe(401);
    const withToken = await request(`${m.url}/secure/ok`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(withToken.statusCode).toBe(200);
    expect(JSON.parse(await withToken.body.text())).toMatchObject({ ok: true });
  });
});
