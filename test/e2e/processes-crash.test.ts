// Crash: the real CLI is killed after a case's action closed but before the case moved on (a node
// running no case worker stands in for one that dies right after the action's write). On restart the
// case moves on from the outbox written with that write: the next step is launched, once.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockServer, type MockServer } from '../../src/mock/server.ts';
import { freePort } from '../helpers/harness.ts';
import { childApi, startChildServer, testNodeEnv, type ChildApi, type ChildServer } from '../helpers/child-server.ts';
import { postgresNodeEnv, sqliteNodeEnv, type NodeEnv } from '../helpers/node-env.ts';

const KEY = 'case-crash-admin-key-0123456789';

const sqliteEnv = (): Promise<NodeEnv> => sqliteNodeEnv('case-crash');
const postgresEnv = (): Promise<NodeEnv> => postgresNodeEnv('case-crash');

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const [name, setup] of [
  ['SQLite', sqliteEnv],
  ['PostgreSQL', postgresEnv],
] as const)
  describe(`${name}: a node killed between an action's close and its case moving on`, () => {
    let mock: MockServer;
    let store: Awaited<ReturnType<typeof setup>>;
    let child: ChildServer | undefined;
    beforeAll(async () => {
      mock = await startMockServer({ keepBodies: true });
      store = await setup();
    });
    afterAll(async () => {
      await child?.kill();
      await mock.close();
      await store.dispose();
    });

    it('on restart the case moves on and launches the next step once', async () => {
      const port = await freePort();
      const env = testNodeEnv(KEY, { ...store.env, CALLOUT_POLL_INTERVAL: '100ms' });
      child = await startChildServer({ ...env, CALLOUT_CASE_WORKER: '0' }, port);
      let api: ChildApi = childApi(child.url, KEY);
      await api('POST', '/v1/connectors', { name: 'vendor', baseUrl: mock.url, timeout: '2s' });
      await api('POST', '/v1/action-types', { name: 'first', connector: 'vendor', path: '/ok', response: { output: '{ "ref": id }' } });
      await api('POST', '/v1/action-types', { name: 'second', connector: 'vendor', path: '/ok', fields: { Ref: { type: 'string' } } });
      await api('POST', '/v1/processes', {
        name: 'two-steps',
        steps: [
          { name: 'one', kind: 'external', actionType: 'first' },
          { name: 'two', kind: 'external', actionType: 'second', input: '{ "Ref": steps.one.output.ref }' },
        ],
      });
      const kase = await api('POST', '/v1/cases', { process: 'two-steps', title: 'crash' });
      const firstId = kase.steps[0].actionId as string;
      expect(firstId).toEqual(expect.any(String));
      const first = await until(
        'the first action closes',
        () => api('GET', `/v1/actions/${firstId}`),
        (a) => a.state === 'closed',
      );
      expect(first.resolution).toBe('done_successfully');
      // The action's write is committed and the case has not moved: this node moves no cases on.
      await new Promise((r) => setTimeout(r, 300));
      const before = await api('GET', `/v1/cases/${kase.id}`);
      expect(before.steps.map((s: any) => s.status)).toEqual(['running', 'pending']);
      await child.kill('SIGKILL');

      child = await startChildServer(env, port);
      api = childApi(child.url, KEY);
      const after = await until(
        'the case closes',
        () => api('GET', `/v1/cases/${kase.id}`),
        (c) => c.status === 'closed',
      );
      expect(after.steps).toEqual([
        { name: 'one', kind: 'external', status: 'done', actionId: firstId, outcome: 'ACTION_HANDLED_SUCCESSFUL', error: null },
        { name: 'two', kind: 'external', status: 'done', actionId: expect.any(String), outcome: 'ACTION_HANDLED_SUCCESSFUL', error: null },
      ]);
      // Launched once, sent once, with the first step's output as its input.
      expect(after.actions).toHaveLength(2);
      const second = after.actions.find((a: any) => a.id === after.steps[1].actionId);
      expect(second.input).toEqual({ Ref: first.output.ref });
      expect(mock.log.filter((e) => e.key === second.id)).toHaveLength(1);
    });
  });
