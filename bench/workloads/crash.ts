// Workload E, crash: `callout serve` (the real CLI, its own process) with thousands of actions in
// flight is killed with SIGKILL and started again on the same store. This driver process hosts the
// mock external system (whose callbacks keep retrying across the restart, as a real one would) and
// counts: lost actions, actions completed twice, duplicate sends, and the time to recover.

import { join } from 'node:path';
import { request } from 'undici';
import { startMockServer } from '../../src/mock/server.ts';
import { PG_BENCH_URL, dropSchema, pgQuery } from '../lib/pg.ts';
import { BENCH_SECRET_KEY } from '../systems/callout.ts';
import type { TaskBase } from './common.ts';
// The tests' way of running `callout serve` as a child, so the bench kills and restarts the same thing they do.
import { startChildServer, type ChildServer } from '../../test/helpers/child-server.ts';
import { freePort } from '../../test/helpers/harness.ts';

export interface CrashTask extends TaskBase {
  workload: 'E';
  /** Actions of each of the three types. */
  perType: number;
}

const KEY = 'bench-crash-admin-key-0123456789';
/** Kill once the mock has seen this share of the sends expected in the whole run. */
const KILL_AT_SHARE = 0.4;

function progress(message: string): void {
  process.send?.({ type: 'progress', message });
}

async function api<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  idempotencyKey?: string,
): Promise<T> {
  const r = await request(`${base}${path}`, {
    method: method as 'GET',
    headers: {
      authorization: `Bearer ${KEY}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.body.text();
  if (r.statusCode >= 300) throw new Error(`${method} ${path}: ${r.statusCode} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** Runs `fn` over items with `n` at a time. */
async function eachLimited<T, R>(items: readonly T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

interface ActionItem {
  id: string;
  actionTypeName: string;
  state: string;
  resolution: string | null;
}

export async function runCrash(task: CrashTask): Promise<Record<string, unknown>> {
  // Latency and jitter keep many attempts in flight at the kill; callbacks keep trying while Callout is down.
  const mock = await startMockServer({ latencyMs: 100, jitterMs: 200, callbackDelayMs: 2000, callbackRetries: 200 });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const postgres = task.system === 'callout-postgres';
  const schema = `e_${task.ctx.runId}`;
  const env: Record<string, string> = {
    CALLOUT_ADMIN_KEY: KEY,
    CALLOUT_SECRET_KEY: BENCH_SECRET_KEY,
    CALLOUT_ALLOW_PRIVATE_NETWORKS: '1',
    CALLOUT_LEASE_MARGIN: '1s',
    CALLOUT_POLL_INTERVAL: '100ms',
    CALLOUT_PUBLIC_URL: base,
    CALLOUT_LOG_LEVEL: 'warn',
    // Thousands of launches a second from one key: the benchmark measures recovery, not the API limit.
    CALLOUT_API_RATE_LIMIT: '100000000',
    HOST: '127.0.0.1',
    PORT: String(port),
    CALLOUT_DATA_DIR: join(task.ctx.workDir, 'serve'),
  };
  if (postgres) {
    await pgQuery(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    const u = new URL(PG_BENCH_URL);
    u.searchParams.set('options', `-c search_path=${schema}`);
    env.DATABASE_URL = u.toString();
  }
  let serve: ChildServer | undefined;
  try {
    serve = await startChildServer(env, port);
    // Thousands of first attempts answered 503 (the retrying type) would open the circuit breaker, which
    // is not what this workload measures (the crash test turns it off for the same reason).
    await api(base, 'POST', '/v1/connectors', { name: 'vendor', baseUrl: mock.url, timeout: '2s', circuitBreaker: false });
    const body = { format: 'json', template: '{"action": "{{ $actionId }}", "callbackUrl": "{{ $callbackUrl }}"}' };
    await api(base, 'POST', '/v1/action-types', { name: 'sync', connector: 'vendor', path: '/ok', body });
    await api(base, 'POST', '/v1/action-types', {
      name: 'async',
      connector: 'vendor',
      path: '/callback',
      body,
      completion: { mode: 'callback', timeout: '10m' },
    });
    await api(base, 'POST', '/v1/action-types', {
      name: 'retrying',
      connector: 'vendor',
      path: '/fail-then-ok?times=1',
      body,
      retry: { maxRetries: 5, interval: '300ms', backoff: 'fixed' },
    });
    const kinds = ['sync', 'async', 'retrying'].flatMap((t) => Array.from({ length: task.perType }, () => t));
    // Interleave the types so each is in every phase at the kill.
    const order = kinds.map((_, i) => kinds[(i % 3) * task.perType + Math.floor(i / 3)]!);
    const plannedSends = task.perType * 4; // sync and async once each, retrying twice (one 503, one 200)
    // Launches go on while the kill comes: an acknowledged launch must survive; one whose answer the
    // kill cut off may or may not exist (it is launched again after the restart, like a client would).
    const acknowledged: string[] = [];
    let next = 0;
    let down = false;
    const launcher = async (): Promise<void> => {
      while (next < order.length) {
        const i = next++;
        for (;;) {
          try {
            // With an Idempotency-Key, a launch repeated after the kill returns the action it created, if any.
            const key = `${task.ctx.runId}-${i}`;
            acknowledged.push((await api<{ id: string }>(base, 'POST', '/v1/actions', { actionType: order[i], input: {} }, key)).id);
            break;
          } catch (err) {
            if (!down && !/ECONNREFUSED|ECONNRESET|socket|other side closed/i.test((err as Error).message)) throw err;
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      }
    };
    const launching = Promise.all(Array.from({ length: 32 }, launcher));
    while (mock.requestCount < plannedSends * KILL_AT_SHARE) await new Promise((r) => setTimeout(r, 5));
    const sendsAtKill = mock.requestCount;
    const launchedAtKill = acknowledged.length;
    down = true;
    await serve.kill('SIGKILL');
    const killedAt = Date.now();
    serve = await startChildServer(env, port);
    down = false;
    const restartMs = Date.now() - killedAt;
    progress(`killed after ${sendsAtKill} sends and ${launchedAtKill} acknowledged launches; serving again after ${restartMs} ms`);
    await launching;
    const ids = acknowledged;
    let recoveryMs = NaN;
    const deadline = Date.now() + task.timeoutMs;
    // What is left open after the restart, each second: where a long recovery spends its time.
    const series: Array<Record<string, number>> = [];
    let lastSample = 0;
    for (;;) {
      const open = await Promise.all(
        ['waiting', 'todo', 'in_progress'].map((s) =>
          api<{ items: Array<{ phase: string | null }> }>(base, 'GET', `/v1/actions?state=${s}&limit=500`),
        ),
      );
      if (Date.now() - lastSample >= 1000) {
        lastSample = Date.now();
        const byPhase: Record<string, number> = {};
        for (const a of open[0]!.items) byPhase[a.phase ?? 'none'] = (byPhase[a.phase ?? 'none'] ?? 0) + 1;
        series.push({
          t: Date.now() - killedAt,
          sends: mock.requestCount,
          callbacksSent: mock.callbacksSent,
          todo: open[1]!.items.length,
          ...byPhase,
        });
      }
      if (open.every((o) => o.items.length === 0)) {
        recoveryMs = Date.now() - killedAt;
        break;
      }
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // Every action, and the closings on each timeline.
    const actions: ActionItem[] = [];
    let before = '';
    for (;;) {
      const page = await api<{ items: ActionItem[]; next: string | null }>(
        base,
        'GET',
        `/v1/actions?limit=500${before ? `&before=${before}` : ''}`,
      );
      actions.push(...page.items);
      if (!page.next) break;
      before = page.next;
    }
    const found = new Map(actions.map((a) => [a.id, a]));
    const lost = ids.filter((id) => !found.has(id)).length;
    const notDone = ids.filter((id) => found.get(id)?.resolution !== 'done_successfully').length;
    const closings = await eachLimited(ids, 32, async (id) => {
      const tl = await api<{ items: Array<{ kind: string; data?: { to?: { state?: string } } }> }>(
        base,
        'GET',
        `/v1/actions/${id}/timeline`,
      );
      return tl.items.filter((e) => e.kind === 'state_changed' && e.data?.to?.state === 'closed').length;
    });
    const completedTwice = closings.filter((n) => n > 1).length;
    const sends = mock.log.filter((e) => !e.path.startsWith('/_'));
    const perKey = new Map<string, number>();
    for (const s of sends) perKey.set(s.key ?? '', (perKey.get(s.key ?? '') ?? 0) + 1);
    const wrongKey = [...perKey.keys()].filter((k) => !found.has(k)).length;
    // Every action that exists was sent: once, or twice for the type whose first answer is a 503.
    const expectedSends = actions.reduce((n, a) => n + (a.actionTypeName === 'retrying' ? 2 : 1), 0);
    return {
      library: 'callout serve',
      settings: {
        store: postgres ? 'postgres' : 'sqlite',
        circuitBreaker: false,
        leaseMargin: '1s',
        pollInterval: '100ms',
        mock: 'latency 100 ms + jitter 0–200 ms, callbacks after 2 s, retried every 200 ms',
        killAt: `${KILL_AT_SHARE * 100} % of the planned sends, launches still going on`,
      },
      actions: ids.length,
      actionsStored: actions.length,
      inFlightAtKill: sendsAtKill,
      launchedAtKill,
      lost,
      notDoneSuccessfully: notDone,
      completedTwice,
      sends: sends.length,
      expectedSends,
      duplicateSends: sends.length - expectedSends,
      sendsWithUnknownKey: wrongKey,
      callbacksSent: mock.callbacksSent,
      callbackErrors: mock.callbackErrors,
      restartMs,
      recoveryMs,
      recovered: Number.isFinite(recoveryMs),
      openAfterKill: series,
    };
  } finally {
    if (serve) await serve.kill('SIGTERM');
    await mock.close();
    if (postgres) await dropSchema(schema);
  }
}
