// Store conformance: cases and API keys, on both stores.

import { beforeEach, describe, expect, it } from 'vitest';
import { eachStore, T0, SECOND, HOUR, type TestDatabase } from './stores.ts';
import { CalloutError } from '../../src/errors.ts';
import type { Store } from '../../src/store/types.ts';

eachStore((ctx) => {
  let db: TestDatabase;
  let store: Store;
  beforeEach(() => {
    ({ db, store } = ctx());
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

    it('a UI session ended on one node is gone on every node; opening one sweeps those already ended', async () => {
      const other = db.open();
      const session = (id: string, expiresAt: number) => ({ id: id.repeat(64), keyHash: 'e'.repeat(64), expiresAt });
      await store.insertUiSession(session('1', T0 + HOUR), T0, 50);
      await store.insertUiSession(session('2', T0 + SECOND), T0, 50);
      expect(await other.findUiSession('1'.repeat(64))).toEqual(session('1', T0 + HOUR));
      await other.deleteUiSession('1'.repeat(64));
      await other.deleteUiSession('9'.repeat(64)); // no such session: nothing to do
      expect(await store.findUiSession('1'.repeat(64))).toBeUndefined();
      // Session 2 ended at T0 + 1 s: still readable (the caller compares the time) until a sign-in sweeps it.
      expect(await store.findUiSession('2'.repeat(64))).toEqual(session('2', T0 + SECOND));
      await other.insertUiSession(session('3', T0 + 2 * HOUR), T0 + HOUR, 50);
      expect(await store.findUiSession('2'.repeat(64))).toBeUndefined();
      expect(await store.findUiSession('3'.repeat(64))).toEqual(session('3', T0 + 2 * HOUR));
    });

    it("a key's sessions beyond the bound end oldest first; another key's sessions are untouched", async () => {
      const id = (key: string, n: number) => `${key}${String(n).padStart(63, '0')}`;
      const open = (key: string, n: number) =>
        store.insertUiSession({ id: id(key, n), keyHash: key.repeat(64), expiresAt: T0 + HOUR + n * SECOND }, T0 + n * SECOND, 3);
      await open('b', 0);
      for (let n = 1; n <= 5; n++) await open('a', n);
      for (const n of [1, 2]) expect(await store.findUiSession(id('a', n))).toBeUndefined();
      for (const n of [3, 4, 5]) expect((await store.findUiSession(id('a', n)))?.keyHash).toBe('a'.repeat(64));
      expect((await store.findUiSession(id('b', 0)))?.keyHash).toBe('b'.repeat(64));
      // The clock stepped back: the session just opened ends before the others, and is kept all the same.
      await store.insertUiSession({ id: id('a', 0), keyHash: 'a'.repeat(64), expiresAt: T0 + HOUR }, T0, 3);
      expect(await store.findUiSession(id('a', 0))).toBeDefined();
      expect(await store.findUiSession(id('a', 3))).toBeUndefined();
      for (const n of [4, 5]) expect(await store.findUiSession(id('a', n))).toBeDefined();
    });
  });
});
