// The store's own failures answer 503 STORE_UNAVAILABLE, not 500: a write whose outcome the store could
// not tell (the client repeats it, with its Idempotency-Key), and a store stopped by a failed sync of
// its log (a load balancer sends the client elsewhere; this node needs a restart).

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';
import { OutcomeUnknownError, storeFailure } from '../../src/store/failures.ts';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { createLogger } from '../../src/logger.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';

describe('store failures over HTTP', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ start: false });
    await connector(h);
    await actionType(h, { name: 'ping', path: '/ok' });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await h.close();
  });

  it('a launch whose commit may or may not have happened is a 503 to repeat, and the repeat finds it if it was kept', async () => {
    const store = h.callout.store;
    const real = store.insertActions.bind(store);
    // The commit happens, then the answer is lost (a dropped connection, a dead thread).
    vi.spyOn(store, 'insertActions').mockImplementationOnce(async (items) => {
      await real(items);
      throw new OutcomeUnknownError('the connection was lost after the commit was sent');
    });
    const first = await h.api('POST', '/v1/actions', { actionType: 'ping' }, { 'idempotency-key': 'order-1' });
    expect(first.status).toBe(503);
    expect(first.headers['retry-after']).toBe('1');
    expect(first.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(first.body).toMatchObject({ code: 'STORE_UNAVAILABLE', detail: expect.stringContaining('repeat it') });
    const again = await h.api('POST', '/v1/actions', { actionType: 'ping' }, { 'idempotency-key': 'order-1' });
    expect(again.status).toBe(200);
    expect((await h.api('GET', '/v1/actions')).body.items.map((a: { id: string }) => a.id)).toEqual([again.body.id]);

    // Without a key a repeat could launch twice: no Retry-After, and the detail says to check first.
    vi.spyOn(store, 'insertActions').mockImplementationOnce(async (items) => {
      await real(items);
      throw new OutcomeUnknownError('the connection was lost after the commit was sent');
    });
    const unkeyed = await h.api('POST', '/v1/actions', { actionType: 'ping' });
    expect([unkeyed.status, unkeyed.body.code, unkeyed.headers['retry-after']]).toEqual([503, 'STORE_UNAVAILABLE', undefined]);
    expect(unkeyed.body.detail).toContain('check before repeating');
  });

  it('a store stopped by a failed sync answers 503 on writes and reads alike, and /health says so', async () => {
    const store = h.callout.store as unknown as { walSync: object | null };
    expect(store.walSync).not.toBeNull();
    // The disk goes bad: the descriptor the syncs use refuses them.
    Object.assign(store.walSync!, { fd: 1 << 20 });
    const launch = await h.api('POST', '/v1/actions', { actionType: 'ping' });
    expect([launch.status, launch.body.code]).toEqual([503, 'STORE_UNAVAILABLE']);
    Object.assign(store.walSync!, { fd: null });
    for (const path of ['/v1/actions', '/v1/actions/counts']) {
      const r = await h.api('GET', path);
      expect([r.status, r.body.code], path).toEqual([503, 'STORE_UNAVAILABLE']);
      expect(r.body.detail).toContain('restart this one');
    }
    const health = await h.api('GET', '/health');
    expect([health.status, health.body]).toEqual([503, { ok: false, store: 'sqlite', reason: 'stopped' }]);
  });
});

/**
 * A loopback relay in front of the real PostgreSQL, which a test can take away (new connections
 * refused, open ones cut) or make hold what clients send, so a statement is under way when it is cut.
 */
async function pgRelay() {
  const sockets = new Set<Socket>();
  const target = new URL(TEST_DATABASE_URL);
  let relay: Server = createServer();
  let holding = false;
  let held = 0;
  const listen = async (port: number): Promise<number> => {
    relay = createServer((client) => {
      const upstream = connect(Number(target.port || 5432), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined).on('close', () => sockets.delete(s));
      }
      client.on('data', (d: Buffer) => (holding ? (held += d.length) : upstream.write(d)));
      upstream.pipe(client);
    });
    await new Promise<void>((r) => relay.listen(port, '127.0.0.1', r));
    return (relay.address() as { port: number }).port;
  };
  const port = await listen(0);
  const url = new URL(TEST_DATABASE_URL);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    takeAway: () =>
      new Promise<void>((r) => {
        relay.close(() => r());
        for (const s of sockets) s.destroy();
      }),
    bringBack: () => listen(port),
    /** Holds what clients send from now on; `cut` then drops every open connection, held statements and all. */
    hold: () => {
      holding = true;
      held = 0;
    },
    holding: () => held,
    cut: () => {
      holding = false;
      for (const s of sockets) s.destroy();
    },
    close: () => relay.close(),
  };
}

describe('PostgreSQL out of reach over HTTP', () => {
  it('answers 503 with Retry-After (nothing was saved, a repeat is safe), and 200 again once it is back', async () => {
    const relay = await pgRelay();
    const schema = freshSchema('unreach');
    const store = new PostgresStore({ connectionString: relay.url, schema, poolSize: 3, logger: createLogger({ level: 'silent' }) });
    const h = await startHarness({ start: false, callout: { store, secretKey: randomBytes(32).toString('hex') } });
    try {
      expect((await h.api('GET', '/v1/actions')).status).toBe(200);
      // The server goes away: new connections are refused and open ones are cut.
      await relay.takeAway();
      const r = await h.api('GET', '/v1/actions');
      expect([r.status, r.body.code, r.headers['retry-after']]).toEqual([503, 'STORE_UNAVAILABLE', '1']);
      expect(r.body.detail).toContain('cannot be reached');
      expect((await h.api('GET', '/health')).body).toEqual({ ok: false, store: 'postgres', reason: 'unreachable' });
      // A write cannot say nothing was saved: it may have committed before a later statement of the
      // same request (its read-back) failed. Only a repeat with its Idempotency-Key is invited.
      const write = await h.api('POST', '/v1/connectors', { name: 'later', baseUrl: 'https://example.com' });
      expect([write.status, write.headers['retry-after']]).toEqual([503, undefined]);
      expect(write.body.detail).toContain('check before repeating');
      const keyed = await h.api('POST', '/v1/cases', { data: {} }, { 'idempotency-key': 'case-1' });
      expect([keyed.status, keyed.headers['retry-after']]).toEqual([503, '1']);
      expect(keyed.body.detail).toContain('same Idempotency-Key');
      await relay.bringBack();
      await expect.poll(async () => (await h.api('GET', '/v1/actions')).status, { timeout: 10_000 }).toBe(200);

      // The connection is cut while a read is under way: still a 503 to repeat, not a 500.
      relay.hold();
      const pending = h.api('GET', '/v1/actions');
      await expect.poll(() => relay.holding(), { timeout: 5_000 }).toBeGreaterThan(0);
      relay.cut();
      const cut = await pending;
      expect([cut.status, cut.body.code, cut.headers['retry-after']]).toEqual([503, 'STORE_UNAVAILABLE', '1']);
      expect(cut.body.detail).toContain('nothing was saved');
      await expect.poll(async () => (await h.api('GET', '/v1/actions')).status, { timeout: 10_000 }).toBe(200);
    } finally {
      await h.close();
      relay.close();
      await dropSchema(schema);
    }
  });

  it('a connection cut under a statement: a write on its own is of unknown outcome, a read or an uncommitted transaction was not saved', async () => {
    const relay = await pgRelay();
    const schema = freshSchema('cutmid');
    const store = new PostgresStore({ connectionString: relay.url, schema, poolSize: 3, logger: createLogger({ level: 'silent' }) });
    await store.migrate();
    const cutUnder = async <T>(call: () => Promise<T>): Promise<unknown> => {
      relay.hold();
      const p = call().then(
        () => undefined,
        (e: unknown) => e,
      );
      await expect.poll(() => relay.holding(), { timeout: 5_000 }).toBeGreaterThan(0);
      relay.cut();
      return p;
    };
    try {
      // A single UPDATE commits by itself: the server may have applied it.
      const revoke = await cutUnder(() => store.revokeApiKey('no-such-key', 1));
      expect(storeFailure(revoke)).toBe('outcome_unknown');
      // A lone SELECT wrote nothing.
      const read = await cutUnder(() => store.listApiKeys());
      expect(storeFailure(read)).toBe('unreachable');
      // A transaction cut before its COMMIT was rolled back by the server.
      const tx = await cutUnder(() => store.migrate());
      expect(storeFailure(tx)).toBe('unreachable');
      expect(await store.listApiKeys()).toEqual([]);
    } finally {
      await store.close();
      relay.close();
      await dropSchema(schema);
    }
  });
});
