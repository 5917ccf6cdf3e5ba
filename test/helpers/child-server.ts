// Runs `callout serve` as a child process (the real CLI), for crash and multi-node tests.

import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'undici';
import { freePort } from './harness.ts';

/** Stops a child orphaned by a test run killed outright (die-with-parent.mjs). */
const DIE_WITH_PARENT = new URL('./die-with-parent.mjs', import.meta.url).href;

export interface ChildServer {
  proc: ChildProcess;
  url: string;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startChildServer(env: Record<string, string>, port: number): Promise<ChildServer> {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--import', DIE_WITH_PARENT, 'src/cli/main.ts', 'serve'], {
    env: { ...process.env, CALLOUT_LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The last 20,000 characters: enough to explain a failure, bounded for long benchmark runs.
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  proc.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`callout serve exited with ${proc.exitCode}: ${out}`);
    try {
      // Not kept alive: a test of connection places counts on none held by this poll.
      const r = await request(`${url}/health`, { reset: true });
      await r.body.text();
      if (r.statusCode === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`callout serve did not start: ${out}`);
    // Polled often: the crash benchmark reports the restart time from this.
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    proc,
    url,
    output: () => out,
    kill: (signal = 'SIGKILL') =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill(signal);
      }),
  };
}

export type ChildApi = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<any>;

/**
 * Calls a node's API with an admin key and returns the parsed answer; throws on 3xx and above.
 * With `patient`, it retries through an outage (5xx or no connection) for about 20 s, as a careful
 * client would (safe for launches that carry an Idempotency-Key).
 */
export function childApi(base: string, key: string, opts: { patient?: boolean; onGiveUp?: () => string } = {}): ChildApi {
  return async (method, path, body, headers = {}) => {
    for (let i = 0; ; i++) {
      const last = !opts.patient || i > 100;
      try {
        const r = await request(`${base}${path}`, {
          method: method as 'GET',
          headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
          body: body !== undefined ? JSON.stringify(body) : undefined,
        });
        const text = await r.body.text();
        if (r.statusCode < 300) return JSON.parse(text);
        if (r.statusCode < 500 || last) throw new Error(`${method} ${path}: ${r.statusCode} ${text}`);
      } catch (err) {
        if (last) throw new Error(`${(err as Error).message}${opts.onGiveUp ? `\n${opts.onGiveUp()}` : ''}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };
}

/** Every action, page by page. */
export async function allActions(api: ChildApi): Promise<any[]> {
  const out: any[] = [];
  let before = '';
  for (;;) {
    const page = await api('GET', `/v1/actions?limit=500${before ? `&before=${before}` : ''}`);
    out.push(...page.items);
    if (!page.next) return out;
    before = page.next;
  }
}

/** Waits until all `count` actions are closed (or the deadline passes) and returns them. */
export async function waitAllClosed(api: ChildApi, count: number, timeoutMs: number): Promise<any[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const actions = await allActions(api);
    if ((actions.length === count && actions.every((a) => a.state === 'closed')) || Date.now() > deadline) return actions;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The number of 'changed to Closed' entries on each action's timeline (must be one each). */
export async function closings(api: ChildApi, ids: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const id of ids) {
    const tl = (await api('GET', `/v1/actions/${id}/timeline`)).items;
    out.set(id, tl.filter((e: any) => e.kind === 'state_changed' && e.data?.to?.state === 'closed').length);
  }
  return out;
}

/**
 * Settings every test node gets: its admin key, loopback allowed, short leases and polls, and a dead
 * node's work taken over after 5 s (the default, 10 s, would only lengthen the tests that kill one).
 */
export function testNodeEnv(adminKey: string, env: Record<string, string>): Record<string, string> {
  return {
    CALLOUT_ADMIN_KEY: adminKey,
    CALLOUT_ALLOW_PRIVATE_NETWORKS: '1',
    CALLOUT_LEASE_MARGIN: '1s',
    CALLOUT_POLL_INTERVAL: '200ms',
    CALLOUT_TAKEOVER_AFTER: '5s',
    ...env,
  };
}

/**
 * Starts `count` nodes sharing one store (`env` names it). Callbacks go to the first node, standing in
 * for the load balancer in front of them all.
 */
export async function startNodes(count: number, adminKey: string, env: Record<string, string>): Promise<ChildServer[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await freePort());
  const all = testNodeEnv(adminKey, { CALLOUT_PUBLIC_URL: `http://127.0.0.1:${ports[0]}`, ...env });
  // Together, as a deployment starts them: the stores take concurrent migrations (sqlite-migrate-race).
  return Promise.all(ports.map((port) => startChildServer(all, port)));
}
