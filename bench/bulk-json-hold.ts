// How long a large JSON bulk launch holds a server's event loop: `callout serve` in a child process,
// a JSON body POSTed to /v1/bulk-launches while GET /health is timed every 20 ms.
//   npx tsx bench/bulk-json-hold.ts [rows] [padding per row]   (2000 24000: 48 MB of 24 KB rows)
// The connector points at a closed loopback port: the rows' sends fail fast and retry, as a backlog would.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { request } from 'undici';

const rows = Number(process.argv[2] ?? 2000);
const pad = 'x'.repeat(Number(process.argv[3] ?? 24_000));
const KEY = 'bench-admin-key-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'callout-bulk-hold-'));
const port = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => resolve(p));
  });
});
const server = spawn(process.execPath, ['bin/callout.js', 'serve', '--data-dir', dir, '--port', String(port)], {
  env: { ...process.env, CALLOUT_ADMIN_KEY: KEY, CALLOUT_ALLOW_PRIVATE_NETWORKS: '1', CALLOUT_LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const url = `http://127.0.0.1:${port}`;
for (;;) {
  try {
    await (await request(`${url}/health`)).body.text();
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 200));
  }
}
const api = async (method: 'POST', path: string, body: string | Buffer): Promise<{ status: number; text: string }> => {
  const r = await request(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body,
  });
  return { status: r.statusCode, text: await r.body.text() };
};
await api('POST', '/v1/connectors', JSON.stringify({ name: 'desk', baseUrl: 'http://127.0.0.1:9', timeout: '5s', circuitBreaker: false }));
await api(
  'POST',
  '/v1/action-types',
  JSON.stringify({ name: 'ticket', connector: 'desk', path: '/ok', body: { format: 'json', template: '{"title": "{{ Title }}"}' } }),
);
const body = Buffer.from(
  JSON.stringify({ actionType: 'ticket', rows: Array.from({ length: rows }, (_, i) => ({ Title: `T ${i + 1}${pad}` })) }),
);

let probing = true;
const health: number[] = [];
const probe = (async () => {
  while (probing) {
    const t = performance.now();
    await (await request(`${url}/health`)).body.text();
    health.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 20));
  }
})();
await new Promise((r) => setTimeout(r, 300));
const t0 = performance.now();
const post = await api('POST', '/v1/bulk-launches', body);
const postMs = performance.now() - t0;
await new Promise((r) => setTimeout(r, 4000));
probing = false;
await probe;
server.kill('SIGINT');
await new Promise((r) => server.once('exit', r));
rmSync(dir, { recursive: true, force: true });
const sorted = [...health].sort((a, b) => a - b);
const at = (p: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 10) / 10;
console.log(
  JSON.stringify({
    rows,
    bodyMB: Math.round(body.length / 1e5) / 10,
    postStatus: post.status,
    postMs: Math.round(postMs),
    healthMs: { n: health.length, p50: at(0.5), p99: at(0.99), max: at(1) },
  }),
);
