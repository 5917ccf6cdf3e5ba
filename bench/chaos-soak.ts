// Chaos soak (scratch): a recording external system, N `callout serve` nodes on one PostgreSQL
// database (or one on SQLite), thousands of launches, SIGKILL/SIGSTOP/connection kills, then invariants.
// node --import tsx bench/chaos-soak.ts [--sqlite] [--nodes 3] [--actions 3000] [--cases 200] [--minutes 4] [--seed N] [--keep]
// Not part of the test suite. Writes /tmp/chaos-<seed>.json (report, problems, every request seen).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import pg from 'pg';
import Database from 'better-sqlite3';
import { startChildServer, testNodeEnv, type ChildServer } from '../test/helpers/child-server.ts';
import { freePort } from '../test/helpers/harness.ts';
import { TEST_DATABASE_URL, withAdmin } from '../test/helpers/pg.ts';

const args = process.argv.slice(2);
const opt = (name: string, d: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const SQLITE = args.includes('--sqlite');
const ACTIONS = opt('actions', 3000);
const CASES = opt('cases', 200);
const CHAOS_MS = opt('minutes', 4) * 60_000;
const NODES = SQLITE ? 1 : opt('nodes', 3);
const KEY = 'chaos-soak-admin-key-0123456789abcdef';
const SEED = opt('seed', Date.now() % 100000);
let rs = SEED;
const rnd = (): number => {
  rs = (rs * 1103515245 + 12345) % 2147483648;
  return rs / 2147483648;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (...a: unknown[]) => console.log(new Date().toISOString().slice(11, 23), ...a);

// ---------- the external system ----------
interface Req {
  key: string | null;
  path: string;
  at: number;
  bodyId: string | null;
  status: number | null;
  answeredAt: number | null;
}
const reqs: Req[] = [];
const cbStats = { sent: 0, ok: 0, gone: 0, conflict: 0, other: 0, never: 0, failures: 0 };
const cbResults: Array<{ key: string; status: number; at: number; outcome: string }> = [];
const nodes: Array<{ port: number; child: ChildServer | null; stopped: boolean }> = [];

function liveNode(): { port: number; child: ChildServer | null; stopped: boolean } | undefined {
  const live = nodes.filter((n) => n.child && !n.stopped);
  return live[Math.floor(rnd() * live.length)];
}

async function sendCallback(cbUrl: string, key: string, outcome: 'success' | 'failure'): Promise<void> {
  const path = new URL(cbUrl).pathname;
  cbStats.sent++;
  for (let i = 0; i < 200; i++) {
    const n = liveNode();
    if (!n) {
      await sleep(200);
      continue;
    }
    try {
      const r = await request(`http://127.0.0.1:${n.port}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(
          outcome === 'success' ? { outcome, data: { [`cb_${key.slice(-6)}`]: 1 } } : { outcome, reason: 'vendor said no' },
        ),
        headersTimeout: 5000,
        bodyTimeout: 5000,
      });
      await r.body.text();
      cbResults.push({ key, status: r.statusCode, at: Date.now(), outcome });
      if (r.statusCode < 300) return void cbStats.ok++;
      if (r.statusCode === 404) return void cbStats.gone++;
      if (r.statusCode === 409) return void cbStats.conflict++;
      if (r.statusCode === 429 || r.statusCode >= 500) {
        await sleep(300);
        continue;
      }
      cbStats.other++;
      return;
    } catch {
      await sleep(200);
    }
  }
  cbStats.other++;
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => {
    const key = (req.headers['idempotency-key'] as string | undefined) ?? null;
    let parsed: { id?: string; cb?: string } = {};
    try {
      parsed = JSON.parse(body);
    } catch {
      /* not json */
    }
    const r: Req = { key, path: req.url ?? '', at: Date.now(), bodyId: parsed.id ?? null, status: null, answeredAt: null };
    reqs.push(r);
    const answer = (status: number, headers: Record<string, string> = {}, delay = 0) =>
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end('{"ok":' + (status < 300) + '}');
        r.status = status;
        r.answeredAt = Date.now();
      }, delay);
    const p = (req.url ?? '').split('?')[0];
    const x = rnd();
    if (p === '/sync') {
      answer(200, {}, x < 0.05 ? 500 + rnd() * 1500 : rnd() * 30);
    } else if (p === '/flaky') {
      if (x < 0.25) answer(500);
      else if (x < 0.35) answer(503);
      else if (x < 0.42) answer(429, { 'retry-after': '1' });
      else if (x < 0.46) req.socket.destroy();
      else if (x < 0.5)
        answer(200, {}, 2500 + rnd() * 1000); // past the 2 s connector timeout
      else answer(200, {}, rnd() * 50);
    } else if (p === '/limited') {
      answer(200, {}, rnd() * 20);
    } else if (p === '/cb') {
      const y = rnd();
      const cb = parsed.cb;
      if (!cb || !key) return answer(400);
      if (y < 0.1) {
        cbStats.never++;
        answer(202);
      } else if (y < 0.15) {
        // quick system: calls back before answering
        void sendCallback(cb, key, 'success').then(() => answer(202));
      } else {
        answer(202, {}, rnd() * 30);
        const outcome = rnd() < 0.08 ? 'failure' : 'success';
        if (outcome === 'failure') cbStats.failures++;
        setTimeout(() => void sendCallback(cb, key, outcome), 100 + rnd() * 2500);
      }
    } else answer(404);
  });
}

// ---------- the API ----------
async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, tries = 300): Promise<any> {
  for (let i = 0; ; i++) {
    const n = liveNode();
    if (!n) {
      await sleep(200);
      continue;
    }
    try {
      const r = await request(`http://127.0.0.1:${n.port}${path}`, {
        method: method as 'GET',
        headers: { authorization: `Bearer ${KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        headersTimeout: 15_000,
        bodyTimeout: 15_000,
      });
      const text = await r.body.text();
      if (r.statusCode < 300) return JSON.parse(text);
      if ((r.statusCode < 500 && r.statusCode !== 429) || i >= tries)
        throw new Error(`${method} ${path}: ${r.statusCode} ${text.slice(0, 300)}`);
    } catch (err) {
      if ((err as Error).message.startsWith(`${method} ${path}`) || i >= tries) throw err;
    }
    await sleep(150);
  }
}

// ---------- store ----------
let dbUrl = '';
let dbName = '';
let sqliteFile = '';
async function q<R = any>(sql: string, params: unknown[] = []): Promise<R[]> {
  if (SQLITE) {
    const db = new Database(sqliteFile, { readonly: true });
    try {
      return db.prepare(sql.replace(/\$\d+/g, '?')).all(...params) as R[];
    } finally {
      db.close();
    }
  }
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as R[];
  } finally {
    await c.end();
  }
}

async function main(): Promise<void> {
  log('seed', SEED, SQLITE ? 'sqlite' : `postgres x${NODES}`, 'actions', ACTIONS, 'cases', CASES);
  const mock = createServer(handle);
  mock.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => mock.listen(0, '127.0.0.1', r));
  const mockUrl = `http://127.0.0.1:${(mock.address() as AddressInfo).port}`;

  const dataDir = mkdtempSync(join(tmpdir(), 'chaos-soak-'));
  const env: Record<string, string> = { CALLOUT_API_RATE_LIMIT: '100000000', CALLOUT_TAKEOVER_AFTER: '3s', CALLOUT_LOG_LEVEL: 'warn' };
  if (SQLITE) {
    env.CALLOUT_DATA_DIR = dataDir;
    sqliteFile = join(dataDir, 'callout.db');
  } else {
    dbName = `chaos_${randomBytes(4).toString('hex')}`;
    await withAdmin((c) => c.query(`CREATE DATABASE ${dbName}`));
    const u = new URL(TEST_DATABASE_URL);
    u.pathname = `/${dbName}`;
    dbUrl = u.toString();
    env.DATABASE_URL = dbUrl;
    env.CALLOUT_SECRET_KEY = randomBytes(32).toString('hex');
    env.CALLOUT_DATA_DIR = dataDir;
  }
  for (let i = 0; i < NODES; i++) nodes.push({ port: await freePort(), child: null, stopped: false });
  const nodeEnv = testNodeEnv(KEY, { ...env, CALLOUT_PUBLIC_URL: `http://127.0.0.1:${nodes[0]!.port}` });
  const outputs: string[] = [];
  const start = async (n: (typeof nodes)[number]) => {
    n.child = await startChildServer(nodeEnv, n.port);
    n.stopped = false;
    const c = n.child;
    c.proc.once('exit', (code, sig) => {
      outputs.push(`--- node ${n.port} exit ${code} ${sig}\n${c.output().slice(-3000)}`);
      if (code !== null && code !== 0) log('NODE EXITED BY ITSELF', n.port, code, c.output().slice(-2000));
    });
  };
  await start(nodes[0]!);
  for (const n of nodes.slice(1)) await start(n);
  log('nodes up', nodes.map((n) => n.port).join(','), dbName || dataDir);

  // configuration
  const tpl = '{"id":"{{ $actionId }}","cb":"{{ $callbackUrl }}"}';
  const fast = { maxRetries: 8, interval: '300ms', backoff: 'fixed' };
  await call('POST', '/v1/connectors', { name: 'vendor', baseUrl: mockUrl, circuitBreaker: false, timeout: '2s' });
  await call('POST', '/v1/connectors', {
    name: 'limited',
    baseUrl: mockUrl,
    circuitBreaker: false,
    timeout: '2s',
    rateLimits: [{ limit: 15, per: '1s' }],
  });
  // One action type per behaviour of the external system, each on the connector that reaches it.
  const actionTypes: Array<[name: string, connector: string, extra?: Record<string, unknown>]> = [
    ['sync', 'vendor'],
    ['flaky', 'vendor'],
    ['limited', 'limited'],
    ['cb', 'vendor', { completion: { mode: 'callback', timeout: '6s' } }],
  ];
  for (const [name, connector, extra] of actionTypes)
    await call('POST', '/v1/action-types', {
      name,
      connector,
      path: `/${name}`,
      body: { format: 'json', template: tpl },
      retry: fast,
      ...extra,
    });
  await call('POST', '/v1/processes', {
    name: 'proc',
    steps: [
      { name: 'a', kind: 'external', actionType: 'sync' },
      { name: 'b', kind: 'external', actionType: 'flaky', onFailure: 'continue' },
      { name: 'c', kind: 'external', actionType: 'cb', onFailure: 'continue' },
      { name: 'd', kind: 'external', actionType: 'limited', waitForResponse: false },
    ],
  });

  // chaos
  let chaos = true;
  const events = { kill: 0, stop: 0, pgkill: 0, restartFail: 0 };
  const chaosLoop = (async () => {
    let lastStop = Date.now();
    let lastPg = Date.now();
    while (chaos) {
      await sleep(1200 + rnd() * 2000);
      if (!chaos) break;
      const victim = nodes[Math.floor(rnd() * nodes.length)]!;
      if (!victim.child || victim.stopped) continue;
      if (!SQLITE && Date.now() - lastPg > 15_000) {
        lastPg = Date.now();
        const n = await withAdmin(async (c) => {
          const r = await c.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'callout%' AND pid <> pg_backend_pid()",
            [dbName],
          );
          return r.rowCount;
        });
        events.pgkill++;
        log('pg connections terminated', n);
        continue;
      }
      if (NODES > 1 && Date.now() - lastStop > 25_000) {
        lastStop = Date.now();
        victim.stopped = true;
        victim.child.proc.kill('SIGSTOP');
        events.stop++;
        const ms = 5000 + rnd() * 3000;
        log('SIGSTOP', victim.port, Math.round(ms));
        setTimeout(() => {
          victim.child?.proc.kill('SIGCONT');
          victim.stopped = false;
          log('SIGCONT', victim.port);
        }, ms);
        continue;
      }
      // never kill the last live one on PostgreSQL: keep the API reachable most of the time
      log('SIGKILL', victim.port);
      victim.stopped = true;
      await victim.child.kill('SIGKILL');
      victim.child = null;
      events.kill++;
      await sleep(rnd() * 1500);
      try {
        await start(victim);
      } catch (e) {
        events.restartFail++;
        log('restart failed', (e as Error).message.slice(0, 500));
        await sleep(1000);
        await start(victim);
      }
    }
  })();

  // launches
  const t0 = Date.now();
  const opRetries = new Map<string, number>();
  const paused = new Set<string>();
  const launched = new Map<string, { type: string; key: string; startAt?: number }>();
  const keyIds = new Map<string, Set<string>>();
  const types = ['sync', 'sync', 'flaky', 'flaky', 'limited', 'cb', 'cb'];
  let dupSent = 0;
  const launchOne = async (i: number) => {
    const type = types[i % types.length]!;
    const key = `k-${SEED}-${i}`;
    const startAt = type === 'sync' && rnd() < 0.15 ? Date.now() + 3000 + Math.floor(rnd() * 15_000) : undefined;
    const body = { actionType: type, input: {}, ...(startAt ? { startAt } : {}) };
    const times = rnd() < 0.1 ? 2 : 1;
    if (times === 2) dupSent++;
    const rs = await Promise.all(Array.from({ length: times }, () => call('POST', '/v1/actions', body, { 'idempotency-key': key })));
    for (const r of rs) {
      launched.set(r.id, { type, key, startAt });
      if (!keyIds.has(key)) keyIds.set(key, new Set());
      keyIds.get(key)!.add(r.id);
    }
  };
  const caseIds = new Map<string, Set<string>>();
  const caseOne = async (i: number) => {
    const key = `c-${SEED}-${i}`;
    const times = rnd() < 0.1 ? 2 : 1;
    const rs = await Promise.all(
      Array.from({ length: times }, () =>
        call('POST', '/v1/cases', { process: 'proc', title: `case ${i}`, data: { n: i } }, { 'idempotency-key': key }),
      ),
    );
    for (const r of rs) {
      if (!caseIds.has(key)) caseIds.set(key, new Set());
      caseIds.get(key)!.add(r.id);
    }
  };
  const total = ACTIONS + CASES;
  const perMs = (CHAOS_MS * 0.7) / total;
  let next = 0;
  const workers = Array.from({ length: 8 }, async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const due = t0 + i * perMs;
      if (due > Date.now()) await sleep(due - Date.now());
      try {
        if (i % Math.max(1, Math.floor(total / CASES)) === 0 && caseIds.size < CASES) await caseOne(i);
        else await launchOne(i);
      } catch (e) {
        log('launch failed', i, (e as Error).message.slice(0, 200));
      }
    }
  });
  let operating = true;
  const ops = { retry: 0, retryDup: 0, pause: 0, failed: 0 };
  const operator = (async () => {
    const ids = () => [...launched.keys()];
    while (operating) {
      await sleep(150);
      const all = ids();
      const id = all[Math.floor(rnd() * all.length)];
      if (!id) continue;
      try {
        const a = await call('GET', `/v1/actions/${id}`);
        if (a.state === 'todo' || (a.state === 'closed' && a.resolution === 'not_done_successfully')) {
          const key = `r-${id}-${opRetries.get(id) ?? 0}`;
          opRetries.set(id, (opRetries.get(id) ?? 0) + 1);
          const twice = rnd() < 0.5;
          ops.retry++;
          if (twice) ops.retryDup++;
          await Promise.all(
            Array.from({ length: twice ? 2 : 1 }, () => call('POST', `/v1/actions/${id}/retry`, {}, { 'idempotency-key': key })),
          );
        } else if (a.state === 'waiting' && !a.paused && a.phase === 'retry_scheduled') {
          ops.pause++;
          await call('POST', `/v1/actions/${id}/pause`, {});
          paused.add(id);
          setTimeout(
            () =>
              void call('POST', `/v1/actions/${id}/resume`, {}).then(
                () => paused.delete(id),
                () => undefined,
              ),
            1000,
          );
        }
      } catch (e) {
        ops.failed++;
        if (ops.failed < 20) log('op failed', (e as Error).message.slice(0, 200));
      }
    }
  })();
  await Promise.all(workers);
  log('launched', launched.size, 'cases', caseIds.size, 'dup keys sent', dupSent);
  const left = t0 + CHAOS_MS - Date.now();
  if (left > 0) await sleep(left);
  chaos = false;
  operating = false;
  await operator;
  await chaosLoop;
  for (const n of nodes) {
    if (n.stopped && n.child) n.child.proc.kill('SIGCONT');
    n.stopped = false;
    if (!n.child) await start(n);
  }
  log('chaos over', events, ops);
  await sleep(1500);
  for (const id of paused)
    await call('POST', `/v1/actions/${id}/resume`, {}).catch((e) => log('resume', id, (e as Error).message.slice(0, 200)));

  // drain
  const drainStart = Date.now();
  for (;;) {
    const open = await q<{ state: string; phase: string | null; n: string }>(
      "SELECT state, phase, count(*) AS n FROM actions WHERE state IN ('waiting','in_progress') GROUP BY state, phase",
    );
    const cases = await q<{ n: string }>("SELECT count(*) AS n FROM cases WHERE status = 'open'");
    const openN = open.reduce((s, r) => s + Number(r.n), 0);
    if (openN === 0 || Date.now() - drainStart > 120_000) {
      log('drain', Date.now() - drainStart, 'ms; open', JSON.stringify(open), 'open cases', cases[0]!.n);
      break;
    }
    await sleep(1000);
  }
  await sleep(3000); // late callbacks settle

  // ---------- invariants ----------
  const problems: string[] = [];
  const bad = (s: string) => {
    if (problems.length < 400) problems.push(s);
  };
  for (const [key, ids] of keyIds) if (ids.size > 1) bad(`idempotency key ${key} launched ${[...ids].join(',')}`);
  for (const [key, ids] of caseIds) if (ids.size > 1) bad(`case key ${key} created ${[...ids].join(',')}`);
  const actions = await q<any>('SELECT * FROM actions');
  const byId = new Map(actions.map((a) => [a.id, a]));
  for (const id of launched.keys()) if (!byId.has(id)) bad(`launched ${id} not in store`);
  const tl = await q<any>('SELECT action_id, seq, at, kind, data, actor, message FROM timeline ORDER BY action_id, seq');
  const tlBy = new Map<string, any[]>();
  for (const e of tl) {
    if (typeof e.data === 'string') e.data = JSON.parse(e.data);
    if (!tlBy.has(e.action_id)) tlBy.set(e.action_id, []);
    tlBy.get(e.action_id)!.push(e);
  }
  const reqBy = new Map<string, Req[]>();
  for (const r of reqs) {
    if (!r.key) {
      bad(`request without key ${r.path}`);
      continue;
    }
    if (r.bodyId && r.bodyId !== r.key) bad(`request key ${r.key} body id ${r.bodyId}`);
    if (!byId.has(r.key)) bad(`request key ${r.key} names no action`);
    if (!reqBy.has(r.key)) reqBy.set(r.key, []);
    reqBy.get(r.key)!.push(r);
  }
  const finals: Record<string, number> = {};
  for (const a of actions) {
    const w = `${a.state}/${a.reason ?? a.resolution ?? ''}`;
    finals[`${a.action_type_id ? 'x' : 'task'}:${w}`] = (finals[`${a.action_type_id ? 'x' : 'task'}:${w}`] ?? 0) + 1;
    if (a.state === 'waiting' || a.state === 'in_progress')
      bad(`${a.id} still ${a.state}/${a.phase} owner=${a.lease_owner} due=${a.due_at}`);
    if (a.lease_owner && a.state !== 'waiting') bad(`${a.id} ${a.state} still leased by ${a.lease_owner}`);
    const entries = tlBy.get(a.id) ?? [];
    if (entries[0]?.kind !== 'launched') bad(`${a.id} timeline starts with ${entries[0]?.kind}`);
    let cur = { state: 'waiting', reason: null, resolution: null } as any;
    let closedN = 0;
    let lastAt = 0;
    for (const e of entries) {
      if (Number(e.at) < lastAt - 0) bad(`${a.id} timeline seq ${e.seq} at ${e.at} before previous ${lastAt} (${e.kind})`);
      lastAt = Math.max(lastAt, Number(e.at));
      // A manual retry starts a new life: an action closed Not Done may close again after it.
      if (e.kind === 'retry_requested') closedN = 0;
      if (e.kind !== 'state_changed') continue;
      const f = e.data.from;
      if (f.state !== cur.state || (f.reason ?? null) !== (cur.reason ?? null) || (f.resolution ?? null) !== (cur.resolution ?? null))
        bad(`${a.id} state_changed seq ${e.seq} from ${JSON.stringify(f)} but was ${JSON.stringify(cur)}`);
      cur = e.data.to;
      if (cur.state === 'closed' && ++closedN > 1) bad(`${a.id} closed ${closedN} times in one life`);
    }
    if (cur.state !== a.state || (cur.reason ?? null) !== (a.reason ?? null) || (cur.resolution ?? null) !== (a.resolution ?? null))
      bad(`${a.id} timeline ends ${JSON.stringify(cur)} but row is ${a.state}/${a.reason}/${a.resolution}`);
    // per life (a manual retry starts a new one): one acceptance, and no send after its end was recorded
    const rq = reqBy.get(a.id) ?? [];
    const retries = entries.filter((e) => e.kind === 'retry_requested');
    if (retries.length > (opRetries.get(a.id) ?? 0)) bad(`${a.id} retried ${retries.length}x for ${opRetries.get(a.id) ?? 0} retry keys`);
    const bounds = [0, ...retries.map((e) => Number(e.seq)), Infinity];
    for (let b = 0; b + 1 < bounds.length; b++) {
      const life = entries.filter((e) => Number(e.seq) > bounds[b]! && Number(e.seq) < bounds[b + 1]!);
      const accepted = life.filter((e) => e.kind === 'accepted').length;
      if (accepted > 1) bad(`${a.id} accepted ${accepted} times in life ${b}`);
      const endAt = life.find((e) => e.kind === 'accepted' || (e.kind === 'state_changed' && e.data.to.state !== 'waiting'));
      const nextLife = retries[b] ? Number(retries[b]!.at) : Infinity;
      if (endAt) {
        const after = rq.filter((r) => r.at > Number(endAt.at) + 5 && r.at < nextLife);
        if (after.length)
          bad(
            `${a.id} sent ${after.length}x after ${endAt.kind} recorded at ${endAt.at}: ${after.map((r) => r.at - Number(endAt.at)).join(',')} ms later`,
          );
      }
    }
    const l = launched.get(a.id);
    if (l?.startAt && rq.some((r) => r.at < l.startAt!)) bad(`${a.id} sent before its startAt`);
    if (a.action_type_id && a.state !== 'todo' && rq.length === 0 && a.resolution === 'done_successfully')
      bad(`${a.id} done without a send`);
  }
  // cases
  const cases = await q<any>('SELECT id FROM cases');
  let caseChecked = 0;
  for (const c of cases) {
    const view = await call('GET', `/v1/cases/${c.id}`);
    caseChecked++;
    const personal = view.steps.some((s: any) => s.status === 'waiting_for_person' && byId.get(s.actionId)?.state === 'todo');
    if (view.status !== 'closed' && !personal)
      bad(`case ${c.id} ${view.status} steps ${JSON.stringify(view.steps.map((s: any) => s.status))}`);
    const caseActions = actions.filter((a) => a.case_id === c.id);
    const stepIds = view.steps.map((s: any) => s.actionId).filter(Boolean);
    for (const a of caseActions) if (!stepIds.includes(a.id)) bad(`case ${c.id} action ${a.id} is on no step`);
    for (const s of view.steps) {
      if (!s.actionId && personal && s.status === 'pending') continue;
      if (!s.actionId) {
        bad(`case ${c.id} step ${s.name} ${s.status} has no action`);
        continue;
      }
      const a = byId.get(s.actionId);
      if (!a) {
        bad(`case ${c.id} step ${s.name} action missing`);
        continue;
      }
      if (s.name === 'd') continue;
      const ok = a.state === 'closed' && a.resolution === 'done_successfully';
      if (ok !== (s.outcome === 'ACTION_HANDLED_SUCCESSFUL'))
        bad(`case ${c.id} step ${s.name} ${s.status}/${s.outcome} but action ${a.id} ${a.state}/${a.reason ?? a.resolution}`);
    }
  }
  // API view of a sample
  const sample = actions.filter(() => rnd() < 0.03);
  for (const a of sample) {
    const v = await call('GET', `/v1/actions/${a.id}`);
    if (v.state !== a.state) bad(`${a.id} API ${v.state} db ${a.state}`);
    const t = await call('GET', `/v1/actions/${a.id}/timeline?limit=500`);
    if (t.items.length !== (tlBy.get(a.id) ?? []).length) bad(`${a.id} API timeline ${t.items.length} db ${(tlBy.get(a.id) ?? []).length}`);
  }
  const resends = [...reqBy.values()].filter((r) => r.length > 1).length;
  const report = {
    seed: SEED,
    store: SQLITE ? 'sqlite' : `postgres x${NODES}`,
    durationS: Math.round((Date.now() - t0) / 1000),
    launched: launched.size,
    actionsInStore: actions.length,
    cases: cases.length,
    caseChecked,
    requests: reqs.length,
    actionsSentMoreThanOnce: resends,
    callbacks: cbStats,
    events,
    finals,
    problems: problems.length,
  };
  log(JSON.stringify(report, null, 1));
  for (const p of problems.slice(0, 80)) log('PROBLEM', p);
  writeFileSync(`/tmp/chaos-${SEED}.json`, JSON.stringify({ report, problems, reqs, cbResults, outputs }, null, 1));
  for (const n of nodes) await n.child?.kill('SIGTERM');
  mock.closeAllConnections();
  mock.close();
  if (args.includes('--keep')) log('kept', dbName || dataDir);
  else {
    if (!SQLITE) await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
    rmSync(dataDir, { recursive: true, force: true });
  }
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
