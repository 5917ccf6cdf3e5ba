// What every file of the store conformance suite shares: the two backends (the embedded SQLite file
// and the real PostgreSQL), the fixtures, and eachStore(), which runs a file's tests on both stores.
// A store passes when everything a user (or the engine) would notice behaves the same on both.

import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe } from 'vitest';
import type { ActionPolicy, ActionRecord, TimelineEntry } from '../../src/lifecycle/action.ts';
import { launchAction } from '../../src/lifecycle/launch.ts';
import { DEFAULT_RETRY_POLICY } from '../../src/lifecycle/retry-policy.ts';
import type { Effect } from '../../src/lifecycle/transition.ts';
import { uuidv7 } from '../../src/ids.ts';
import { createLogger } from '../../src/logger.ts';
import type { ActionWrite, ConfigRow, NewAction, Store } from '../../src/store/types.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { openThreadedSqliteStore } from '../../src/store/sqlite/thread.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema, withAdmin } from '../helpers/pg.ts';

/** One database of a backend, shared by every store (node) opened on it. */
export interface TestDatabase {
  /** Another store on the same database, as another node would open it (already migrated if the database is). */
  open(): Store;
  /** Empties every table, between tests. */
  reset(): Promise<void>;
  /** Rows of `table` matching `where` (SQL both databases read alike), counted by a connection of the test's own, not through a store. */
  count(table: string, where?: string): Promise<number>;
  /** Closes every store opened and deletes the database. */
  dispose(): Promise<void>;
}

export interface Backend {
  name: string;
  createDatabase(): Promise<TestDatabase>;
}

export const TABLES = [
  'settings',
  'connectors',
  'action_types',
  'cases',
  'actions',
  'timeline',
  'notifications',
  'api_keys',
  'rate_windows',
  'concurrency_slots',
  'connector_status',
  'nodes',
  'processes',
  'case_outbox',
  'case_history',
  'integration_log',
  'bulk_replay_selections',
  'bulk_replay_runs',
  'bulk_replay_items',
];

/** The embedded store on the event loop, or (`thread`) with its SQLite work on a worker thread, as `callout serve` runs it. */
const sqliteOf = (thread: boolean): Backend => ({
  name: thread ? 'SqliteStore (thread)' : 'SqliteStore',
  async createDatabase() {
    const dir = mkdtempSync(join(tmpdir(), 'callout-store-'));
    const file = join(dir, 'callout.db');
    const opened: Store[] = [];
    return {
      open() {
        const s = thread ? openThreadedSqliteStore({ file, synchronous: 'normal' }) : new SqliteStore({ file, synchronous: 'normal' });
        opened.push(s);
        return s;
      },
      async reset() {
        const db = new Database(file);
        try {
          db.exec(TABLES.map((t) => `DELETE FROM ${t};`).join('\n'));
        } finally {
          db.close();
        }
      },
      async count(table, where = 'true') {
        const db = new Database(file, { readonly: true });
        try {
          return (db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number }).n;
        } finally {
          db.close();
        }
      },
      async dispose() {
        for (const s of opened) await s.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});

export const sqliteBackend = sqliteOf(false);
export const sqliteThreadBackend = sqliteOf(true);

export const quiet = createLogger({ level: 'silent' });

export const postgresBackend: Backend = {
  name: 'PostgresStore',
  async createDatabase() {
    const schema = freshSchema('conformance');
    await withAdmin(async () => undefined); // fails the suite with a clear message when PostgreSQL is not there
    const opened: Store[] = [];
    return {
      open() {
        const s = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4, logger: quiet });
        opened.push(s);
        return s;
      },
      async reset() {
        await withAdmin((c) => c.query(`TRUNCATE ${TABLES.map((t) => `${schema}.${t}`).join(', ')} RESTART IDENTITY`));
      },
      async count(table, where = 'true') {
        return withAdmin(async (c) =>
          Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.${table} WHERE ${where}`)).rows[0]!.n),
        );
      },
      async dispose() {
        for (const s of opened) await s.close();
        await dropSchema(schema);
      },
    };
  },
};

export const T0 = Date.UTC(2030, 0, 1, 9, 0, 0); // beyond 2^31, so every time column must hold 64-bit values
export const SECOND = 1000;
export const HOUR = 3_600_000;

export const POLICY: ActionPolicy = {
  retry: DEFAULT_RETRY_POLICY,
  completion: { mode: 'response', timeoutMs: HOUR, heartbeatTimeoutMs: null },
  allocation: { queue: null, user: null },
};

/** A freshly launched action (waiting/queued, due at once), with `over` applied on top. */
export function launched(over: Partial<ActionRecord> = {}, keys: { launchKey?: string; launchHash?: string } = {}): NewAction {
  const now = over.createdAt ?? T0;
  const { action, timeline } = launchAction({
    id: uuidv7(now),
    actionTypeId: 'type-ticket',
    actionTypeName: 'Create ticket',
    caseId: null,
    input: { subject: 'Printer on fire' },
    policy: POLICY,
    now,
    actor: 'system',
  });
  return { action: { ...action, ...over }, timeline, ...keys };
}

/** A guarded write of `changes` on top of `a` as last read. */
export function write(
  a: ActionRecord,
  changes: Partial<ActionRecord>,
  timeline: TimelineEntry[] = [],
  effects: Effect[] = [],
): ActionWrite {
  return { action: { ...a, ...changes, version: a.version + 1 }, expectedVersion: a.version, timeline, effects };
}

export function config(over: Partial<ConfigRow> = {}): ConfigRow {
  return {
    id: uuidv7(T0),
    name: 'crm',
    doc: { baseUrl: 'https://crm.example', auth: { type: 'bearer', token: 'enc:v1:abc' } },
    revision: 1,
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

export const ids = (rows: { id: string }[]): string[] => rows.map((r) => r.id);

export interface StoreContext {
  backend: Backend;
  db: TestDatabase;
  /** A migrated store on `db`, its tables emptied before every test. */
  store: Store;
}

/**
 * Runs `body` once per backend, each on a database of its own (so the files of the suite run in
 * parallel without meeting). A backend that cannot be set up (PostgreSQL down) fails every test
 * with the reason, never skips them.
 */
export function eachStore(
  body: (ctx: () => StoreContext) => void,
  backends: Backend[] = [sqliteBackend, sqliteThreadBackend, postgresBackend],
): void {
  for (const backend of backends)
    describe(backend.name, () => {
      let db: TestDatabase;
      let store: Store;
      let setupError: unknown;

      beforeAll(async () => {
        try {
          db = await backend.createDatabase();
          store = db.open();
          await store.migrate();
        } catch (err) {
          setupError = err;
        }
      });
      afterAll(async () => {
        await db?.dispose();
      });
      beforeEach(async () => {
        if (setupError) throw setupError;
        await db.reset();
      });

      body(() => ({ backend, db, store }));
    });
}
