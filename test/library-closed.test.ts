// A Callout embedded in a program, used after close(): every call fails with CalloutClosedError (one
// error whatever the store), never the driver's own words for a closed connection.

import { describe, expect, it } from 'vitest';
import { CalloutClosedError, createCallout, createLogger, type Callout } from '../src/index.ts';
import { postgresNodeEnv, sqliteNodeEnv, type NodeEnv } from './helpers/node-env.ts';

const STORES: Array<[string, (prefix: string) => Promise<NodeEnv>, { sqliteThread?: boolean }]> = [
  ['SQLite', sqliteNodeEnv, { sqliteThread: false }],
  ['SQLite on its thread', sqliteNodeEnv, { sqliteThread: true }],
  ['PostgreSQL', postgresNodeEnv, {}],
];

async function open(env: Record<string, string>, extra: { sqliteThread?: boolean }): Promise<Callout> {
  const c = await createCallout({
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL, secretKey: env.CALLOUT_SECRET_KEY } : { dataDir: env.CALLOUT_DATA_DIR }),
    logger: createLogger({ level: 'silent' }),
    ...extra,
  });
  // Nothing is sent: the connector's address is never reached, since the engine is not started.
  await c.connectors.create({ name: 'vendor', baseUrl: 'https://vendor.example.com' });
  await c.actionTypes.create({ name: 'ticket', connector: 'vendor', path: '/tickets' });
  return c;
}

const closedError = { name: 'CalloutClosedError', code: 'CALLOUT_CLOSED', message: expect.stringContaining('This Callout is closed') };

describe.each(STORES)('a Callout after close() (%s)', (_, nodeEnv, extra) => {
  it('refuses every service call with CalloutClosedError; close() again is fine; start() refuses it too', async () => {
    const { env, dispose } = await nodeEnv('closed-lib');
    try {
      const c = await open(env, extra);
      const { action } = await c.actions.launch({ actionType: 'ticket', input: {} });
      const { case: kase } = await c.cases.createCase({ title: 'Sam joins' });
      await c.close();
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['actions.launch', () => c.actions.launch({ actionType: 'ticket', input: {} })],
        ['actions.getAction', () => c.actions.getAction(action.id)],
        ['actions.listActions', () => c.actions.listActions({})],
        ['actions.retry', () => c.actions.retry(action.id, 'alice')],
        ['actions.timeline', () => c.actions.timeline(action.id)],
        ['cases.createCase', () => c.cases.createCase({ title: 'Kim joins' })],
        ['cases.getCase', () => c.cases.getCase(kase.id)],
        ['connectors.list', () => c.connectors.list()],
        ['actionTypes.get', () => c.actionTypes.get('ticket')],
        ['users.create', () => c.users.create({ name: 'alice' })],
        ['apiKeys.ensureAdminKey', () => c.apiKeys.ensureAdminKey(undefined)],
        ['store.getAction', () => c.store.getAction(action.id)],
      ];
      for (const [name, call] of calls) {
        const err = await call().then(
          () => new Error(`${name} answered after close()`),
          (e: unknown) => e,
        );
        expect(err, name).toBeInstanceOf(CalloutClosedError);
        expect(err, name).toMatchObject(closedError);
      }
      await expect(c.close()).resolves.toBeUndefined();
      expect(() => c.start()).toThrow(CalloutClosedError);
      expect(await c.health()).toEqual({ ok: false, store: c.store.kind, reason: 'stopped' });
      // Object's own methods are no store calls: String(c.store) threw, leaving rejections no one handled.
      expect(String(c.store)).toBe('[object Object]');
      expect(c.store.valueOf()).toBe(c.store);
      expect(Object.prototype.hasOwnProperty.call(c.store, 'kind') && c.store.propertyIsEnumerable('kind')).toBe(true);
    } finally {
      await dispose();
    }
  });

  it('calls under way when close() runs finish or fail with CalloutClosedError, never a driver error', async () => {
    const { env, dispose } = await nodeEnv('closed-lib-inflight');
    try {
      const c = await open(env, extra);
      c.start();
      const { action } = await c.actions.launch({ actionType: 'ticket', input: {}, startAt: Date.now() + 3_600_000 });
      let finished = 0;
      const failures: unknown[] = [];
      // Programs calling without pause across the moment the store closes, more than the pool's 10 connections.
      const ops = [
        () => c.actions.launch({ actionType: 'ticket', input: {}, startAt: Date.now() + 3_600_000 }),
        () => c.actions.getAction(action.id),
        () => c.cases.createCase({ title: 'Sam joins' }),
        () => c.actions.listActions({ limit: 5 }),
      ];
      const callers = [...ops, ...ops, ...ops, ...ops].map(async (op) => {
        for (;;) {
          try {
            await op();
            finished++;
            // The embedded store answers without a turn of the event loop: let close() have one.
            await new Promise((r) => setImmediate(r));
          } catch (e) {
            failures.push(e);
            return;
          }
        }
      });
      await new Promise((r) => setTimeout(r, 50));
      const closing = c.close();
      const again = c.close();
      await closing;
      await again;
      const closedAt = Date.now();
      await Promise.all(callers);
      // Calls queued for a PostgreSQL connection when the pool ended waited for its 10 s connection timeout.
      expect(Date.now() - closedAt).toBeLessThan(2000);
      expect(finished).toBeGreaterThan(0);
      expect(failures).toHaveLength(4 * ops.length);
      for (const e of failures) expect(e).toMatchObject(closedError);
    } finally {
      await dispose();
    }
  });
});
