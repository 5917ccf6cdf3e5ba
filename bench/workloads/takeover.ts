// Workload E-takeover: how long held work waits after a node dies. `callout serve` (the real CLI) is
// given `held` actions to a server that holds each request for `holdMs`; once the server has seen every
// one of them (all in flight), the node gets SIGKILL; the actions it held are those not answered. Then either
//   restart: the same node is started again at once on the same store (SQLite or PostgreSQL), or
//   death:   a second node, started beforehand on the same PostgreSQL schema, stays alive alone;
// and the driver times, on the server's arrival log, until every held action has been sent again: from the
// kill, and (restart) from the restarted node's first answer to /health.
// Settings are the product's defaults (lease = the longest connector timeout + a 15 s margin) unless
// the task overrides them; --quick shortens the connector timeout and the margin to stay short.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { PG_BENCH_URL, dropSchema, pgQuery } from '../lib/pg.ts';
import { BENCH_SECRET_KEY } from '../systems/callout.ts';
import type { TaskBase } from './common.ts';
import { startChildServer, type ChildServer } from '../../test/helpers/child-server.ts';
import { freePort } from '../../test/helpers/harness.ts';

export interface TakeoverTask extends TaskBase {
  workload: 'E-takeover';
  mode: 'restart' | 'death';
  held: number;
  /** How long the mock holds each request: longer than the kill takes, shorter than the connector timeout. */
  holdMs: number;
  /** The connector's attempt timeout (Callout's default is 30s). */
  connectorTimeout?: string;
  /** CALLOUT_LEASE_MARGIN (default 15s). */
  leaseMargin?: string;
}

const KEY = 'bench-takeover-admin-key-0123456789';

/**
 * The external system: logs each request's Idempotency-Key when it arrives (the built-in mock logs at
 * its answer, which for a held request comes after the kill), then holds it `holdMs` and answers 200.
 */
async function holdingServer(holdMs: number): Promise<{
  url: string;
  arrivals: Array<{ key: string; at: number }>;
  /** Keys whose request was answered. */
  answered: Set<string>;
  close(): Promise<void>;
}> {
  const arrivals: Array<{ key: string; at: number }> = [];
  const answered = new Set<string>();
  const server: Server = createServer((req, res) => {
    const key = req.headers['idempotency-key'];
    if (typeof key === 'string') arrivals.push({ key, at: Date.now() });
    req.resume();
    const timer = setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'), holdMs);
    res.once('finish', () => typeof key === 'string' && answered.add(key));
    res.once('close', () => clearTimeout(timer)); // the sender died: nothing to answer
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    answered,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function progress(message: string): void {
  process.send?.({ type: 'progress', message });
}

async function api(base: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const r = await request(`${base}${path}`, {
    method: method as 'GET',
    headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.body.text();
  if (r.statusCode >= 300) throw new Error(`${method} ${path}: ${r.statusCode} ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

export async function runTakeover(task: TakeoverTask): Promise<Record<string, unknown>> {
  const postgres = task.system === 'callout-postgres';
  if (task.mode === 'death' && !postgres) throw new Error('E-takeover death: only on PostgreSQL (SQLite is one node)');
  const mock = await holdingServer(task.holdMs);
  const schema = `et_${task.ctx.runId}`;
  const u = new URL(PG_BENCH_URL);
  u.searchParams.set('options', `-c search_path=${schema}`);
  const dbUrl = u.toString();
  const ports = [await freePort(), await freePort()];
  const envOf = (port: number): Record<string, string> => ({
    CALLOUT_ADMIN_KEY: KEY,
    CALLOUT_SECRET_KEY: BENCH_SECRET_KEY,
    CALLOUT_ALLOW_PRIVATE_NETWORKS: '1',
    CALLOUT_PUBLIC_URL: `http://127.0.0.1:${port}`,
    CALLOUT_LOG_LEVEL: 'warn',
    CALLOUT_API_RATE_LIMIT: '100000000',
    ...(task.leaseMargin ? { CALLOUT_LEASE_MARGIN: task.leaseMargin } : {}),
    CALLOUT_DATA_DIR: join(task.ctx.workDir, 'serve'),
    ...(postgres ? { DATABASE_URL: dbUrl } : {}),
  });
  if (postgres) await pgQuery(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  const servers: ChildServer[] = [];
  try {
    const first = await startChildServer(envOf(ports[0]!), ports[0]!);
    servers.push(first);
    const base = first.url;
    await api(base, 'POST', '/v1/connectors', {
      name: 'vendor',
      baseUrl: mock.url,
      circuitBreaker: false,
      ...(task.connectorTimeout ? { timeout: task.connectorTimeout } : {}),
    });
    await api(base, 'POST', '/v1/action-types', {
      name: 'held',
      connector: 'vendor',
      path: '/ok',
      body: { format: 'json', template: '{"a":"{{ $actionId }}"}' },
    });
    const ids: string[] = [];
    for (let i = 0; i < task.held; i += 100) {
      const n = Math.min(100, task.held - i);
      const r = await Promise.all(Array.from({ length: n }, () => api(base, 'POST', '/v1/actions', { actionType: 'held', input: {} })));
      ids.push(...r.map((a) => a.id as string));
    }
    const launched = new Set(ids);
    const seen = (): number => new Set(mock.arrivals.filter((e) => launched.has(e.key)).map((e) => e.key)).size;
    const sendDeadline = Date.now() + task.holdMs;
    while (seen() < launched.size && Date.now() < sendDeadline) await new Promise((r) => setTimeout(r, 5));
    const inFlightAtKill = seen();
    if (inFlightAtKill < launched.size)
      throw new Error(`only ${inFlightAtKill} of ${launched.size} actions reached the server within ${task.holdMs} ms (hold longer)`);
    // The survivor starts once the first node has claimed everything; the hold must outlast its start.
    if (task.mode === 'death') servers.push(await startChildServer(envOf(ports[1]!), ports[1]!));
    const sentBeforeKill = mock.arrivals.length;
    await first.kill('SIGKILL');
    const killedAt = Date.now();
    // Held: sent and not answered when the node died (pipelined requests share a connection, so
    // a closed connection does not name them all).
    const heldKeys = new Set([...launched].filter((k) => !mock.answered.has(k)));
    if (heldKeys.size === 0) throw new Error('the killed node held none of the actions');
    let servingMs = NaN;
    if (task.mode === 'restart') {
      servers[0] = await startChildServer(envOf(ports[0]!), ports[0]!);
      servingMs = Date.now() - killedAt;
    }
    progress(
      `${task.mode}: ${inFlightAtKill} in flight, ${heldKeys.size} held by the killed node${task.mode === 'restart' ? `; serving again after ${servingMs} ms` : ''}`,
    );
    // Every held action sent again (the first arrival after the kill of each key).
    const resentAt = new Map<string, number>();
    const deadline = killedAt + task.timeoutMs;
    let checked = sentBeforeKill;
    while (resentAt.size < heldKeys.size && Date.now() < deadline) {
      for (; checked < mock.arrivals.length; checked++) {
        const e = mock.arrivals[checked]!;
        if (heldKeys.has(e.key) && e.at >= killedAt && !resentAt.has(e.key)) resentAt.set(e.key, e.at);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const times = [...resentAt.values()].sort((a, b) => a - b);
    const allBackMs = resentAt.size === heldKeys.size ? times[times.length - 1]! - killedAt : NaN;
    return {
      library: 'callout serve',
      settings: {
        store: postgres ? 'postgres' : 'sqlite',
        mode: task.mode,
        connectorTimeout: task.connectorTimeout ?? 'default (30s)',
        leaseMargin: task.leaseMargin ?? 'default (15s)',
        mockHoldMs: task.holdMs,
      },
      inFlightAtKill,
      held: heldKeys.size,
      resent: resentAt.size,
      servingMs,
      firstBackMs: times.length ? times[0]! - killedAt : NaN,
      allBackMs,
      allBackFromServingMs: allBackMs - servingMs,
      recovered: Number.isFinite(allBackMs),
    };
  } finally {
    for (const s of servers) await s.kill('SIGTERM');
    await mock.close();
    if (postgres) await dropSchema(schema);
  }
}
