// Claims made ahead (every store: a round trip on PostgreSQL and on the SQLite thread, a cheaper claim
// per row on SQLite's event loop): while a batch is being sent the engine claims the next one. Stopping
// the engine sends what it claimed ahead rather than leaving it leased to a stopped node until a
// takeover; a node started again finishes the rest, and every action is sent and closed once.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Callout } from '../../src/callout.ts';
import { createLogger } from '../../src/logger.ts';
import { startMockServer, type MockServer } from '../../src/mock/server.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import type { SqliteStore } from '../../src/store/sqlite/store.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';

const COUNT = 300;
const quiet = createLogger({ level: 'silent' });
const schema = freshSchema('claimahead');
const dataDir = mkdtempSync(join(tmpdir(), 'callout-claimahead-'));
const secretKey = randomBytes(32).toString('hex');
let mock: MockServer;
beforeAll(async () => (mock = await startMockServer({ latencyMs: 5, jitterMs: 5 })));
afterAll(async () => {
  await mock.close();
  await dropSchema(schema);
  rmSync(dataDir, { recursive: true, force: true });
});

type Kind = 'postgres' | 'sqlite' | 'sqlite-thread';

const open = (kind: Kind): Promise<Callout> =>
  Callout.open({
    ...(kind === 'postgres'
      ? { store: new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4, logger: quiet }) }
      : { dataDir: join(dataDir, kind), sqliteThread: kind === 'sqlite-thread', sqliteSynchronous: 'normal' as const }),
    secretKey,
    allowPrivateNetworks: true,
    publicUrl: 'http://127.0.0.1:9',
    logger: quiet,
    // Small batches and few in flight: many claims ahead in a short run.
    engine: { maxInFlight: 4, batchSize: 8, pollIntervalMs: 100 },
  });

async function closedCount(c: Callout): Promise<number> {
  return c.store.countActions({ state: 'closed' });
}

/** state/phase/leased of every action, as the store holds them. */
async function leaseGroups(kind: Kind, c: Callout | null): Promise<Array<{ state: string; phase: string | null; leased: boolean }>> {
  const sql = 'SELECT state, phase, lease_owner IS NOT NULL AS leased FROM actions GROUP BY 1, 2, 3 ORDER BY 1, 2, 3';
  if (kind !== 'postgres') {
    const rows = (c!.store as SqliteStore).db.prepare(sql).all() as Array<{ state: string; phase: string | null; leased: number }>;
    return rows.map((r) => ({ ...r, leased: r.leased === 1 }));
  }
  const pg = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 1, logger: quiet });
  try {
    return (await pg.pool.query<{ state: string; phase: string | null; leased: boolean }>(sql)).rows;
  } finally {
    await pg.close();
  }
}

describe.each<Kind>(['postgres', 'sqlite', 'sqlite-thread'])('%s', (kind) => {
  it('stopping sends the actions claimed ahead; started again, the node finishes the rest, each sent and closed once', async () => {
    mock.clearLog();
    let c = await open(kind);
    expect(c.store.capabilities.claimAhead).toBe(true);
    await c.connectors.create({ name: 'vendor', baseUrl: mock.url, auth: { type: 'none' }, circuitBreaker: false });
    await c.actionTypes.create({
      name: 'ok',
      connector: 'vendor',
      method: 'POST',
      path: '/ok',
      body: { format: 'json', template: '{"a":"{{ $actionId }}"}' },
    });
    const ids = await c.actions.launchMany(Array.from({ length: COUNT }, () => ({ actionType: 'ok', input: {} })));
    c.start();
    const deadline = Date.now() + 20_000;
    while ((await closedCount(c)) < 40) {
      if (Date.now() > deadline) throw new Error('the engine closed fewer than 40 actions in 20 s');
      await new Promise((r) => setTimeout(r, 10));
    }
    await c.close();

    // Nothing claimed by the stopped node is left leased: every action is closed or still queued, unclaimed.
    const reopened = kind === 'postgres' ? null : await open(kind);
    try {
      const rows = await leaseGroups(kind, reopened);
      const groups = rows.map((x) => `${x.state}/${x.phase}/${x.leased ? 'leased' : 'free'}`);
      expect(
        groups.every((g) => g === 'closed/null/free' || g === 'waiting/queued/free'),
        groups.join(', '),
      ).toBe(true);
      expect(rows.find((x) => x.state === 'waiting')).toBeDefined();
    } finally {
      await reopened?.close();
    }

    c = await open(kind);
    c.start();
    try {
      const until = Date.now() + 30_000;
      while ((await closedCount(c)) < COUNT) {
        if (Date.now() > until) throw new Error(`only ${await closedCount(c)} of ${COUNT} closed after the restart`);
        await new Promise((r) => setTimeout(r, 20));
      }
      // Sent once each: one attempt in each timeline, one request per idempotency key (one key per action).
      for (const id of ids)
        expect(
          (await c.store.listTimeline(id)).filter((t) => t.kind === 'attempt'),
          id,
        ).toHaveLength(1);
      const okRequests = mock.log.filter((e) => e.path === '/ok');
      expect(okRequests).toHaveLength(COUNT);
      expect(new Set(okRequests.map((e) => e.key)).size).toBe(COUNT);
    } finally {
      await c.close();
    }
  });
});
