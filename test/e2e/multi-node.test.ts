// Several engine processes (the real CLI) sharing one store, one of them SIGKILLed mid-run: every
// action ends correctly, none twice, resends carry the action's one idempotency key, and a
// rate-limited connector never gets more than its limit in any window, as the mock's log shows (allowing
// for the time a request spends in transit on a loaded machine: test/helpers/rate-windows.ts).
// Run on PostgreSQL (three nodes, the deployment it is for) and on one SQLite file (two processes).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMockServer, type MockServer } from '../../src/mock/server.ts';
import { childApi, closings, startNodes, waitAllClosed, type ChildServer } from '../helpers/child-server.ts';
import { withAdmin, TEST_DATABASE_URL } from '../helpers/pg.ts';
import { overLimit, perWindow } from '../helpers/rate-windows.ts';

const KEY = 'multi-node-admin-key-0123456789';
const LIMIT = 20; // per second, on the limited connector

/** The time a request may spend between Callout's window check and the mock's log, under a whole suite on two cores. */
const TRANSIT_MS = 500;

interface StoreSetup {
  env: Record<string, string>;
  nodes: number;
  dispose(): Promise<void>;
}

async function sqliteSetup(): Promise<StoreSetup> {
  const dir = mkdtempSync(join(tmpdir(), 'callout-nodes-'));
  return { env: { CALLOUT_DATA_DIR: dir }, nodes: 2, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function postgresSetup(): Promise<StoreSetup> {
  const db = `callout_nodes_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${db}`));
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${db}`;
  return {
    env: { DATABASE_URL: url.toString(), CALLOUT_SECRET_KEY: randomBytes(32).toString('hex') },
    nodes: 3,
    dispose: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)).then(() => undefined),
  };
}

for (const [name, setup] of [
  ['PostgreSQL', postgresSetup],
  ['SQLite', sqliteSetup],
] as const) {
  describe(`${name}: several engine processes sharing one store`, () => {
    let mock: MockServer;
    let store: StoreSetup;
    const nodes: ChildServer[] = [];
    beforeAll(async () => {
      mock = await startMockServer({ latencyMs: 30, jitterMs: 120, keepBodies: true, callbackDelayMs: 1500, callbackRetries: 100 });
      store = await setup();
    });
    afterAll(async () => {
      await Promise.all(nodes.map((n) => n.kill()));
      await mock.close();
      await store.dispose();
    });

    it('one node SIGKILLed mid-run: every action ends once, resends keep their key, the rate limit holds', async () => {
      nodes.push(...(await startNodes(store.nodes, KEY, store.env)));
      const api = childApi(nodes[0]!.url, KEY);
      const body = { format: 'json', template: '{"action": "{{ $actionId }}", "callbackUrl": "{{ $callbackUrl }}"}' };
      await api('POST', '/v1/connectors', { name: 'open', baseUrl: mock.url, timeout: '2s', circuitBreaker: false });
      await api('POST', '/v1/connectors', {
        name: 'limited',
        baseUrl: mock.url,
        timeout: '2s',
        rateLimits: [{ limit: LIMIT, per: '1s' }],
      });
      await api('POST', '/v1/action-types', { name: 'sync', connector: 'open', path: '/ok', body });
      await api('POST', '/v1/action-types', {
        name: 'retrying',
        connector: 'open',
        path: '/fail-then-ok?times=1',
        body,
        retry: { maxRetries: 5, interval: '200ms', backoff: 'fixed' },
      });
      await api('POST', '/v1/action-types', {
        name: 'async',
        connector: 'open',
        path: '/callback',
        body,
        completion: { mode: 'callback', timeout: '2m' },
      });
      await api('POST', '/v1/action-types', { name: 'metered', connector: 'limited', path: '/ok', body });
      const plan = [...Array(150).fill('sync'), ...Array(90).fill('retrying'), ...Array(60).fill('async'), ...Array(60).fill('metered')];
      const ids: string[] = [];
      for (let i = 0; i < plan.length; i += 30) {
        const batch = await Promise.all(
          plan
            .slice(i, i + 30)
            .map((t, j) => childApi(nodes[(i + j) % nodes.length]!.url, KEY)('POST', '/v1/actions', { actionType: t, input: {} })),
        );
        ids.push(...batch.map((a) => a.id));
      }
      for (;;) {
        const closed = (await api('GET', '/v1/actions?state=closed&limit=500')).items.length;
        if (closed >= 60) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const victim = nodes[1]!;
      await victim.kill('SIGKILL');
      const killedAt = Date.now();

      const actions = await waitAllClosed(api, ids.length, 90_000);
      const finishedMs = Date.now() - killedAt;
      expect(actions.map((a) => a.id).sort()).toEqual([...ids].sort());
      expect(
        actions
          .filter((a) => a.resolution !== 'done_successfully')
          .map((a) => `${a.actionTypeName} ${a.state}/${a.phase}/${a.reason} attempts=${a.attempts} ${a.rejectedReason ?? ''}`),
      ).toEqual([]);
      for (const [id, n] of await closings(api, ids)) expect(n, `action ${id}`).toBe(1);
      const sends = mock.log;
      for (const s of sends) expect(s.key).toBe((s.body as { action: string }).action);
      const meteredIds = new Set(actions.filter((a) => a.actionTypeName === 'metered').map((a) => a.id));
      const meteredTimes = sends.filter((s) => meteredIds.has(s.key!)).map((s) => s.at);
      expect(meteredTimes.length).toBeGreaterThanOrEqual(60);
      expect(overLimit(meteredTimes, 1000, LIMIT, TRANSIT_MS)).toBeNull();
      const duplicates = sends.length - (150 + 90 * 2 + 60 + 60);
      console.log(
        `${name}: ${nodes.length} nodes, ${ids.length} actions, ${duplicates} duplicate sends, max ${Math.max(...perWindow(meteredTimes, 1000).values())} arrivals in a second on the limited connector, all closed ${finishedMs} ms after the kill`,
      );
    }, 150_000);
  });
}
