// A connector's health over time: attempts counted in memory on the send path, added to the store's
// connector_minutes by each node (summed across nodes), read back per bucket by
// GET /v1/connectors/{id}/health with the state beside it; old minutes deleted a batch at a time.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Callout } from '../../src/callout.ts';
import { FakeClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { startMockServer, type MockServer } from '../../src/mock/server.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { ConnectorStats, STATS_RETENTION_MS } from '../../src/engine/connector-stats.ts';
import type { SendResult } from '../../src/engine/sender.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';
import { backends } from '../helpers/store-pair.ts';
import { postgresNodes, storeHarnesses } from '../helpers/store-harnesses.ts';
import { actionType, connector, launch, type Harness } from '../helpers/harness.ts';

const quiet = createLogger({ level: 'silent' });
const MINUTE = 60_000;
const answered = (status: number, durationMs: number): SendResult => ({ kind: 'answered', status, headers: {}, body: '', durationMs });

interface Bucket {
  at: string;
  ok: number;
  failed: { connection: number; timeout: number; http4xx: number; http5xx: number };
  latency: { avgMs: number | null; maxMs: number | null; p95Ms: number | null };
}
const sum = (bs: Bucket[]) =>
  bs.reduce((s, b) => ({ ok: s.ok + b.ok, http4xx: s.http4xx + b.failed.http4xx, http5xx: s.http5xx + b.failed.http5xx }), {
    ok: 0,
    http4xx: 0,
    http5xx: 0,
  });

describe.each(storeHarnesses)('connector health over the API on $name', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await backend.open();
    await connector(h, { rateLimits: [{ limit: 1000, per: '1h' }] });
    await actionType(h, { name: 'fine', path: '/ok' });
    await actionType(h, { name: 'down', path: '/status/503', retry: { maxRetries: 0 } });
    await actionType(h, { name: 'wrong', path: '/status/404', retry: { maxRetries: 0 } });
  });
  afterAll(async () => h?.close());

  it('shows a run of successes and failures by kind in the current minute, and the same summed in the 24h and 7d windows', async () => {
    const ids = [
      ...(await Promise.all(Array.from({ length: 6 }, () => launch(h, 'fine')))),
      ...(await Promise.all(Array.from({ length: 3 }, () => launch(h, 'down')))),
      ...(await Promise.all(Array.from({ length: 2 }, () => launch(h, 'wrong')))),
    ].map((a) => a.id);
    // Sent once each: closed, or rejected to a person (the 404s).
    for (const id of ids) await h.waitFor(id, (a) => a.attempts === 1 && a.state !== 'waiting');
    await h.callout.engine.stats.flush(h.callout.clock.now());

    const r = await h.api('GET', '/v1/connectors/vendor/health');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect([r.body.window, r.body.bucketMs, r.body.buckets.length]).toEqual(['1h', MINUTE, 60]);
    expect(sum(r.body.buckets)).toEqual({ ok: 6, http4xx: 2, http5xx: 3 });
    const last = r.body.buckets.at(-1) as Bucket;
    // The attempts just made are in the last bucket (unless the minute turned while they ran).
    expect(last.ok + (r.body.buckets.at(-2) as Bucket).ok).toBe(6);
    const busy = (r.body.buckets as Bucket[]).filter((b) => b.ok + b.failed.http5xx > 0);
    for (const b of busy) {
      expect(b.latency.avgMs).toBeGreaterThanOrEqual(0);
      expect(b.latency.maxMs).toBeGreaterThanOrEqual(b.latency.p95Ms!);
    }
    expect((r.body.buckets[0] as Bucket).latency).toEqual({ avgMs: null, maxMs: null, p95Ms: null });
    expect(r.body.recent).toMatchObject({ minutes: 5, ok: 6, failed: { http4xx: 2, http5xx: 3, connection: 0, timeout: 0 } });
    // What holds it now: the circuit, the rate limit's use in its window (11 permits), nothing throttled.
    expect(r.body.current).toMatchObject({ status: { circuit: 'closed' }, throttled: 0, inFlight: 0 });
    expect(r.body.current.rateLimits).toEqual([{ limit: 1000, per: 3_600_000, used: 11, windowEndsAt: expect.any(String) }]);

    for (const [window, bucketMs, n] of [
      ['24h', 15 * MINUTE, 96],
      ['7d', 60 * MINUTE, 168],
    ] as const) {
      const w = await h.api('GET', `/v1/connectors/vendor/health?window=${window}`);
      expect([w.status, w.body.window, w.body.bucketMs, w.body.buckets.length]).toEqual([200, window, bucketMs, n]);
      expect(sum(w.body.buckets)).toEqual({ ok: 6, http4xx: 2, http5xx: 3 });
    }
  });

  it('refuses an unknown window and an unknown connector, and is readable by every role that reads connectors', async () => {
    const bad = await h.api('GET', '/v1/connectors/vendor/health?window=1y');
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body)).toContain('window');
    expect((await h.api('GET', '/v1/connectors/nobody/health')).status).toBe(404);
    for (const roles of [['operator'], ['builder'], ['integration']]) {
      const key = (await h.api('POST', '/v1/api-keys', { name: `k-${roles[0]}`, roles })).body.key as string;
      const r = await h.api('GET', '/v1/connectors/vendor/health', undefined, { authorization: `Bearer ${key}` });
      const c = await h.api('GET', '/v1/connectors/vendor', undefined, { authorization: `Bearer ${key}` });
      expect([roles[0], r.status]).toEqual([roles[0], c.status]);
    }
    const scraper = (await h.api('POST', '/v1/api-keys', { name: 'scraper', roles: ['metrics'] })).body.key as string;
    expect((await h.api('GET', '/v1/connectors/vendor/health', undefined, { authorization: `Bearer ${scraper}` })).status).toBe(403);
  });
});

describe.each(backends)('connector minutes on two nodes of one $name', (backend) => {
  it("adds each node's counts to the same minute: sums, the larger max, every band", async () => {
    const { a, b, dispose } = await backend.open();
    try {
      const t = Date.UTC(2026, 11, 5, 9, 0, 0);
      const sa = new ConnectorStats(a, quiet);
      const sb = new ConnectorStats(b, quiet);
      for (let i = 0; i < 50; i++) sa.note('c1', answered(200, 50), t + 1000);
      sa.note('c1', answered(503, 2500), t + 2000);
      sa.note('c1', { kind: 'timeout', message: 'x', durationMs: 5000 }, t + 3000);
      for (let i = 0; i < 30; i++) sb.note('c1', answered(200, 150), t + 4000);
      sb.note('c1', { kind: 'connection_error', message: 'x', durationMs: 3 }, t + 5000);
      sb.note('c1', answered(429, 700), t + 6000);
      // Not measures of the system: never left this node.
      sb.note('c1', { kind: 'refused', message: 'x', durationMs: 0 }, t + 6000);
      await Promise.all([sa.flush(t + 10_000), sb.flush(t + 10_000)]);
      // A second flush of each adds to the same row again.
      sa.note('c1', answered(200, 400), t + 20_000);
      sb.note('c1', answered(200, 400), t + 20_000);
      await Promise.all([sa.flush(t + 30_000), sb.flush(t + 30_000)]);
      const [m] = await a.readConnectorMinutes('c1', t, t + MINUTE, MINUTE);
      expect(m).toEqual({
        connectorId: 'c1',
        minute: t,
        ok: 82,
        connection: 1,
        timeout: 1,
        http4xx: 1,
        http5xx: 1,
        latencySumMs: 50 * 50 + 2500 + 5000 + 30 * 150 + 3 + 700 + 800,
        latencyMaxMs: 5000,
        bands: [51, 30, 3, 1, 1],
      });
      // Nothing noted since: a flush writes nothing.
      await sa.flush(t + 40_000);
      expect((await b.readConnectorMinutes('c1', t, t + MINUTE, MINUTE))[0]!.ok).toBe(82);
    } finally {
      await dispose();
    }
  });

  it('deletes minutes past the retention a bounded batch at a time, and keeps the newer', async () => {
    const { a, dispose } = await backend.open();
    try {
      const t = Date.UTC(2026, 11, 5, 9, 0, 0);
      const row = (minute: number) => ({
        connectorId: 'c1',
        minute,
        ok: 1,
        connection: 0,
        timeout: 0,
        http4xx: 0,
        http5xx: 0,
        latencySumMs: 5,
        latencyMaxMs: 5,
        bands: [1, 0, 0, 0, 0],
      });
      await a.addConnectorMinutes([0, 1, 2, 3].map((i) => row(t + i * MINUTE)));
      expect(await a.deleteConnectorMinutesBefore(t + 3 * MINUTE, 2)).toBe(2);
      expect(await a.deleteConnectorMinutesBefore(t + 3 * MINUTE, 2)).toBe(1);
      expect(await a.deleteConnectorMinutesBefore(t + 3 * MINUTE, 2)).toBe(0);
      expect((await a.readConnectorMinutes('c1', t, t + 10 * MINUTE, MINUTE)).map((m) => m.minute)).toEqual([t + 3 * MINUTE]);
      // The flush job deletes what is past the retention.
      const s = new ConnectorStats(a, quiet);
      await s.flush(t + 3 * MINUTE + STATS_RETENTION_MS + 1);
      expect(await a.readConnectorMinutes('c1', t, t + 10 * MINUTE, MINUTE)).toEqual([]);
    } finally {
      await dispose();
    }
  });
});

describe('connector health with an injected clock', () => {
  let mock: MockServer;
  beforeAll(async () => (mock = await startMockServer()));
  afterAll(async () => mock.close());

  const open = async (name: string, clock: FakeClock): Promise<{ c: Callout; cleanup: () => Promise<void> }> => {
    const common = { clock, allowPrivateNetworks: true, publicUrl: 'http://127.0.0.1:9', logger: quiet };
    if (name === 'SQLite') {
      const dataDir = mkdtempSync(join(tmpdir(), 'callout-health-'));
      const c = await Callout.open({ dataDir, ...common });
      return { c, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
    }
    const schema = freshSchema('health');
    const store = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4, logger: quiet });
    const c = await Callout.open({ store, secretKey: randomBytes(32).toString('hex'), ...common });
    return { c, cleanup: () => dropSchema(schema) };
  };

  it.each(['SQLite', 'PostgreSQL'])(
    'puts each attempt in the minute it ended, and the 1h window ends at the current minute (%s)',
    async (name) => {
      const clock = new FakeClock(Date.UTC(2026, 11, 5, 9, 0, 59, 990));
      const { c, cleanup } = await open(name, clock);
      try {
        await c.connectors.create({ name: 'vendor', baseUrl: mock.url });
        await c.actionTypes.create({ name: 'fine', connector: 'vendor', path: '/ok' });
        await c.actionTypes.create({ name: 'down', connector: 'vendor', path: '/status/503', retry: { maxRetries: 0 } });
        await c.actions.launch({ actionType: 'fine' });
        await c.engine.tick();
        clock.set(Date.UTC(2026, 11, 5, 9, 1, 0));
        await c.actions.launch({ actionType: 'down' });
        await c.actions.launch({ actionType: 'fine' });
        await c.engine.tick();
        await c.engine.stats.flush(clock.now());
        clock.set(Date.UTC(2026, 11, 5, 9, 2, 30));
        const health = await c.connectors.health('vendor', '1h');
        const seen = health.buckets.filter((b) => b.ok + b.failed.http5xx > 0).map((b) => [b.at, b.ok, b.failed.http5xx]);
        expect(seen).toEqual([
          ['2026-12-05T09:00:00.000Z', 1, 0],
          ['2026-12-05T09:01:00.000Z', 1, 1],
        ]);
        expect([health.from, health.to, health.buckets.at(-1)!.at]).toEqual([
          '2026-12-05T08:03:00.000Z',
          '2026-12-05T09:03:00.000Z',
          '2026-12-05T09:02:00.000Z',
        ]);
        // A day on: the 24h window has both in the quarter hour from 09:00.
        clock.set(Date.UTC(2026, 11, 6, 8, 0, 0));
        const day = await c.connectors.health('vendor', '24h');
        expect(day.buckets.filter((b) => b.ok > 0).map((b) => [b.at, b.ok, b.failed.http5xx])).toEqual([
          ['2026-12-05T09:00:00.000Z', 2, 1],
        ]);
      } finally {
        await c.close();
        await cleanup();
      }
    },
  );
});

describe('connector health on two PostgreSQL nodes', () => {
  it('counts every attempt once, whichever node sent it, once both have flushed', async () => {
    const { nodes, close } = await postgresNodes(2);
    try {
      const [n1, n2] = nodes as [Harness, Harness];
      await connector(n1);
      await actionType(n1, { name: 'fine', path: '/ok' });
      await n2.callout.registry.refresh();
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) ids.push((await launch(i % 2 ? n2 : n1, 'fine')).id);
      for (const id of ids) await n1.waitFor(id, (a) => a.state === 'closed');
      // Each node flushes at its stop: what both sent is in the store, once.
      await n1.callout.engine.stop();
      await n2.callout.engine.stop();
      const r = await n2.api('GET', '/v1/connectors/vendor/health');
      expect(sum(r.body.buckets).ok).toBe(30);
    } finally {
      await close();
    }
  });
});
