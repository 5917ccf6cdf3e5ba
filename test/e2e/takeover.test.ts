// Takeover with the real CLI: a node SIGKILLed with actions in flight against a slow external system
// and restarted on the same store sends them all again within 2 s of being up (not when the lease,
// the connector timeout of 30 s plus the margin, ends); with two nodes on PostgreSQL, the work of the
// one killed runs on the other within the takeover setting. Every action completes once; resends
// carry the action's one idempotency key.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startMockServer, type MockServer } from '../../src/mock/server.ts';
import { freePort } from '../helpers/harness.ts';
import { childApi, closings, startChildServer, testNodeEnv, waitAllClosed, type ChildServer } from '../helpers/child-server.ts';
import { TEST_DATABASE_URL, withAdmin } from '../helpers/pg.ts';

const KEY = 'takeover-test-admin-key-0123456789';
const COUNT = 20;
const LATENCY = 3000;

interface Setup {
  env: Record<string, string>;
  url?: string;
  dispose(): Promise<void>;
}

async function sqlite(): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'callout-takeover-'));
  return { env: { CALLOUT_DATA_DIR: dir }, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function postgres(): Promise<Setup> {
  const db = `callout_takeover_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${db}`));
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${db}`;
  return {
    env: { DATABASE_URL: url.toString(), CALLOUT_SECRET_KEY: randomBytes(32).toString('hex') },
    url: url.toString(),
    dispose: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)).then(() => undefined),
  };
}

/** Configures a slow connector (default 30 s timeout) and launches COUNT actions; resolves when all are being sent. */
/** `bases`: the nodes the launches go through, in turn (each node claims first what it launched itself). */
async function launchInFlight(bases: string | string[], name: string): Promise<string[]> {
  const apis = (Array.isArray(bases) ? bases : [bases]).map((b) => childApi(b, KEY));
  const api = apis[0]!;
  await api('POST', '/v1/connectors', { name, baseUrl: mock.url, circuitBreaker: false });
  await api('POST', '/v1/action-types', { name, connector: name, path: '/ok' });
  const ids: string[] = [];
  for (let i = 0; i < COUNT; i++) ids.push((await apis[i % apis.length]!('POST', '/v1/actions', { actionType: name })).id);
  const deadline = Date.now() + 10_000;
  while ((await Promise.all(ids.map((id) => api('GET', `/v1/actions/${id}`)))).some((a) => a.phase !== 'sending')) {
    if (Date.now() > deadline) throw new Error('the actions were not all sent');
    await new Promise((r) => setTimeout(r, 50));
  }
  // The requests reach the mock (answered LATENCY later, to nobody once the node is dead).
  await new Promise((r) => setTimeout(r, 300));
  return ids;
}

/** Arrival times (at the mock) of each action's requests, waiting until every one in `ids` has `n`. */
async function arrivals(ids: string[], n: number, timeoutMs: number): Promise<Map<string, number[]>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const by = new Map(ids.map((id) => [id, mock.log.filter((e) => e.key === id).map((e) => e.at)]));
    if ([...by.values()].every((a) => a.length >= n) || Date.now() > deadline) return by;
    await new Promise((r) => setTimeout(r, 100));
  }
}

let mock: MockServer;
const children: ChildServer[] = [];
beforeAll(async () => {
  mock = await startMockServer({ latencyMs: LATENCY });
});
afterAll(async () => {
  await Promise.all(children.map((c) => c.kill()));
  await mock.close();
});

for (const [name, setup] of [
  ['SQLite', sqlite],
  ['PostgreSQL', postgres],
] as const)
  describe(name, () => {
    let s: Setup;
    beforeAll(async () => (s = await setup()));
    afterAll(async () => s.dispose());

    it('a node SIGKILLed with actions in flight, restarted, sends them all again within 2 s of being up', async () => {
      const port = await freePort();
      const env = testNodeEnv(KEY, { ...s.env, CALLOUT_PUBLIC_URL: `http://127.0.0.1:${port}` });
      const first = await startChildServer(env, port);
      children.push(first);
      const ids = await launchInFlight(first.url, 'slow');
      await first.kill('SIGKILL');
      const spawned = Date.now();
      const again = await startChildServer(env, port);
      children.push(again);
      const up = Date.now();
      const by = await arrivals(ids, 2, 10_000 + LATENCY);
      const resentAfterUp = ids.map((id) => (by.get(id)![1] ?? Infinity) - up);
      expect(Math.max(...resentAfterUp), `restart took ${up - spawned} ms; ${again.output()}`).toBeLessThan(2000);
      const api = childApi(again.url, KEY);
      const done = await waitAllClosed(api, COUNT, 20_000);
      expect(done.every((a) => a.state === 'closed' && a.resolution === 'done_successfully')).toBe(true);
      expect([...(await closings(api, ids)).values()].every((n) => n === 1)).toBe(true);
      // The idempotency key is the action's id: every request of an action carried it.
      expect(mock.log.filter((e) => ids.includes(e.key ?? '')).length).toBeGreaterThanOrEqual(2 * COUNT);
      await again.kill('SIGTERM');
    }, 60_000);

    if (name === 'PostgreSQL')
      it('with two nodes, the work of the one SIGKILLed runs on the other within CALLOUT_TAKEOVER_AFTER (2 s)', async () => {
        const ports = [await freePort(), await freePort()];
        const env = testNodeEnv(KEY, { ...s.env, CALLOUT_PUBLIC_URL: `http://127.0.0.1:${ports[1]}`, CALLOUT_TAKEOVER_AFTER: '2s' });
        const nodes = [await startChildServer(env, ports[0]!), await startChildServer(env, ports[1]!)];
        children.push(...nodes);
        const api = childApi(nodes[1]!.url, KEY);
        // The first test's actions are all closed already.
        const before = new Set((await api('GET', '/v1/actions?limit=500')).items.map((a: { id: string }) => a.id));
        // Launched through both: launched through one, that node claimed them all before the other was
        // woken (a CI run found the node to kill holding nothing).
        const ids = await launchInFlight([nodes[1]!.url, nodes[0]!.url], 'slow-two');
        const db = new pg.Client({ connectionString: s.url });
        await db.connect();
        let held: string[];
        try {
          const owner = (await db.query<{ id: string }>('SELECT id FROM nodes WHERE pid = $1', [nodes[0]!.proc.pid])).rows[0]!.id;
          held = (await db.query<{ id: string }>('SELECT id FROM actions WHERE lease_owner = $1', [owner])).rows.map((r) => r.id);
        } finally {
          await db.end();
        }
        // Both nodes claim; if the killed one happened to hold nothing, the test proves nothing.
        expect(held.length).toBeGreaterThan(0);
        await nodes[0]!.kill('SIGKILL');
        const killed = Date.now();
        const by = await arrivals(held, 2, 10_000 + LATENCY);
        const resent = held.map((id) => (by.get(id)![1] ?? Infinity) - killed);
        expect(Math.max(...resent)).toBeLessThan(2000);
        const done = await waitAllClosed(api, COUNT + before.size, 20_000);
        expect(done.every((a) => a.state === 'closed')).toBe(true);
        expect([...(await closings(api, ids)).values()].every((n) => n === 1)).toBe(true);
      }, 60_000);
  });
