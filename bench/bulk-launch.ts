// A 100,000-row CSV bulk launch through the real API and store while the engine sends: rows/s, the
// latency of GET /health and of a single launch during the run, and the engine's sends meanwhile.
// `npx tsx bench/bulk-launch.ts [rows]` (SQLite file); `BENCH_PG=1` for PostgreSQL (CALLOUT_TEST_DATABASE_URL);
// `BULK_FORMAT=json` sends the rows as a JSON body instead, each Title padded to `BULK_PAD` characters
// (default 0; 440 makes 100,000 rows a 48 MB body).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { Callout } from '../src/callout.ts';
import { buildServer } from '../src/api/server.ts';
import { createLogger } from '../src/logger.ts';
import { startMockServer } from '../src/mock/server.ts';
import { PostgresStore } from '../src/store/postgres/store.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../test/helpers/pg.ts';

const rows = Number(process.argv[2] ?? 100_000);
const KEY = 'bench-admin-key-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'callout-bulk-bench-'));
const schema = process.env.BENCH_PG ? freshSchema('bulkbench') : undefined;
const mock = await startMockServer({ keepLog: false });
const callout = await Callout.open({
  dataDir: dir,
  ...(schema
    ? {
        store: new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, logger: createLogger({ level: 'warn' }) }),
        secretKey: randomBytes(32).toString('hex'),
      }
    : {}),
  allowPrivateNetworks: true,
  logger: createLogger({ level: 'warn' }),
  sqliteSynchronous: 'normal',
});
await callout.apiKeys.ensureAdminKey(KEY);
const app = await buildServer(callout);
const url = await app.listen({ port: 0, host: '127.0.0.1' });
callout.start();

async function api(
  method: string,
  path: string,
  body?: string | object,
  type = 'application/json',
): Promise<{ status: number; body: any; ms: number }> {
  const t0 = performance.now();
  const r = await request(`${url}${path}`, {
    method: method as 'GET',
    headers: { authorization: `Bearer ${KEY}`, ...(body !== undefined ? { 'content-type': type } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.body.text();
  return { status: r.statusCode, body: text ? JSON.parse(text) : undefined, ms: performance.now() - t0 };
}

await api('POST', '/v1/connectors', { name: 'desk', baseUrl: mock.url, timeout: '5s', circuitBreaker: false });
await api('POST', '/v1/action-types', {
  name: 'ticket',
  connector: 'desk',
  path: '/ok',
  body: { format: 'json', template: '{"title": "{{ Title }}", "priority": "{{ Priority }}"}' },
  fields: { Priority: { type: 'integer' } },
});

const json = process.env.BULK_FORMAT === 'json';
const pad = 'x'.repeat(Number(process.env.BULK_PAD ?? 0));
let body = 'Title,Priority\n';
// Every 1,000th row is refused ("seven"): the refusal path is in the measure too.
if (json) {
  const list = [];
  for (let i = 1; i <= rows; i++) list.push({ Title: `Ticket ${i}, laptop${pad}`, Priority: i % 1000 === 0 ? 'seven' : i % 5 });
  body = JSON.stringify({ actionType: 'ticket', rows: list });
} else for (let i = 1; i <= rows; i++) body += `"Ticket ${i}, laptop${pad}",${i % 1000 === 0 ? 'seven' : i % 5}\n`;

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
};
const health: number[] = [];
const single: number[] = [];
const singles: string[] = [];
let probing = true;
const probe = (async () => {
  while (probing) {
    health.push((await api('GET', '/health')).ms);
    const l = await api('POST', '/v1/actions', { actionType: 'ticket', input: { Title: 'single', Priority: 1 } });
    single.push(l.ms);
    singles.push(l.body.id);
    await new Promise((r) => setTimeout(r, 50));
  }
})();

const sentBefore = await callout.store.countActions({ state: 'closed' });
const started = performance.now();
const post = json
  ? await api('POST', '/v1/bulk-launches', body)
  : await api('POST', '/v1/bulk-launches?actionType=ticket', body, 'text/csv');
if (post.status !== 201) throw new Error(`bulk launch: ${post.status} ${JSON.stringify(post.body).slice(0, 500)}`);
let report = post.body;
let peakRss = 0;
while (report.status === 'running') {
  await new Promise((r) => setTimeout(r, 200));
  report = (await api('GET', `/v1/bulk-launches/${post.body.id}?limit=1`)).body;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}
const seconds = (performance.now() - started) / 1000;
const closedDuring = (await callout.store.countActions({ state: 'closed' })) - sentBefore;
probing = false;
await probe;
// The singles launched during the run were sent, too: the engine was not held up.
const singleClosed = (await Promise.all(singles.map((id) => callout.store.getAction(id)))).filter((a) => a?.state === 'closed').length;

console.log(
  JSON.stringify(
    {
      store: callout.store.kind,
      format: json ? 'json' : 'csv',
      bodyMB: Math.round(Buffer.byteLength(body) / 1e5) / 10,
      rows: report.total,
      launched: report.launched,
      refused: report.refused,
      postAnsweredMs: Math.round(post.ms),
      totalSeconds: Math.round(seconds * 10) / 10,
      rowsPerSecond: Math.round(report.total / seconds),
      healthMs: { p50: pct(health, 50), p99: pct(health, 99), max: pct(health, 100), n: health.length },
      singleLaunchMs: { p50: pct(single, 50), p99: pct(single, 99), max: pct(single, 100), n: single.length },
      singlesClosedByEnd: `${singleClosed}/${singles.length}`,
      actionsClosedDuringRun: closedDuring,
      peakRssMB: Math.round(peakRss / 1e6),
      node: process.version,
    },
    null,
    2,
  ),
);
await app.close();
await callout.close();
await mock.close();
if (schema) await dropSchema(schema);
rmSync(dir, { recursive: true, force: true });
