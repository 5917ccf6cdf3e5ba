// The PostgreSQL server restarted under load: nodes reconnect, and the run finishes with nothing
// lost or done twice. It restarts the machine's real server, so it runs on its own, after the
// other tests (vitest.restart.config.ts).

import { afterAll, beforeAll, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { startMockServer, type MockServer } from '../../src/mock/server.ts';
import { childApi, closings, startNodes, waitAllClosed, type ChildServer, type ChildApi } from '../helpers/child-server.ts';
import { withAdmin, TEST_DATABASE_URL } from '../helpers/pg.ts';

const KEY = 'pg-restart-admin-key-0123456789';
const db = `callout_restart_${randomBytes(4).toString('hex')}`;
let mock: MockServer;
const nodes: ChildServer[] = [];

function restartPostgres(): void {
  const version = readdirSync('/etc/postgresql')[0]!;
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart', '-m', 'fast'], { stdio: 'inherit' });
}

beforeAll(async () => {
  mock = await startMockServer({ latencyMs: 20, jitterMs: 60, keepBodies: true, callbackDelayMs: 500, callbackRetries: 200 });
  await withAdmin((c) => c.query(`CREATE DATABASE ${db}`));
});
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.kill()));
  await mock.close();
  await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`));
});

it('a PostgreSQL restart during a run: nodes reconnect and every action ends once', async () => {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${db}`;
  nodes.push(...(await startNodes(2, KEY, { DATABASE_URL: url.toString(), CALLOUT_SECRET_KEY: randomBytes(32).toString('hex') })));
  const giveUp = (): string => `node output:\n${nodes.map((n) => n.output().slice(-3000)).join('\n----\n')}`;
  const apis: ChildApi[] = nodes.map((n) => childApi(n.url, KEY, { patient: true, onGiveUp: giveUp }));
  const api = apis[0]!;
  const body = { format: 'json', template: '{"action": "{{ $actionId }}", "callbackUrl": "{{ $callbackUrl }}"}' };
  await api('POST', '/v1/connectors', { name: 'vendor', baseUrl: mock.url, timeout: '2s', circuitBreaker: false });
  await api('POST', '/v1/action-types', {
    name: 'sync',
    connector: 'vendor',
    path: '/ok',
    body,
    retry: { maxRetries: 10, interval: '300ms', backoff: 'fixed' },
  });
  await api('POST', '/v1/action-types', {
    name: 'async',
    connector: 'vendor',
    path: '/callback',
    body,
    completion: { mode: 'callback', timeout: '5m' },
  });

  const ids = new Set<string>();
  const launchSome = async (from: number, n: number): Promise<void> => {
    for (let i = from; i < from + n; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, (_, j) =>
          apis[(i + j) % 2]!(
            'POST',
            '/v1/actions',
            { actionType: (i + j) % 3 === 0 ? 'async' : 'sync', input: {} },
            { 'idempotency-key': `launch-${i + j}` },
          ),
        ),
      );
      for (const a of batch) ids.add(a.id);
    }
  };
  await launchSome(0, 200);
  // Restart while work is in flight, and keep launching through it.
  const launching = launchSome(200, 200);
  await new Promise((r) => setTimeout(r, 150));
  restartPostgres();
  await launching;
  expect(ids.size).toBe(400);

  const actions = await waitAllClosed(api, ids.size, 90_000);
  expect(actions.map((a) => a.id).sort()).toEqual([...ids].sort());
  expect(actions.filter((a) => a.resolution !== 'done_successfully').map((a) => `${a.actionTypeName} ${a.state}/${a.phase}`)).toEqual([]);
  for (const [id, n] of await closings(api, [...ids])) expect(n, `action ${id}`).toBe(1);
  for (const s of mock.log) expect(s.key).toBe((s.body as { action: string }).action);
  // Both nodes are still up and serving.
  for (const n of nodes) expect(n.proc.exitCode).toBeNull();
  console.log(`restart test: ${ids.size} actions, ${mock.log.length - ids.size} extra sends (same keys), all closed`);
}, 180_000);
