// The load process of workload C: answers every waiting action at once, as external systems would,
// by POSTing a success callback to Callout's API for each token in a file (one per line).
// Forked with IPC: sends { type: 'started' }, then { type: 'done', ... } when every request answered.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values: f } = parseArgs({
  options: {
    url: { type: 'string' },
    tokens: { type: 'string' },
    concurrency: { type: 'string', default: '256' },
    'time-limit': { type: 'string', default: '600' },
  },
});
if (!f.url || !f.tokens) throw new Error('usage: callbacks.ts --url http://127.0.0.1:PORT --tokens FILE [--concurrency 256]');

const tokens = readFileSync(f.tokens, 'utf8').split('\n').filter(Boolean);
const concurrency = Number(f.concurrency);
const pool = new Pool(f.url, { connections: Math.min(concurrency, 64), pipelining: 1, keepAliveTimeout: 30_000 });
const body = JSON.stringify({ outcome: 'success', data: { ticketNo: 'BENCH-1' } });
const deadline = Date.now() + Number(f['time-limit']) * 1000;
const statuses: Record<string, number> = {};
let next = 0;
let errors = 0;
let firstError: string | undefined;

async function worker(): Promise<void> {
  while (next < tokens.length && Date.now() < deadline) {
    const token = tokens[next++]!;
    try {
      const res = await pool.request({
        method: 'POST',
        path: `/v1/callbacks/${token}`,
        headers: { 'content-type': 'application/json' },
        body,
      });
      const text = await res.body.text();
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      if (res.statusCode >= 300 && !firstError) firstError = `${res.statusCode} ${text.slice(0, 200)}`;
    } catch (err) {
      errors++;
      firstError ??= (err as Error).message;
    }
  }
}

process.send!({ type: 'started', at: Date.now() });
const t0 = performance.now();
await Promise.all(Array.from({ length: concurrency }, () => worker()));
const elapsedMs = performance.now() - t0;
await pool.close();
process.send!(
  { type: 'done', sent: next, statuses, errors, firstError, elapsedMs, perSecond: next / (elapsedMs / 1000) },
  undefined,
  {},
  () => process.exit(0),
);
