// A schedule firing every second across two real `callout serve` processes sharing one store (a
// PostgreSQL database, one SQLite file), one of them SIGKILLed at a tick: exactly one action per tick.

import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMockServer, type MockServer } from '../../src/mock/server.ts';
import { allActions, childApi, startNodes, type ChildServer } from '../helpers/child-server.ts';
import { withAdmin, TEST_DATABASE_URL } from '../helpers/pg.ts';

const KEY = 'schedule-nodes-admin-key-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sqliteSetup() {
  const dir = mkdtempSync(join(tmpdir(), 'callout-sched-'));
  return { env: { CALLOUT_DATA_DIR: dir }, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function postgresSetup() {
  const db = `callout_sched_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${db}`));
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${db}`;
  return {
    env: { DATABASE_URL: url.toString(), CALLOUT_SECRET_KEY: randomBytes(32).toString('hex') },
    dispose: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)).then(() => undefined),
  };
}

for (const [name, setup] of [
  ['PostgreSQL', postgresSetup],
  ['SQLite', sqliteSetup],
] as const) {
  describe(`${name}: a schedule on two nodes`, () => {
    let mock: MockServer | undefined;
    let dispose: (() => Promise<void>) | undefined;
    const nodes: ChildServer[] = [];
    afterAll(async () => {
      await Promise.all(nodes.map((n) => n.kill()));
      await mock?.close();
      await dispose?.();
    });

    it('launches exactly one action per tick, also when a node is killed at a tick', { timeout: 90_000 }, async () => {
      mock = await startMockServer({});
      const s = await setup();
      dispose = s.dispose;
      nodes.push(...(await startNodes(2, KEY, s.env)));
      const first = childApi(nodes[0]!.url, KEY, { patient: true });
      await first('POST', '/v1/connectors', { name: 'desk', baseUrl: mock.url, timeout: '2s' });
      await first('POST', '/v1/action-types', { name: 'tick', connector: 'desk', path: '/ok' });
      const sched = await first('POST', '/v1/schedules', {
        name: 'every-second',
        cron: '* * * * * *',
        launch: { actionType: 'tick', input: {} },
      });
      await sleep(3000);
      // The node that claimed the latest tick is killed, just after a second begins: the moment it claims the next one.
      const latest = (await first('GET', `/v1/schedules/${sched.id}`)).recentTicks[0].claimedBy as string;
      const victim = nodes.find((n) => latest.endsWith(`:${n.proc.pid}`))!;
      const survivor = childApi(nodes.find((n) => n !== victim)!.url, KEY, { patient: true });
      while (Date.now() % 1000 > 20) await sleep(1);
      await victim.kill('SIGKILL');
      await sleep(3500);
      await survivor('PATCH', `/v1/schedules/${sched.id}`, { paused: true });
      // Long enough for a tick claimed by the dead node to be launched by the survivor (lease margin 1 s).
      await sleep(2500);

      const ticks = (await survivor('GET', `/v1/schedules/${sched.id}`)).recentTicks as Array<{
        tickAt: string;
        launchedId: string | null;
        claimedBy: string;
      }>;
      expect(ticks.length).toBeGreaterThanOrEqual(5);
      expect(ticks.length).toBeLessThanOrEqual(10); // recentTicks shows 10: all of them for this run
      for (const t of ticks) expect(t.launchedId).not.toBeNull();
      // The killed node claimed ticks before it died; the survivor claimed the rest.
      expect(ticks.some((t) => t.claimedBy === latest)).toBe(true);
      expect(ticks.some((t) => t.claimedBy !== latest)).toBe(true);
      const actions = (await allActions(survivor)).filter((a) => a.actionTypeName === 'tick');
      expect(actions.length).toBe(ticks.length);
      expect(new Set(actions.map((a) => a.id))).toEqual(new Set(ticks.map((t) => t.launchedId)));
      // One tick per second from the first to the last: none skipped, none twice.
      const times = ticks.map((t) => Date.parse(t.tickAt)).sort((a, b) => a - b);
      expect(new Set(times).size).toBe(times.length);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(1000);
    });
  });
}
