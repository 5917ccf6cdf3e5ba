// One conformance suite for every Store: the embedded SQLite file and the real PostgreSQL. A store
// passes when everything a user (or the engine) would notice behaves the same on both.

import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActionPolicy, ActionRecord, TimelineEntry } from '../src/lifecycle/action.ts';
import { launchAction } from '../src/lifecycle/launch.ts';
import { DEFAULT_RETRY_POLICY } from '../src/lifecycle/retry-policy.ts';
import type { Effect } from '../src/lifecycle/transition.ts';
import { closedStatus } from '../src/connectors/circuit.ts';
import { CalloutError, ConflictError } from '../src/errors.ts';
import { uuidv7 } from '../src/ids.ts';
import { createLogger } from '../src/logger.ts';
import type { ActionWrite, ConfigRow, NewAction, Store } from '../src/store/types.ts';
import { SqliteStore } from '../src/store/sqlite/store.ts';
import { PostgresStore } from '../src/store/postgres/store.ts';
import { CLAIM_SQL } from '../src/store/postgres/claim-due.ts';
import { UPDATE, WRITE_ONE_STATEMENT } from '../src/store/postgres/write-actions.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema, terminateConnections, withAdmin } from './helpers/pg.ts';

/** One database of a backend, shared by every store (node) opened on it. */
interface TestDatabase {
  /** Another store on the same database, as another node would open it (already migrated if the database is). */
  open(): Store;
  /** Empties every table, between tests. */
  reset(): Promise<void>;
  /** Closes every store opened and deletes the database. */
  dispose(): Promise<void>;
}

interface Backend {
  name: string;
  createDatabase(): Promise<TestDatabase>;
}

const TABLES = [
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
];

const sqliteBackend: Backend = {
  name: 'SqliteStore',
  async createDatabase() {
    const dir = mkdtempSync(join(tmpdir(), 'callout-store-'));
    const file = join(dir, 'callout.db');
    const opened: Store[] = [];
    return {
      open() {
        const s = new SqliteStore({ file, synchronous: 'normal' });
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
      async dispose() {
        for (const s of opened) await s.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const quiet = createLogger({ level: 'silent' });

const postgresBackend: Backend = {
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
      async dispose() {
        for (const s of opened) await s.close();
        await dropSchema(schema);
      },
    };
  },
};

const T0 = Date.UTC(2030, 0, 1, 9, 0, 0); // beyond 2^31, so every time column must hold 64-bit values
const SECOND = 1000;
const HOUR = 3_600_000;

const POLICY: ActionPolicy = {
  retry: DEFAULT_RETRY_POLICY,
  completion: { mode: 'response', timeoutMs: HOUR, heartbeatTimeoutMs: null },
  allocation: { queue: null, user: null },
};

/** A freshly launched action (waiting/queued, due at once), with `over` applied on top. */
function launched(over: Partial<ActionRecord> = {}, keys: { launchKey?: string; launchHash?: string } = {}): NewAction {
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
function write(a: ActionRecord, changes: Partial<ActionRecord>, timeline: TimelineEntry[] = [], effects: Effect[] = []): ActionWrite {
  return { action: { ...a, ...changes, version: a.version + 1 }, expectedVersion: a.version, timeline, effects };
}

function config(over: Partial<ConfigRow> = {}): ConfigRow {
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

const ids = (rows: { id: string }[]): string[] => rows.map((r) => r.id);

function storeConformance(backend: Backend, more?: (ctx: () => { db: TestDatabase; store: Store }) => void): void {
  describe(backend.name, () => {
    let db: TestDatabase;
    let store: Store;
    // A backend that cannot be set up (PostgreSQL down) fails every test with the reason, never skips them.
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

    describe('migrations', () => {
      it('migrating again is harmless and keeps the data', async () => {
        await store.insertConfig('connector', config());
        await store.migrate();
        await store.migrate();
        expect((await store.getConfig('connector', 'crm'))?.name).toBe('crm');
      });

      it('several nodes migrating a new database at once all succeed', async () => {
        const fresh = await backend.createDatabase();
        try {
          const nodes = [fresh.open(), fresh.open(), fresh.open()];
          await Promise.all(nodes.map((n) => n.migrate()));
          expect(await nodes[0]!.ensureSetting('secret-key', 'first')).toBe('first');
          expect(await nodes[2]!.ensureSetting('secret-key', 'second')).toBe('first');
        } finally {
          await fresh.dispose();
        }
      });

      it('migration 004 marks the admin keys of earlier versions and renames duplicate names', async () => {
        const exec = async (sql: string): Promise<void> => {
          if (store instanceof SqliteStore) store.db.exec(sql);
          else await (store as PostgresStore).pool.query(sql);
        };
        // Back to before 004, with the keys earlier versions made: "admin" once per CALLOUT_ADMIN_KEY value.
        await exec(`DROP INDEX api_keys_active_name; ALTER TABLE api_keys DROP COLUMN origin; ALTER TABLE api_keys DROP COLUMN revoked_at;
          ALTER TABLE api_keys DROP COLUMN last_used_at; DELETE FROM callout_migrations WHERE version = 4`);
        const legacy = (id: string, name: string, hash: string, roles = ['admin']) =>
          exec(`INSERT INTO api_keys (id, name, key_hash, roles, created_at)
                VALUES ('${id}', '${name}', '${hash.repeat(64)}', '${JSON.stringify(roles)}', ${T0})`);
        await store.ensureSetting('generated_admin_key_hash', 'g'.repeat(64));
        await legacy('key-1', 'admin', 'g');
        await legacy('key-2', 'admin', 'e');
        await legacy('key-3', 'admin', 'f');
        await legacy('key-4', 'crm', 'c', ['integration']);
        await legacy('key-5', 'crm', 'd', ['integration']);
        await store.migrate();
        expect((await store.listApiKeys()).map((k) => [k.id, k.name, k.origin])).toEqual([
          ['key-1', 'admin', 'generated'],
          ['key-2', 'admin-key-2', 'env'],
          ['key-3', 'admin-key-3', 'env'],
          ['key-4', 'crm', undefined],
          ['key-5', 'crm-key-5', undefined],
        ]);
      });
    });

    describe('settings', () => {
      it('ensureSetting keeps the first value written, on every node', async () => {
        const other = db.open();
        expect(await store.ensureSetting('node-secret', 'a')).toBe('a');
        expect(await other.ensureSetting('node-secret', 'b')).toBe('a');
        expect(await store.ensureSetting('node-secret', 'c')).toBe('a');
        expect(await store.ensureSetting('other', 'x')).toBe('x');
      });
    });

    describe('configuration', () => {
      it('a connector round-trips and is found by id or by name', async () => {
        const row = config({ doc: { baseUrl: 'https://crm.example', headers: { 'X-Tenant': 'ü-1' }, limits: [1, 2.5, null] } });
        await store.insertConfig('connector', row);
        expect(await store.getConfig('connector', row.id)).toEqual(row);
        expect(await store.getConfig('connector', 'crm')).toEqual(row);
        expect(await store.getConfig('connector', 'nope')).toBeUndefined();
      });

      it('connectors and action types are separate: the same name may be used in each', async () => {
        await store.insertConfig('connector', config({ id: 'c1', name: 'crm' }));
        await store.insertConfig('action_type', config({ id: 'a1', name: 'crm' }));
        expect((await store.getConfig('connector', 'crm'))?.id).toBe('c1');
        expect((await store.getConfig('action_type', 'crm'))?.id).toBe('a1');
        expect(await store.getConfig('action_type', 'c1')).toBeUndefined();
      });

      it('an id wins over a name that spells it', async () => {
        await store.insertConfig('action_type', config({ id: 'ticket', name: 'first' }));
        await store.insertConfig('action_type', config({ id: 'other', name: 'ticket' }));
        expect((await store.getConfig('action_type', 'ticket'))?.name).toBe('first');
      });

      it('updateConfig applies only at the expected revision', async () => {
        const row = config();
        await store.insertConfig('connector', row);
        const next = { ...row, name: 'crm-eu', doc: { baseUrl: 'https://eu.crm.example' }, revision: 2, updatedAt: T0 + SECOND };
        expect(await store.updateConfig('connector', next, 1)).toBe(true);
        expect(await store.getConfig('connector', row.id)).toEqual(next);
        const stale = { ...row, name: 'crm-us', revision: 2, updatedAt: T0 + 2 * SECOND };
        expect(await store.updateConfig('connector', stale, 1)).toBe(false);
        expect(await store.getConfig('connector', row.id)).toEqual(next);
        expect(await store.updateConfig('connector', { ...next, id: 'missing' }, 2)).toBe(false);
      });

      it('a second configuration with the same name is a ConflictError, on insert and on rename', async () => {
        await store.insertConfig('connector', config({ id: 'c1', name: 'crm' }));
        await expect(store.insertConfig('connector', config({ id: 'c2', name: 'crm' }))).rejects.toBeInstanceOf(ConflictError);
        await store.insertConfig('connector', config({ id: 'c3', name: 'erp' }));
        await expect(store.updateConfig('connector', config({ id: 'c3', name: 'crm', revision: 2 }), 1)).rejects.toBeInstanceOf(
          ConflictError,
        );
        expect((await store.getConfig('connector', 'c3'))?.name).toBe('erp');
      });

      it('listConfig lists one kind, by name', async () => {
        for (const name of ['zeta', 'Alpha', 'beta']) await store.insertConfig('action_type', config({ id: `id-${name}`, name }));
        await store.insertConfig('connector', config({ id: 'conn', name: 'aaa' }));
        expect((await store.listConfig('action_type')).map((r) => r.name)).toEqual(['Alpha', 'beta', 'zeta']);
        expect((await store.listConfig('connector')).map((r) => r.name)).toEqual(['aaa']);
      });
    });

    describe('launching actions', () => {
      it('insertActions and getAction round-trip every field', async () => {
        const full = launched({
          caseId: 'case-1',
          state: 'todo',
          reason: 'request_rejected',
          resolution: 'not_done_successfully',
          phase: 'retry_scheduled',
          input: {
            subject: 'Ünïcode “quotes” \\ and \n newlines',
            n: 12.5,
            big: 9_007_199_254_740_991,
            list: [1, 'two', null, { three: true }],
            none: null,
          },
          output: { status: 503, body: ['x', { y: null }] },
          attempts: 4,
          lastError: 'HTTP 503: Service Unavailable',
          lastErrorAt: T0 + 1,
          nextRetryAt: T0 + 2,
          paused: true,
          rejectedReason: 'Customer unknown',
          externalReference: 'EXT-42',
          callbackOutcome: 'failure',
          escalated: true,
          queue: 'billing',
          assignee: 'ana',
          dueAt: T0 + 3,
          timeoutAt: T0 + 4,
          heartbeatAt: T0 + 5,
          updatedAt: T0 + 6,
          closedAt: T0 + 7,
          version: 9,
        });
        const plain = launched();
        await store.insertActions([full, plain]);
        expect(await store.getAction(full.action.id)).toEqual(full.action);
        expect(await store.getAction(plain.action.id)).toEqual(plain.action);
        expect(await store.getAction('no-such-action')).toBeUndefined();
      });

      it('output of any JSON type round-trips through a write', async () => {
        const { action } = launched();
        await store.insertActions([{ action, timeline: [] }]);
        let cur = action;
        for (const output of ['plain text body', 42, true, [1, 'a'], { ok: true }, null]) {
          const w = write(cur, { output });
          expect(await store.writeActions([w])).toEqual([true]);
          cur = w.action;
          expect((await store.getAction(action.id))?.output).toEqual(output);
        }
      });

      it('a launched action has its launch entry on the timeline', async () => {
        const item = launched();
        await store.insertActions([item]);
        const tl = await store.listTimeline(item.action.id);
        expect(tl).toHaveLength(1);
        expect(tl[0]).toMatchObject({
          actionId: item.action.id,
          at: T0,
          actor: 'system',
          kind: 'launched',
          message: 'Launched Create ticket; Waiting (queued)',
        });
        expect(tl[0]!.data).toBeUndefined();
      });

      it('a large batch is inserted whole', async () => {
        const items = Array.from({ length: 600 }, (_, i) => launched({ createdAt: T0 + i }));
        await store.insertActions(items);
        expect(await store.countActions({})).toBe(600);
        expect(await store.listTimeline(items[599]!.action.id)).toHaveLength(1);
      });

      it('getActionsByIds returns the actions that exist', async () => {
        const [a, b] = [launched(), launched()];
        await store.insertActions([a, b]);
        expect(ids(await store.getActionsByIds([b.action.id, 'missing', a.action.id])).sort()).toEqual([a.action.id, b.action.id].sort());
        expect(await store.getActionsByIds([])).toEqual([]);
      });

      it('a launch key finds its action and the hash of the launch request', async () => {
        const item = launched({}, { launchKey: 'idem-1', launchHash: 'sha-abc' });
        await store.insertActions([item, launched()]);
        expect(await store.getActionByLaunchKey('idem-1')).toEqual({ action: item.action, launchHash: 'sha-abc' });
        expect(await store.getActionByLaunchKey('idem-2')).toBeUndefined();
      });

      it('a repeated launch key is a ConflictError and nothing of that batch is stored', async () => {
        await store.insertActions([launched({}, { launchKey: 'idem-1', launchHash: 'h1' })]);
        const innocent = launched();
        await expect(store.insertActions([innocent, launched({}, { launchKey: 'idem-1', launchHash: 'h2' })])).rejects.toBeInstanceOf(
          ConflictError,
        );
        expect(await store.getAction(innocent.action.id)).toBeUndefined();
        expect(await store.listTimeline(innocent.action.id)).toEqual([]);
        expect(await store.countActions({})).toBe(1);
        // The same key twice in one batch is the same conflict.
        await expect(store.insertActions([launched({}, { launchKey: 'k' }), launched({}, { launchKey: 'k' })])).rejects.toBeInstanceOf(
          ConflictError,
        );
        expect(await store.countActions({})).toBe(1);
      });
    });

    describe('claiming due work', () => {
      const claim = (s: Store, now: number, limit = 100, owner = 'node-1', leaseUntil = now + 30 * SECOND) =>
        s.claimDue({ now, owner, leaseUntil, limit });

      it('claims only due actions, earliest first, up to the limit', async () => {
        const items = [3, 1, 5, 2, 4].map((k) => launched({ dueAt: T0 + k * SECOND }));
        const never = launched({ dueAt: null, phase: 'awaiting_callback' });
        await store.insertActions([...items, never]);
        const first = await claim(store, T0 + 4 * SECOND, 2);
        expect(first.map((a) => a.dueAt).sort()).toEqual([T0 + 30 * SECOND + 4 * SECOND, T0 + 34 * SECOND]);
        expect(ids(first).sort()).toEqual([items[1]!.action.id, items[3]!.action.id].sort());
        const second = await claim(store, T0 + 4 * SECOND, 10);
        expect(ids(second).sort()).toEqual([items[0]!.action.id, items[4]!.action.id].sort());
        expect(await claim(store, T0 + 4 * SECOND, 10)).toEqual([]);
        expect(ids(await claim(store, T0 + 5 * SECOND))).toEqual([items[2]!.action.id]);
        expect(await claim(store, T0 + 100 * HOUR)).toHaveLength(5); // every lease has run out by then; `never` is never due
      });

      it('a claim leases the action: sending, version bumped, due again at the lease end', async () => {
        const item = launched({ dueAt: T0 });
        await store.insertActions([item]);
        const [got] = await store.claimDue({ now: T0, owner: 'node-1', leaseUntil: T0 + 90 * SECOND, limit: 10 });
        const expected = { ...item.action, phase: 'sending', dueAt: T0 + 90 * SECOND, version: 2 };
        expect(got).toEqual(expected);
        expect(await store.getAction(item.action.id)).toEqual(expected);
        expect(await store.listTimeline(item.action.id)).toHaveLength(1); // a claim is not a state change
      });

      it('an action awaiting its callback (for its timeout) or throttled keeps that phase when claimed', async () => {
        const waiting = launched({ phase: 'awaiting_callback', dueAt: T0 + HOUR });
        const throttled = launched({ phase: 'throttled', dueAt: T0 + HOUR });
        const retry = launched({ phase: 'retry_scheduled', dueAt: T0 + HOUR });
        await store.insertActions([waiting, throttled, retry]);
        const got = await claim(store, T0 + HOUR);
        const phaseOf = (id: string) => got.find((a) => a.id === id)?.phase;
        expect([phaseOf(waiting.action.id), phaseOf(throttled.action.id), phaseOf(retry.action.id)]).toEqual([
          'awaiting_callback',
          'throttled',
          'sending',
        ]);
        expect(got.every((a) => a.version === 2 && a.dueAt === T0 + HOUR + 30 * SECOND)).toBe(true);
      });

      it('a claimed action is not claimed again before its lease ends, and is after', async () => {
        const item = launched({ dueAt: T0 });
        await store.insertActions([item]);
        expect(await claim(store, T0, 10, 'node-1', T0 + 30 * SECOND)).toHaveLength(1);
        const other = db.open();
        expect(await claim(other, T0 + 30 * SECOND - 1, 10, 'node-2')).toEqual([]);
        const [again] = await claim(other, T0 + 30 * SECOND, 10, 'node-2', T0 + 60 * SECOND);
        expect(again).toMatchObject({ id: item.action.id, phase: 'sending', version: 3, dueAt: T0 + 60 * SECOND });
      });

      it('concurrent claimers never get the same action', async () => {
        const items = Array.from({ length: 500 }, (_, i) => launched({ dueAt: T0 + i }));
        await store.insertActions(items);
        const nodes = [db.open(), db.open()];
        const perClaimer = await Promise.all(
          [0, 1, 2, 3].map(async (k) => {
            const mine: string[] = [];
            for (;;) {
              const rows = await nodes[k % 2]!.claimDue({ now: T0 + 10 * SECOND, owner: `claimer-${k}`, leaseUntil: T0 + HOUR, limit: 16 });
              if (rows.length === 0) return mine;
              mine.push(...ids(rows));
            }
          }),
        );
        const all = perClaimer.flat();
        expect(all).toHaveLength(500);
        expect(new Set(all).size).toBe(500);
        expect(await store.countActions({ phase: 'sending' })).toBe(500);
      });

      it('nextDueAt is the earliest due time, or null when nothing is due', async () => {
        expect(await store.nextDueAt()).toBeNull();
        await store.insertActions([launched({ dueAt: null, phase: 'awaiting_callback' })]);
        expect(await store.nextDueAt()).toBeNull();
        await store.insertActions([launched({ dueAt: T0 + HOUR }), launched({ dueAt: T0 + 2 * HOUR })]);
        expect(await store.nextDueAt()).toBe(T0 + HOUR);
        await claim(store, T0 + HOUR, 10, 'node-1', T0 + 3 * HOUR);
        expect(await store.nextDueAt()).toBe(T0 + 2 * HOUR);
      });
    });

    describe('writing transitions', () => {
      const entry = (at: number, kind: TimelineEntry['kind'], message: string, data?: Record<string, unknown>): TimelineEntry => ({
        at,
        actor: 'system',
        kind,
        message,
        ...(data ? { data } : {}),
      });

      async function claimedOne(over: Partial<ActionRecord> = {}): Promise<ActionRecord> {
        const item = launched({ dueAt: T0, ...over });
        await store.insertActions([item]);
        const [a] = await store.claimDue({ now: T0, owner: 'node-1', leaseUntil: T0 + 30 * SECOND, limit: 1 });
        return a!;
      }

      it('a write at the expected version stores the record and its timeline entries in order', async () => {
        const a = await claimedOne();
        const w = write(
          a,
          { phase: 'awaiting_callback', attempts: 1, dueAt: T0 + HOUR, externalReference: 'EXT-1', updatedAt: T0 + SECOND },
          [
            entry(T0 + SECOND, 'attempt', 'POST /tickets → 202', { status: 202, request: { headers: { authorization: '[redacted]' } } }),
            entry(T0 + SECOND, 'state_changed', 'Waiting (awaiting callback)'),
          ],
        );
        expect(await store.writeActions([w])).toEqual([true]);
        expect(await store.getAction(a.id)).toEqual(w.action);
        const tl = await store.listTimeline(a.id);
        expect(tl.map((t) => t.kind)).toEqual(['launched', 'attempt', 'state_changed']);
        expect(tl[1]).toEqual({ seq: tl[1]!.seq, actionId: a.id, ...w.timeline[0] });
        expect(tl[0]!.seq < tl[1]!.seq && tl[1]!.seq < tl[2]!.seq).toBe(true);
        // No longer leased: nothing due before the new due time.
        expect(await store.claimDue({ now: T0 + HOUR - 1, owner: 'node-2', leaseUntil: T0 + 2 * HOUR, limit: 10 })).toEqual([]);
      });

      it('a stale write changes nothing — no record, timeline, case data or notification — while the rest of the batch applies', async () => {
        await store.insertCase({ id: 'case-1', data: { a: 1 }, owner: 'olga', createdAt: T0, updatedAt: T0 });
        const item = launched({ caseId: 'case-1', dueAt: T0 });
        const fresh = launched({ createdAt: T0 + 1 });
        await store.insertActions([item, fresh]);
        const [claimed] = await store.claimDue({ now: T0, owner: 'node-1', leaseUntil: T0 + 30 * SECOND, limit: 1 });
        expect(claimed!.id).toBe(item.action.id);
        // A worker still holding the launch version (1) lost the race with the claim (now 2).
        const stale = write(
          item.action,
          { state: 'closed', phase: null, resolution: 'not_done_successfully', escalated: true, lastError: 'boom' },
          [entry(T0 + 5, 'escalated', 'Escalated')],
          [{ type: 'merge_case_data', data: { a: 2 } }, { type: 'escalated' }],
        );
        const good = write(fresh.action, { phase: 'sending', updatedAt: T0 + 5 }, [entry(T0 + 5, 'message', 'ok')]);
        expect(await store.writeActions([stale, good])).toEqual([false, true]);
        expect(await store.getAction(item.action.id)).toEqual(claimed);
        expect((await store.listTimeline(item.action.id)).map((t) => t.kind)).toEqual(['launched']);
        expect((await store.getCase('case-1'))!.data).toEqual({ a: 1 });
        expect(await store.listNotifications('olga')).toEqual([]);
        expect((await store.getAction(fresh.action.id))!.phase).toBe('sending');
        expect(await store.writeActions([])).toEqual([]);
      });

      it('two writes of one action in a batch apply one after the other', async () => {
        const a = await claimedOne();
        const w1 = write(a, { phase: 'awaiting_callback', updatedAt: T0 + 1 }, [entry(T0 + 1, 'attempt', 'sent')]);
        const w2 = write(w1.action, { state: 'closed', phase: null, resolution: 'done_successfully', dueAt: null, updatedAt: T0 + 2 }, [
          entry(T0 + 2, 'callback', 'done'),
        ]);
        const w3 = write(w1.action, { state: 'todo', phase: null, reason: 'timeout', updatedAt: T0 + 3 }, [
          entry(T0 + 3, 'state_changed', 'timed out'),
        ]);
        expect(await store.writeActions([w1, w2, w3])).toEqual([true, true, false]);
        expect(await store.getAction(a.id)).toEqual(w2.action);
        expect((await store.listTimeline(a.id)).map((t) => t.message)).toEqual([
          'Launched Create ticket; Waiting (queued)',
          'sent',
          'done',
        ]);
      });

      it('merge_case_data merges into the case data shallowly, in write order', async () => {
        await store.insertCase({
          id: 'case-1',
          data: { keep: true, status: 'new', nested: { x: 1 } },
          owner: null,
          createdAt: T0,
          updatedAt: T0,
        });
        const [i1, i2] = [launched({ caseId: 'case-1' }), launched({ caseId: 'case-1' })];
        await store.insertActions([i1, i2]);
        const w1 = write(
          i1.action,
          { state: 'closed', phase: null, updatedAt: T0 + 10 },
          [],
          [{ type: 'merge_case_data', data: { status: 'open', nested: { y: 2 }, ticket: 'T-1' } }],
        );
        const w2 = write(
          i2.action,
          { state: 'closed', phase: null, updatedAt: T0 + 20 },
          [],
          [{ type: 'merge_case_data', data: { status: 'closed', extra: null } }],
        );
        expect(await store.writeActions([w1, w2])).toEqual([true, true]);
        expect(await store.getCase('case-1')).toEqual({
          id: 'case-1',
          data: { keep: true, status: 'closed', nested: { y: 2 }, ticket: 'T-1', extra: null },
          owner: null,
          createdAt: T0,
          updatedAt: T0 + 20,
        });
      });

      it('escalated notifies the case owner with the last error, newest first', async () => {
        await store.insertCase({ id: 'case-1', data: {}, owner: 'olga', createdAt: T0, updatedAt: T0 });
        await store.insertCase({ id: 'case-2', data: {}, owner: null, createdAt: T0, updatedAt: T0 });
        const [i1, i2, i3, i4] = [
          launched({ caseId: 'case-1' }),
          launched({ caseId: 'case-1' }),
          launched({ caseId: 'case-2' }),
          launched({ caseId: null }),
        ];
        await store.insertActions([i1, i2, i3, i4]);
        const escalate = (a: ActionRecord, at: number, lastError: string | null): ActionWrite =>
          write(
            a,
            { state: 'closed', phase: null, resolution: 'not_done_successfully', escalated: true, lastError, updatedAt: at, closedAt: at },
            [],
            [{ type: 'escalated' }],
          );
        expect(
          await store.writeActions([
            escalate(i1.action, T0 + 1, 'HTTP 503'),
            escalate(i2.action, T0 + 2, null),
            escalate(i3.action, T0 + 3, 'x'),
            escalate(i4.action, T0 + 4, 'y'),
          ]),
        ).toEqual([true, true, true, true]);
        const notes = await store.listNotifications('olga');
        expect(notes.map(({ id: _id, ...n }) => n)).toEqual([
          {
            user: 'olga',
            kind: 'action.escalated',
            message: `Action ${i2.action.id} closed Not Done Successfully:`,
            actionId: i2.action.id,
            caseId: 'case-1',
            at: T0 + 2,
          },
          {
            user: 'olga',
            kind: 'action.escalated',
            message: `Action ${i1.action.id} closed Not Done Successfully: HTTP 503`,
            actionId: i1.action.id,
            caseId: 'case-1',
            at: T0 + 1,
          },
        ]);
        expect(notes[0]!.id).toBeGreaterThan(notes[1]!.id);
        expect(await store.listNotifications('nobody')).toEqual([]);
        expect(await store.countActions({ escalated: true })).toBe(4);
      });
    });

    describe('finding actions', () => {
      /** Ten actions, created one second apart (so ids ascend), with the attributes the filters look at. */
      async function seed(): Promise<ActionRecord[]> {
        const rows: Array<Partial<ActionRecord>> = [
          { state: 'waiting', phase: 'queued' },
          { state: 'waiting', phase: 'retry_scheduled', actionTypeId: 'type-ticket' },
          { state: 'waiting', phase: 'retry_scheduled', actionTypeId: 'type-refund' },
          { state: 'waiting', phase: 'awaiting_callback', externalReference: 'EXT-1', dueAt: null },
          { state: 'todo', phase: null, reason: 'timeout', queue: 'billing', caseId: 'case-1', dueAt: null },
          { state: 'todo', phase: null, reason: 'request_rejected', queue: 'billing', assignee: 'ana', caseId: 'case-1', dueAt: null },
          { state: 'in_progress', phase: null, reason: 'manual', assignee: 'ana', dueAt: null },
          {
            state: 'closed',
            phase: null,
            resolution: 'done_successfully',
            externalReference: 'EXT-1',
            actionTypeId: 'type-refund',
            dueAt: null,
          },
          { state: 'closed', phase: null, resolution: 'not_done_successfully', escalated: true, caseId: 'case-2', dueAt: null },
          { state: 'closed', phase: null, resolution: 'done_successfully', externalReference: 'EXT-1', dueAt: null },
        ];
        const items = rows.map((over, i) => launched({ createdAt: T0 + i * SECOND, ...over }));
        await store.insertActions(items);
        return items.map((it) => it.action);
      }

      it('listActions lists newest first and filters by every field', async () => {
        const a = await seed();
        const newestFirst = (xs: ActionRecord[]): string[] => ids(xs).reverse();
        expect(ids(await store.listActions({ limit: 100 }))).toEqual(newestFirst(a));
        expect(ids(await store.listActions({ state: 'todo', limit: 100 }))).toEqual(newestFirst([a[4]!, a[5]!]));
        expect(ids(await store.listActions({ phase: 'retry_scheduled', limit: 100 }))).toEqual(newestFirst([a[1]!, a[2]!]));
        expect(ids(await store.listActions({ reason: 'manual', limit: 100 }))).toEqual([a[6]!.id]);
        expect(ids(await store.listActions({ resolution: 'done_successfully', limit: 100 }))).toEqual(newestFirst([a[7]!, a[9]!]));
        expect(ids(await store.listActions({ actionTypeId: 'type-refund', limit: 100 }))).toEqual(newestFirst([a[2]!, a[7]!]));
        expect(ids(await store.listActions({ caseId: 'case-1', limit: 100 }))).toEqual(newestFirst([a[4]!, a[5]!]));
        expect(ids(await store.listActions({ queue: 'billing', assignee: 'ana', limit: 100 }))).toEqual([a[5]!.id]);
        expect(ids(await store.listActions({ escalated: true, limit: 100 }))).toEqual([a[8]!.id]);
        expect(await store.listActions({ escalated: false, limit: 100 })).toHaveLength(9);
        expect(ids(await store.listActions({ externalReference: 'EXT-1', limit: 100 }))).toEqual(newestFirst([a[3]!, a[7]!, a[9]!]));
        expect(ids(await store.listActions({ state: 'closed', externalReference: 'EXT-1', limit: 100 }))).toEqual(
          newestFirst([a[7]!, a[9]!]),
        );
        expect(await store.listActions({ state: 'waiting', caseId: 'case-2', limit: 100 })).toEqual([]);
      });

      it('listActions pages newest first with `before` and `limit`', async () => {
        const a = await seed();
        const page1 = await store.listActions({ limit: 4 });
        expect(ids(page1)).toEqual([a[9]!.id, a[8]!.id, a[7]!.id, a[6]!.id]);
        const page2 = await store.listActions({ limit: 4, before: page1.at(-1)!.id });
        expect(ids(page2)).toEqual([a[5]!.id, a[4]!.id, a[3]!.id, a[2]!.id]);
        const page3 = await store.listActions({ limit: 4, before: page2.at(-1)!.id });
        expect(ids(page3)).toEqual([a[1]!.id, a[0]!.id]);
        expect(ids(await store.listActions({ state: 'closed', limit: 1, before: a[9]!.id }))).toEqual([a[8]!.id]);
        expect(await store.listActions({ limit: 10, before: a[0]!.id })).toEqual([]);
      });

      it('countActions counts with the same filters', async () => {
        await seed();
        expect(await store.countActions({})).toBe(10);
        expect(await store.countActions({ state: 'closed' })).toBe(3);
        expect(await store.countActions({ state: 'waiting', phase: 'retry_scheduled' })).toBe(2);
        expect(await store.countActions({ escalated: true })).toBe(1);
        expect(await store.countActions({ escalated: false, state: 'closed' })).toBe(2);
        expect(await store.countActions({ externalReference: 'EXT-1' })).toBe(3);
        expect(await store.countActions({ caseId: 'case-1', assignee: 'ana' })).toBe(1);
        expect(await store.countActions({ queue: 'nowhere' })).toBe(0);
      });

      it('listRetryScheduled lists the open actions of one type waiting for a retry', async () => {
        const a = await seed();
        expect(ids(await store.listRetryScheduled('type-ticket'))).toEqual([a[1]!.id]);
        expect(ids(await store.listRetryScheduled('type-refund'))).toEqual([a[2]!.id]);
        expect(await store.listRetryScheduled('type-none')).toEqual([]);
      });

      it('findActionsByExternalReference looks among the given types, newest first', async () => {
        const a = await seed();
        expect(ids(await store.findActionsByExternalReference(['type-ticket'], 'EXT-1'))).toEqual([a[9]!.id, a[3]!.id]);
        expect(ids(await store.findActionsByExternalReference(['type-ticket', 'type-refund'], 'EXT-1'))).toEqual([
          a[9]!.id,
          a[7]!.id,
          a[3]!.id,
        ]);
        expect(await store.findActionsByExternalReference(['type-other'], 'EXT-1')).toEqual([]);
        expect(await store.findActionsByExternalReference(['type-ticket'], 'EXT-2')).toEqual([]);
        expect(await store.findActionsByExternalReference([], 'EXT-1')).toEqual([]);
      });

      it('listTimeline keeps each action’s entries in the order written, apart from other actions', async () => {
        const [x, y] = [launched(), launched()];
        await store.insertActions([x, y]);
        let ax = x.action;
        let ay = y.action;
        for (let i = 1; i <= 3; i++) {
          const wx = write(ax, { updatedAt: T0 + i }, [
            { at: T0 + i, actor: 'integration', kind: 'heartbeat', message: `x${i}`, data: { i } },
          ]);
          const wy = write(ay, { updatedAt: T0 + i }, [{ at: T0 + i, actor: `user:ana`, kind: 'message', message: `y${i}` }]);
          expect(await store.writeActions([wy, wx])).toEqual([true, true]);
          [ax, ay] = [wx.action, wy.action];
        }
        const tx = await store.listTimeline(x.action.id);
        expect(tx.map((t) => t.message)).toEqual(['Launched Create ticket; Waiting (queued)', 'x1', 'x2', 'x3']);
        expect(tx[3]).toEqual({
          seq: tx[3]!.seq,
          actionId: x.action.id,
          at: T0 + 3,
          actor: 'integration',
          kind: 'heartbeat',
          message: 'x3',
          data: { i: 3 },
        });
        expect((await store.listTimeline(y.action.id)).map((t) => [t.actor, t.message])).toEqual([
          ['system', 'Launched Create ticket; Waiting (queued)'],
          ['user:ana', 'y1'],
          ['user:ana', 'y2'],
          ['user:ana', 'y3'],
        ]);
        expect(await store.listTimeline('no-such-action')).toEqual([]);
      });
    });

    describe('connector limits and status', () => {
      const limits = [
        { limit: 3, perMs: SECOND },
        { limit: 5, perMs: 60 * SECOND },
      ];

      it('rate permits come from every window at once, with the time the exhausted windows end', async () => {
        const ask = (now: number, want: number, connectorId = 'crm') => store.acquireRatePermits({ connectorId, limits, now, want });
        expect(await ask(T0, 2)).toEqual({ granted: 2, retryAt: null });
        expect(await ask(T0 + 500, 2)).toEqual({ granted: 1, retryAt: T0 + SECOND });
        expect(await ask(T0 + 999, 1)).toEqual({ granted: 0, retryAt: T0 + SECOND });
        expect(await ask(T0 + SECOND, 5)).toEqual({ granted: 2, retryAt: T0 + 60 * SECOND }); // the minute is the binding window now
        expect(await ask(T0 + 2 * SECOND, 1)).toEqual({ granted: 0, retryAt: T0 + 60 * SECOND });
        expect(await ask(T0 + 60 * SECOND, 1)).toEqual({ granted: 1, retryAt: null });
        expect(await ask(T0, 3, 'erp')).toEqual({ granted: 3, retryAt: null }); // each connector has its own windows
      });

      it('nodes asking for rate permits at once get no more than the limit together', async () => {
        const nodes = [db.open(), db.open()];
        const perAsker = await Promise.all(
          [0, 1, 2, 3].map(async (k) => {
            let got = 0;
            for (let i = 0; i < 30; i++)
              got += (
                await nodes[k % 2]!.acquireRatePermits({ connectorId: 'crm', limits: [{ limit: 50, perMs: HOUR }], now: T0 + i, want: 1 })
              ).granted;
            return got;
          }),
        );
        expect(perAsker.reduce((a, b) => a + b, 0)).toBe(50);
      });

      it('concurrency slots hold up to the maximum, and free on release or when their lease ends', async () => {
        const take = (actionIds: string[], now = T0) =>
          store.acquireConcurrency({ connectorId: 'crm', max: 2, actionIds, now, until: now + 30 * SECOND });
        expect(await take(['a', 'b', 'c'])).toEqual(['a', 'b']);
        expect(await take(['c'])).toEqual([]);
        await store.releaseConcurrency('crm', ['a', 'never-held']);
        expect(await take(['c', 'd'])).toEqual(['c']);
        expect(await store.acquireConcurrency({ connectorId: 'erp', max: 1, actionIds: ['x'], now: T0, until: T0 + SECOND })).toEqual([
          'x',
        ]);
        await store.releaseConcurrency('crm', []);
        expect(await take(['d'], T0 + 30 * SECOND - 1)).toEqual([]);
        expect(await take(['d', 'e', 'f'], T0 + 30 * SECOND)).toEqual(['d', 'e']); // b and c were never released: their leases ended
      });

      it('nodes taking concurrency slots at once never exceed the maximum', async () => {
        const nodes = [db.open(), db.open()];
        const perAsker = await Promise.all(
          [0, 1, 2, 3].map(async (k) => {
            const got: string[] = [];
            for (let i = 0; i < 10; i++)
              got.push(
                ...(await nodes[k % 2]!.acquireConcurrency({
                  connectorId: 'crm',
                  max: 5,
                  actionIds: [`a-${k}-${i}`],
                  now: T0,
                  until: T0 + HOUR,
                })),
              );
            return got;
          }),
        );
        expect(perAsker.flat()).toHaveLength(5);
      });

      it('connector status is read, changed and written by one node at a time', async () => {
        expect(await store.listConnectorStatus()).toEqual([]);
        const first = await store.updateConnectorStatus('crm', (cur) => {
          expect(cur).toBeUndefined();
          return { ...closedStatus('crm', T0), failures: 1, lastError: 'connect ECONNREFUSED' };
        });
        expect(await store.listConnectorStatus()).toEqual([first]);
        const nodes = [db.open(), db.open()];
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            nodes[i % 2]!.updateConnectorStatus('crm', (cur) => ({ ...cur!, failures: cur!.failures + 1, updatedAt: T0 + i })),
          ),
        );
        await store.updateConnectorStatus('erp', () => ({ ...closedStatus('erp', T0), circuit: 'open', openedAt: T0, retryAt: T0 + HOUR }));
        const all = await store.listConnectorStatus();
        expect(all.find((s) => s.connectorId === 'crm')!.failures).toBe(21);
        expect(all.find((s) => s.connectorId === 'erp')).toEqual({
          ...closedStatus('erp', T0),
          circuit: 'open',
          openedAt: T0,
          retryAt: T0 + HOUR,
        });
      });
    });

    describe('cases and API keys', () => {
      it('a case round-trips', async () => {
        const row = {
          id: 'case-1',
          data: { customer: { name: 'Zoë', vip: true }, amounts: [1, 2] },
          owner: 'olga',
          createdAt: T0,
          updatedAt: T0 + 1,
        };
        await store.insertCase(row);
        await store.insertCase({ id: 'case-2', data: {}, owner: null, createdAt: T0, updatedAt: T0 });
        expect(await store.getCase('case-1')).toEqual(row);
        expect(await store.getCase('case-2')).toEqual({ id: 'case-2', data: {}, owner: null, createdAt: T0, updatedAt: T0 });
        expect(await store.getCase('case-3')).toBeUndefined();
      });

      it('an API key is found by the hash of its secret', async () => {
        const row = { id: 'key-1', name: 'CRM integration', keyHash: 'a'.repeat(64), roles: ['integration', 'operator'], createdAt: T0 };
        await store.insertApiKey(row);
        expect(await store.findApiKey('a'.repeat(64))).toEqual(row);
        expect(await store.findApiKey('b'.repeat(64))).toBeUndefined();
      });

      it('API key names are unique among keys not revoked, across nodes; a revoked name is free again', async () => {
        const other = db.open();
        const key = (id: string, hash: string) => ({ id, name: 'ci', keyHash: hash.repeat(64), roles: ['integration'], createdAt: T0 });
        await store.insertApiKey(key('key-1', 'a'));
        const dup = await other.insertApiKey(key('key-2', 'b')).catch((e: unknown) => e);
        expect(dup).toBeInstanceOf(CalloutError);
        expect(dup).toMatchObject({ code: 'CONFLICT', errors: [{ field: 'name' }] });
        const sameHash = await other.insertApiKey({ ...key('key-3', 'a'), name: 'other' }).catch((e: unknown) => e);
        expect(sameHash).toMatchObject({ code: 'CONFLICT' });
        expect(await store.findApiKey('b'.repeat(64))).toBeUndefined();
        await store.revokeApiKey('key-1', T0 + SECOND);
        await other.insertApiKey(key('key-2', 'b'));
        expect((await store.listApiKeys()).map((k) => [k.id, k.name, k.revokedAt])).toEqual([
          ['key-1', 'ci', T0 + SECOND],
          ['key-2', 'ci', undefined],
        ]);
      });

      it('a revoked API key reads as revoked on every node at once; revoking again keeps the first time', async () => {
        const other = db.open();
        await store.insertApiKey({ id: 'key-1', name: 'ops', keyHash: 'c'.repeat(64), roles: ['operator'], createdAt: T0, origin: 'env' });
        expect(await other.revokeApiKey('key-1', T0 + SECOND)).toMatchObject({ id: 'key-1', revokedAt: T0 + SECOND, origin: 'env' });
        expect((await store.findApiKey('c'.repeat(64)))?.revokedAt).toBe(T0 + SECOND);
        expect((await store.revokeApiKey('key-1', T0 + HOUR))?.revokedAt).toBe(T0 + SECOND);
        expect(await store.revokeApiKey('no-such-key', T0)).toBeUndefined();
      });

      it('an API key records its last use, never moving back in time', async () => {
        await store.insertApiKey({ id: 'key-1', name: 'ops', keyHash: 'd'.repeat(64), roles: ['operator'], createdAt: T0 });
        await store.touchApiKey('key-1', T0 + HOUR);
        await db.open().touchApiKey('key-1', T0 + SECOND);
        expect((await store.findApiKey('d'.repeat(64)))?.lastUsedAt).toBe(T0 + HOUR);
        expect((await store.listApiKeys())[0]?.lastUsedAt).toBe(T0 + HOUR);
      });
    });

    more?.(() => ({ db, store }));
  });
}

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

storeConformance(sqliteBackend);

storeConformance(postgresBackend, (ctx) => {
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
          ['claim', CLAIM_SQL, `(${T0}, 64, ${T0 + 1}, 'node')`],
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
        return got.filter((p) => p === schema).length;
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
      const node = new PostgresStore({ connectionString: url.toString(), schema: await schemaOf(ctx().store), poolSize: 3, logger: quiet });
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
  });
});
