// Crash: `callout serve` with hundreds of actions in flight is killed with SIGKILL and restarted on
// the same SQLite file; every action must end correctly, none twice, and every resend must carry
// the action's one idempotency key (the mock external system's own log decides).

import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMockServer, type MockServer } from '../../src/mock/server.ts';
import { freePort } from '../helpers/harness.ts';
import { childApi, closings, startChildServer, testNodeEnv, waitAllClosed, type ChildServer } from '../helpers/child-server.ts';

const KEY = 'crash-test-admin-key-0123456789';
const PER_TYPE = 120;
let mock: MockServer;
let dataDir: string;
let child: ChildServer | undefined;

beforeAll(async () => {
  // Latency keeps many attempts in flight when the kill comes; callbacks keep trying across the restart.
  mock = await startMockServer({ latencyMs: 150, jitterMs: 250, keepBodies: true, callbackDelayMs: 2500, callbackRetries: 100 });
  dataDir = mkdtempSync(join(tmpdir(), 'callout-crash-'));
});
// Each case starts its own server twice: the one left running is stopped before the next case
// replaces it (it was left running after the test process ended).
afterEach(async () => {
  await child?.kill();
  child = undefined;
});
afterAll(async () => {
  await mock.close();
  rmSync(dataDir, { recursive: true, force: true });
});

// The store on the event loop (CALLOUT_SQLITE_THREAD=0) and on its own thread (the default).
it.each(['0', '1'])(
  'a SIGKILL mid-run loses nothing, completes nothing twice, and resends with the same idempotency key (CALLOUT_SQLITE_THREAD=%s)',
  async (thread) => {
    const port = await freePort();
    const logStart = mock.log.length;
    const env = testNodeEnv(KEY, {
      CALLOUT_DATA_DIR: join(dataDir, thread),
      CALLOUT_POLL_INTERVAL: '100ms',
      CALLOUT_SQLITE_THREAD: thread,
    });
    child = await startChildServer(env, port);
    const api = childApi(child.url, KEY);
    // A hundred and twenty first attempts answered 503 would open the circuit breaker: not what this test is about.
    await api('POST', '/v1/connectors', { name: 'vendor', baseUrl: mock.url, timeout: '2s', circuitBreaker: false });
    const body = { format: 'json', template: '{"action": "{{ $actionId }}", "callbackUrl": "{{ $callbackUrl }}"}' };
    await api('POST', '/v1/action-types', { name: 'sync', connector: 'vendor', path: '/ok', body });
    await api('POST', '/v1/action-types', {
      name: 'async',
      connector: 'vendor',
      path: '/callback',
      body,
      completion: { mode: 'callback', timeout: '2m' },
    });
    await api('POST', '/v1/action-types', {
      name: 'retrying',
      connector: 'vendor',
      path: '/fail-then-ok?times=1',
      body,
      retry: { maxRetries: 5, interval: '300ms', backoff: 'fixed' },
    });

    const launches = ['sync', 'async', 'retrying'].flatMap((t) => Array.from({ length: PER_TYPE }, () => t));
    const ids: string[] = [];
    for (let i = 0; i < launches.length; i += 30) {
      const batch = await Promise.all(launches.slice(i, i + 30).map((t) => api('POST', '/v1/actions', { actionType: t, input: {} })));
      ids.push(...batch.map((a) => a.id));
    }
    // Kill it while work is in every phase: some closed, some sending, some awaiting callbacks.
    for (;;) {
      const closed = (await api('GET', '/v1/actions?state=closed&limit=500')).items.length;
      if (closed >= 40) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const inFlightAtKill = mock.log.length - logStart;
    await child.kill('SIGKILL');
    const killedAt = Date.now();

    child = await startChildServer(env, port);
    const api2 = childApi(child.url, KEY);
    const actions = await waitAllClosed(api2, ids.length, 60_000);
    const recoveredInMs = Date.now() - killedAt;

    // Nothing lost: every launched action exists and closed Done Successfully.
    expect(actions.map((a) => a.id).sort()).toEqual([...ids].sort());
    const notDone = actions.filter((a) => a.resolution !== 'done_successfully');
    expect(notDone).toEqual([]);

    // Nothing completed twice: one change of state to Closed per action.
    for (const [id, n] of await closings(api2, ids)) expect(n, `action ${id}`).toBe(1);

    // Every send, first or repeated, carried the action's one idempotency key.
    const sends = mock.log.slice(logStart).filter((e) => e.path !== '/_log');
    for (const s of sends) expect(s.key).toBe((s.body as { action: string }).action);
    const perKey = new Map<string, number>();
    for (const s of sends) perKey.set(s.key!, (perKey.get(s.key!) ?? 0) + 1);
    expect([...perKey.keys()].sort()).toEqual([...ids].sort());
    const expectedSends = PER_TYPE * 4; // sync and async once each, retrying twice (one 503, one 200)
    const duplicates = sends.length - expectedSends;
    expect(duplicates).toBeGreaterThanOrEqual(0);
    console.log(
      `crash test (CALLOUT_SQLITE_THREAD=${thread}): ${ids.length} actions, ${inFlightAtKill} requests seen before the kill, ${duplicates} duplicate sends after it, all closed ${recoveredInMs} ms after the kill`,
    );
  },
  120_000,
);
