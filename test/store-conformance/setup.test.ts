// Store conformance: migrations, settings and configuration documents, on both stores.

import { dirname } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { eachStore, T0, SECOND, config, type TestDatabase } from './stores.ts';
import { ConflictError } from '../../src/errors.ts';
import { uuidv7 } from '../../src/ids.ts';
import type { Store } from '../../src/store/types.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';

eachStore((ctx) => {
  let db: TestDatabase;
  let store: Store;
  beforeEach(() => {
    ({ db, store } = ctx());
  });

  describe('migrations', () => {
    it('migrating again is harmless and keeps the data', async () => {
      await store.insertConfig('connector', config());
      await store.migrate();
      await store.migrate();
      expect((await store.getConfig('connector', 'crm'))?.name).toBe('crm');
    });

    it('several nodes migrating a new database at once all succeed', async () => {
      const fresh = await ctx().backend.createDatabase();
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

  describe('capabilities', () => {
    it('say what callers adapt to: how many writers commit at once, whether other nodes are woken, where local files live', () => {
      const c = store.capabilities;
      // Only a store that wakes other nodes has something to listen to.
      expect(typeof store.listen === 'function').toBe(c.notifiesOtherNodes);
      // Every store claims ahead: a round trip to overlap (PostgreSQL, SQLite on its thread) or a
      // cost per row that falls with the batch (SQLite on the event loop).
      if (store instanceof SqliteStore)
        expect(c).toEqual({
          concurrentWriters: 1,
          claimAhead: true,
          notifiesOtherNodes: false,
          localDataDir: dirname(store.db.name),
        });
      else expect(c).toEqual({ concurrentWriters: 1, claimAhead: true, notifiesOtherNodes: true, localDataDir: null });
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

    it('listConfigPage pages a kind newest first with `before` and `limit`, and cuts a page at a byte budget of documents', async () => {
      // Ids made at successive times: newest first is p4, p3, p2, p1, p0 (names in the other order).
      const rows = [0, 1, 2, 3, 4].map((i) =>
        config({ id: uuidv7(T0 + i * SECOND), name: `p${i}`, doc: { steps: ['x'.repeat(1000 * (i + 1))] } }),
      );
      for (const r of rows) await store.insertConfig('process', r);
      await store.insertConfig('action_type', config({ id: uuidv7(T0 + 9 * SECOND), name: 'not-a-process' }));
      const names = (p: { rows: Array<{ name: string }> }): string[] => p.rows.map((r) => r.name);
      const first = await store.listConfigPage('process', { limit: 2, maxBytes: 1e9 });
      expect([names(first), first.more]).toEqual([['p4', 'p3'], true]);
      expect(first.rows[0]).toEqual(rows[4]);
      const second = await store.listConfigPage('process', { before: first.rows[1]!.id, limit: 2, maxBytes: 1e9 });
      expect([names(second), second.more]).toEqual([['p2', 'p1'], true]);
      const last = await store.listConfigPage('process', { before: second.rows[1]!.id, limit: 2, maxBytes: 1e9 });
      expect([names(last), last.more]).toEqual([['p0'], false]);
      // p4's document alone (about 5 KB) crosses 4 KB: it ends the page, and more follow.
      const cut = await store.listConfigPage('process', { limit: 5, maxBytes: 4000 });
      expect([names(cut), cut.more]).toEqual([['p4'], true]);
      // p3 (about 4 KB) and p2 (3 KB) cross 6 KB at p2, which is kept.
      const cut2 = await store.listConfigPage('process', { before: rows[4]!.id, limit: 5, maxBytes: 6000 });
      expect([names(cut2), cut2.more]).toEqual([['p3', 'p2'], true]);
      expect(await store.listConfigPage('process', { before: rows[0]!.id, limit: 5, maxBytes: 1e9 })).toEqual({ rows: [], more: false });
    });

    it('configNames gives the names of the documents of a kind with those ids, and no more (an id of none, or of another kind, left out)', async () => {
      const rows = [0, 1, 2].map((i) => config({ id: uuidv7(T0 + i * SECOND), name: `p${i}`, doc: { steps: ['x'] } }));
      for (const r of rows) await store.insertConfig('process', r);
      const other = config({ id: uuidv7(T0 + 9 * SECOND), name: 'not-a-process' });
      await store.insertConfig('action_type', other);
      const named = await store.configNames('process', [rows[2]!.id, rows[0]!.id, other.id, 'p1', 'missing']);
      expect([...named].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
        { id: rows[0]!.id, name: 'p0' },
        { id: rows[2]!.id, name: 'p2' },
      ]);
      expect(await store.configNames('process', [])).toEqual([]);
    });

    it('writeConfigs stores several documents in one transaction: a stale revision or a taken name anywhere writes none of them', async () => {
      const crm = config({ id: 'c1', name: 'crm' });
      await store.insertConfig('connector', crm);
      const renamed = { ...crm, name: 'crm-eu', revision: 2, updatedAt: T0 + SECOND };
      const erp = config({ id: 'c2', name: 'erp' });
      const ticket = config({ id: 'a1', name: 'ticket', doc: { connectorId: 'c2' } });
      const all = async (): Promise<string[]> =>
        [...(await store.listConfig('connector')), ...(await store.listConfig('action_type'))].map((r) => `${r.name}@${r.revision}`);
      // The update comes first and would apply; the stale one after it is refused.
      const stale = store.writeConfigs([
        { kind: 'connector', row: erp, expectedRevision: null },
        { kind: 'connector', row: renamed, expectedRevision: 1 },
        { kind: 'action_type', row: ticket, expectedRevision: null },
        { kind: 'connector', row: { ...renamed, name: 'crm-us', revision: 3 }, expectedRevision: 1 },
      ]);
      await expect(stale).rejects.toBeInstanceOf(ConflictError);
      await expect(stale).rejects.toThrow(/crm-us.*changed by someone else/);
      expect(await all()).toEqual(['crm@1']);
      const taken = store.writeConfigs([
        { kind: 'connector', row: erp, expectedRevision: null },
        { kind: 'action_type', row: ticket, expectedRevision: null },
        { kind: 'connector', row: config({ id: 'c3', name: 'crm' }), expectedRevision: null },
      ]);
      await expect(taken).rejects.toThrow(/connector named "crm" already exists/);
      expect(await all()).toEqual(['crm@1']);
      await store.writeConfigs([
        { kind: 'connector', row: erp, expectedRevision: null },
        { kind: 'connector', row: renamed, expectedRevision: 1 },
        { kind: 'action_type', row: ticket, expectedRevision: null },
      ]);
      expect((await all()).sort()).toEqual(['crm-eu@2', 'erp@1', 'ticket@1']);
    });

    it('writeConfigs writes users, queues, webhooks and schedules in the same transaction: one refused write leaves none of them', async () => {
      const user = { name: 'alice', displayName: 'Alice', email: null, disabled: false, createdAt: T0, updatedAt: T0 };
      const queue = { name: 'desk', doc: { members: ['alice'] }, revision: 1, createdAt: T0, updatedAt: T0 };
      const hook = {
        id: 'w1',
        url: 'https://example.com/hooks',
        events: ['*'],
        description: null,
        enabled: true,
        secrets: '{}',
        failingSince: null,
        disabledAt: null,
        disabledReason: null,
        createdAt: T0,
        updatedAt: T0,
        revision: 1,
      };
      const schedule = {
        id: 's1',
        name: 'daily',
        cron: '0 8 * * *',
        timezone: 'UTC',
        launch: { actionType: 'a1', input: {} },
        paused: false,
        nextRunAt: T0,
        lastTickAt: null,
        createdBy: 'user:alice',
        createdAt: T0,
        updatedAt: T0,
        version: 1,
      };
      const all = async (): Promise<unknown[]> => [
        (await store.listUsers()).map((u) => `${u.name}:${u.displayName}`),
        (await store.listQueues()).map((q) => `${q.name}@${q.revision}`),
        (await store.listWebhookSubscriptions()).map((w) => `${w.url}@${w.revision}`),
        (await store.listSchedules()).map((x) => `${x.name}@${x.version}`),
        (await store.listConfig('process')).map((r) => r.name),
      ];
      const nothing = [[], [], [], [], []];
      // The last write names a user that is taken: everything before it is undone.
      const taken = store.writeConfigs([
        { kind: 'user', row: user, expectedRevision: null },
        { kind: 'queue', row: queue, expectedRevision: null },
        { kind: 'webhook', row: hook, expectedRevision: null },
        { kind: 'schedule', row: schedule, expectedRevision: null },
        { kind: 'process', row: config({ id: 'p1', name: 'onboarding' }), expectedRevision: null },
        { kind: 'user', row: user, expectedRevision: null },
      ]);
      await expect(taken).rejects.toThrow(/user named "alice" already exists/);
      expect(await all()).toEqual(nothing);
      await store.writeConfigs([
        { kind: 'user', row: user, expectedRevision: null },
        { kind: 'queue', row: queue, expectedRevision: null },
        { kind: 'webhook', row: hook, expectedRevision: null },
        { kind: 'schedule', row: schedule, expectedRevision: null },
      ]);
      // Updates are guarded: a user by the updatedAt it was read with, the others by revision (a schedule's version).
      const next = (at: number) => [
        { kind: 'queue' as const, row: { ...queue, revision: 2 }, expectedRevision: 1 },
        { kind: 'webhook' as const, row: { ...hook, revision: 2 }, expectedRevision: 1 },
        { kind: 'schedule' as const, row: { ...schedule, version: 2 }, expectedRevision: 1 },
        { kind: 'user' as const, row: { ...user, displayName: 'Alice M', updatedAt: T0 + SECOND }, expectedRevision: at },
      ];
      const stale = store.writeConfigs(next(T0 - SECOND));
      await expect(stale).rejects.toThrow(/user "alice" was changed by someone else/);
      const first = ['alice:Alice'];
      expect(await all()).toEqual([first, ['desk@1'], ['https://example.com/hooks@1'], ['daily@1'], []]);
      await store.writeConfigs(next(T0));
      expect(await all()).toEqual([['alice:Alice M'], ['desk@2'], ['https://example.com/hooks@2'], ['daily@2'], []]);
      // Two imports at once, each creating a subscription to one URL: one writes it, the other is a conflict.
      const hookTo = (id: string) => [
        { kind: 'webhook' as const, row: { ...hook, id, url: 'https://example.com/new' }, expectedRevision: null },
      ];
      const both = await Promise.allSettled([store.writeConfigs(hookTo('w2')), store.writeConfigs(hookTo('w3'))]);
      expect(both.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(String((both.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason)).toMatch(/created meanwhile/);
      expect((await store.listWebhookSubscriptions()).filter((w) => w.url === 'https://example.com/new')).toHaveLength(1);
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
});
