// Store conformance, PostgreSQL only: query plans that must stay index lookups, LISTEN/NOTIFY, and
// connections PostgreSQL drops.

import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { eachStore, T0, HOUR, launched, write, quiet, postgresBackend } from './stores.ts';
import type { Store } from '../../src/store/types.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { CLAIM_SQL } from '../../src/store/postgres/claim-due.ts';
import { UPDATE, WRITE_ONE_STATEMENT } from '../../src/store/postgres/write-actions.ts';
import { TEST_DATABASE_URL, terminateConnections } from '../helpers/pg.ts';
import { parseWorkPayload } from '../../src/store/postgres/listen.ts';

/** Counts wake-ups of one waiter at a time, for listen(). */
class Wakes {
  count = 0;
  private waiters: Array<() => void> = [];
  readonly onWork = (): void => {
    this.count++;
    for (const w of this.waiters.splice(0)) w();
  };
  /** Resolves at the next wake-up; fails after `ms` so a missing wake-up is a clear failure, not a hang. */
  next(ms = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no wake-up within ${ms} ms`)), ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

eachStore(
  (ctx) => {
    describe('query plans (PostgreSQL only)', () => {
      // A node's connections keep their prepared statements for hours; a generic plan made while the
      // table was small must not become a scan of every action once it has grown (bench B found claims
      // and writes at 7 ms each, and lateness in seconds, from exactly that).
      it('claims and writes stay index lookups when the table outgrows the statistics of their cached plans', async () => {
        const { store } = ctx();
        await store.insertActions(Array.from({ length: 20 }, () => launched()));
        // A connection of its own: prepared statements here must not meet the pool's.
        const schema = (await (store as PostgresStore).pool.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]!.s;
        const c = new pg.Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
        await c.connect();
        try {
          await c.query('ANALYZE actions');
          await c.query(`INSERT INTO actions (id, action_type_id, state, phase, input, due_at, created_at, updated_at, version)
          SELECT 'grown-' || g, 'type', 'waiting', 'queued', '{}', g, 0, 0, 1 FROM generate_series(1, 20000) g`);
          await c.query('SET plan_cache_mode = force_generic_plan');
          const statements: Array<[string, string, string]> = [
            ['claim', CLAIM_SQL, `(${T0}, 64, ${T0 + 1}, 'node', ${T0})`],
            ['write_batch', UPDATE, `('[]', '{}')`],
            ['write_one_statement', WRITE_ONE_STATEMENT, `('[]', '[]', 'channel', '{}')`],
          ];
          for (const [name, sql, args] of statements) {
            await c.query(`PREPARE ${name} AS ${sql}`);
            const plan = JSON.stringify((await c.query(`EXPLAIN (FORMAT JSON) EXECUTE ${name}${args}`)).rows);
            expect(plan, name).toContain('actions_pkey');
            expect(plan, name).not.toContain('Seq Scan');
          }
        } finally {
          await c.end();
        }
      });
    });

    describe('LISTEN/NOTIFY and lost connections (PostgreSQL only)', () => {
      const schemaOf = async (s: Store): Promise<string> =>
        (await (s as PostgresStore).pool.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]!.s;

      /** The notifications on our channel for our schema while `fn` runs; a sentinel sent after `fn` marks the end (delivery is in commit order). */
      async function wakeUpsDuring(fn: () => Promise<unknown>): Promise<number> {
        const schema = await schemaOf(ctx().store);
        const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await c.connect();
        try {
          await c.query('LISTEN callout_work');
          const got: string[] = [];
          const sentinel = new Promise<void>((resolve) =>
            c.on('notification', (n) => {
              if (n.payload === 'sentinel') resolve();
              else got.push(n.payload ?? '');
            }),
          );
          await fn();
          await c.query(`NOTIFY callout_work, 'sentinel'`);
          await sentinel;
          // The payload is `<schema>@<due time>` (listen.ts): count ours.
          return got.filter((p) => parseWorkPayload(p, schema) !== null).length;
        } finally {
          await c.end();
        }
      }

      it('insertActions wakes engines on commit only when an action is due now', async () => {
        const { store } = ctx();
        expect(await wakeUpsDuring(() => store.insertActions([launched({ dueAt: T0 + HOUR })]))).toBe(0);
        expect(await wakeUpsDuring(() => store.insertActions([launched({ dueAt: T0 + 1000 })]))).toBe(1);
        expect(await wakeUpsDuring(() => store.insertActions([launched(), launched(), launched({ dueAt: null })]))).toBe(1);
        expect(
          await wakeUpsDuring(() =>
            store.insertActions([launched({}, { launchKey: 'x' }), launched({}, { launchKey: 'x' })]).catch(() => undefined),
          ),
        ).toBe(0);
      });

      it('writeActions wakes engines only for applied writes due now', async () => {
        const { store } = ctx();
        const { action } = launched({ dueAt: null, phase: 'awaiting_callback' });
        await store.insertActions([{ action, timeline: [] }]);
        const later = write(action, { phase: 'retry_scheduled', dueAt: T0 + HOUR, updatedAt: T0 + 1 });
        expect(await wakeUpsDuring(() => store.writeActions([later]))).toBe(0);
        const now = write(later.action, { phase: 'queued', dueAt: T0 + 2, updatedAt: T0 + 2 });
        expect(await wakeUpsDuring(() => store.writeActions([now]))).toBe(1);
        const stale = write(later.action, { phase: 'queued', dueAt: T0 + 3, updatedAt: T0 + 3 });
        expect(await wakeUpsDuring(() => store.writeActions([stale]))).toBe(0);
      });

      it('listen calls back when any node commits work due now, until unsubscribed', async () => {
        const { db, store } = ctx();
        const [a, b] = [new Wakes(), new Wakes()];
        const stopA = await store.listen!(a.onWork);
        const stopB = await store.listen!(b.onWork);
        try {
          const other = db.open();
          const [wokeA, wokeB] = [a.next(), b.next()];
          await other.insertActions([launched()]);
          await Promise.all([wokeA, wokeB]);
          await stopA();
          const wokeB2 = b.next();
          await other.insertActions([launched()]);
          await wokeB2;
          expect(a.count).toBe(1); // its connection was closed before the second commit
        } finally {
          await stopB();
          await stopA();
        }
      });

      it('the listener comes back by itself when its connection is killed', async () => {
        const { store } = ctx();
        const w = new Wakes();
        const stop = await store.listen!(w.onWork);
        try {
          const back = w.next();
          expect(await terminateConnections(`callout_listen:${await schemaOf(store)}`)).toBe(1);
          await back; // reconnected: one wake-up for whatever was missed meanwhile
          const woke = w.next();
          await store.insertActions([launched()]);
          await woke;
        } finally {
          await stop();
        }
      });

      it('the store keeps working after PostgreSQL drops its connections (at most one failure per pooled connection)', async () => {
        const url = new URL(TEST_DATABASE_URL);
        url.searchParams.set('application_name', 'callout_conformance_victim');
        const node = new PostgresStore({
          connectionString: url.toString(),
          schema: await schemaOf(ctx().store),
          poolSize: 3,
          logger: quiet,
        });
        try {
          await Promise.all([1, 2, 3].map(() => node.nextDueAt()));
          expect(await terminateConnections('callout_conformance_victim')).toBeGreaterThan(0);
          const failures: unknown[] = [];
          let result: number | null | undefined;
          for (let i = 0; i <= 3 && result === undefined; i++) {
            try {
              await node.insertActions([launched({ dueAt: T0 + 7 })]);
              result = await node.nextDueAt();
            } catch (err) {
              failures.push(err);
            }
          }
          expect(result).toBe(T0 + 7);
          expect(failures.length).toBeLessThanOrEqual(3);
        } finally {
          await node.close();
        }
      });

      it('closing fails the calls still waiting for a connection at once, not after the 10 s connection timeout', async () => {
        const node = new PostgresStore({
          connectionString: TEST_DATABASE_URL,
          schema: await schemaOf(ctx().store),
          poolSize: 1,
          logger: quiet,
        });
        await node.pool.query('SELECT 1');
        // Its one connection held by a slow statement: the calls below queue for it.
        const busy = node.pool.query('SELECT pg_sleep(0.3)');
        await new Promise((r) => setTimeout(r, 50));
        const waiting = [node.nextDueAt(), node.getConfig('connector', 'vendor'), node.insertActions([launched()])].map((p) =>
          p.then(
            () => 'answered',
            (e: unknown) => e,
          ),
        );
        const t0 = Date.now();
        await node.close();
        await busy;
        const outcomes = await Promise.all(waiting);
        expect(Date.now() - t0).toBeLessThan(2000);
        for (const o of outcomes) expect(o).toMatchObject({ storeStopped: true, message: 'the store is closed' });
        expect(await ctx().store.countActions({})).toBe(0);
      });
    });
  },
  [postgresBackend],
);
