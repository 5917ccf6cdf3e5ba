// Several nodes moving the same cases on: every node runs a case worker on one shared store, and
// cases created on either node go through their steps with each step's action launched and sent once.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockServer, type MockServer } from '../../src/mock/server.ts';
import { childApi, startNodes, type ChildServer } from '../helpers/child-server.ts';
import { postgresNodeEnv, sqliteNodeEnv, type NodeEnv } from '../helpers/node-env.ts';

const KEY = 'case-nodes-admin-key-0123456789';
const CASES = 24;

const sqliteEnv = (): Promise<NodeEnv> => sqliteNodeEnv('case-nodes');
const postgresEnv = (): Promise<NodeEnv> => postgresNodeEnv('case-nodes');

for (const [name, setup] of [
  ['PostgreSQL', postgresEnv],
  ['SQLite', sqliteEnv],
] as const)
  describe(`${name}: two nodes moving cases on`, () => {
    let mock: MockServer;
    let store: Awaited<ReturnType<typeof setup>>;
    let nodes: ChildServer[] = [];
    beforeAll(async () => {
      mock = await startMockServer({ latencyMs: 20, jitterMs: 60, keepBodies: true });
      store = await setup();
    });
    afterAll(async () => {
      await Promise.all(nodes.map((n) => n.kill()));
      await mock.close();
      await store.dispose();
    });

    it('each step of each case is launched and sent once', async () => {
      nodes = await startNodes(2, KEY, { ...store.env, CALLOUT_POLL_INTERVAL: '100ms' });
      const apis = nodes.map((n) => childApi(n.url, KEY, { patient: true }));
      const api = apis[0]!;
      // Generous: on a loaded machine a 2 s attempt deadline times out a slow answer and sends again (at least once is allowed; this test counts exactly once).
      await api('POST', '/v1/connectors', { name: 'vendor', baseUrl: mock.url, timeout: '15s' });
      await api('POST', '/v1/action-types', { name: 'first', connector: 'vendor', path: '/ok', response: { output: '{ "ref": id }' } });
      await api('POST', '/v1/action-types', { name: 'second', connector: 'vendor', path: '/ok', fields: { Ref: { type: 'string' } } });
      await api('POST', '/v1/processes', {
        name: 'two-steps',
        steps: [
          { name: 'one', kind: 'external', actionType: 'first' },
          { name: 'two', kind: 'external', actionType: 'second', input: '{ "Ref": steps.one.output.ref }' },
        ],
      });
      const ids = await Promise.all(
        Array.from(
          { length: CASES },
          async (_, i) => (await apis[i % 2]!('POST', '/v1/cases', { process: 'two-steps', title: `c${i}` })).id as string,
        ),
      );
      const deadline = Date.now() + 60_000;
      let cases: any[] = [];
      for (;;) {
        cases = await Promise.all(ids.map((id, i) => apis[i % 2]!('GET', `/v1/cases/${id}`)));
        if (cases.every((c) => c.status === 'closed') || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(cases.filter((c) => c.status !== 'closed').map((c) => c.steps)).toEqual([]);
      for (const c of cases) {
        expect(c.actions).toHaveLength(2);
        expect(c.steps.map((s: any) => s.outcome)).toEqual(['ACTION_HANDLED_SUCCESSFUL', 'ACTION_HANDLED_SUCCESSFUL']);
        for (const a of c.actions) expect(mock.log.filter((e) => e.key === a.id)).toHaveLength(1);
      }
    });
  });
