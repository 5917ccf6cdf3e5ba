// Store conformance: a case's history is written in the transaction of the change it records (a write
// that loses its version race writes none), read newest first a page at a time, and kept bounded.

import { beforeEach, describe, expect, it } from 'vitest';
import { eachStore, T0, type TestDatabase } from './stores.ts';
import type { CaseRow, Store } from '../../src/store/types.ts';
import { CASE_HISTORY_KEPT, type NewCaseHistoryEntry } from '../../src/processes/case-history.ts';
import { ConflictError } from '../../src/errors.ts';

const plain = (id: string): CaseRow => ({ id, data: {}, owner: null, createdAt: T0, updatedAt: T0 });
const entry = (kind: NewCaseHistoryEntry['kind'], detail: Record<string, unknown> = {}, at = T0): NewCaseHistoryEntry => ({
  at,
  kind,
  step: kind.startsWith('step_') ? 'shape' : null,
  actor: kind === 'case_created' ? 'user:olga' : 'system',
  detail,
});

eachStore((ctx) => {
  let db: TestDatabase;
  let store: Store;
  beforeEach(() => {
    ({ db, store } = ctx());
  });

  describe('case history', () => {
    it('is written with the case and with each write that applies, and not by one that loses its race', async () => {
      await store.createCase(plain('c1'), { history: [entry('case_created')], launchKey: 'k' });
      // A create refused for its taken key writes no history either.
      await expect(store.createCase(plain('c2'), { history: [entry('case_created')], launchKey: 'k' })).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect(await store.listCaseHistory('c2', { limit: 10 })).toEqual([]);

      expect(
        await store.updateCase({
          id: 'c1',
          expectedVersion: 1,
          at: T0 + 1,
          owner: 'sam',
          history: [entry('owner_changed', { from: null, to: 'sam' }, T0 + 1)],
        }),
      ).toBe(true);
      // Guarded by a version that moved: neither the change nor its entry.
      expect(
        await store.updateCase({ id: 'c1', expectedVersion: 1, at: T0 + 2, owner: 'x', history: [entry('owner_changed', {}, T0 + 2)] }),
      ).toBe(false);
      expect(
        await store.updateCase({
          id: 'c1',
          expectedVersion: 2,
          at: T0 + 3,
          status: 'closed',
          closedAt: T0 + 3,
          history: [entry('step_failed', { error: 'boom' }, T0 + 3), entry('case_closed', { by: 'process' }, T0 + 3)],
        }),
      ).toBe(true);
      const all = await store.listCaseHistory('c1', { limit: 10 });
      // Newest first; entries of one write in the order given.
      expect(all.map((e) => [e.kind, e.at, e.actor, e.step, e.detail])).toEqual([
        ['case_closed', T0 + 3, 'system', null, { by: 'process' }],
        ['step_failed', T0 + 3, 'system', 'shape', { error: 'boom' }],
        ['owner_changed', T0 + 1, 'system', null, { from: null, to: 'sam' }],
        ['case_created', T0, 'user:olga', null, {}],
      ]);
      expect(all.every((e) => e.caseId === 'c1')).toBe(true);
      // Pages: before a seq, at most limit.
      const page = await store.listCaseHistory('c1', { before: all[1]!.seq, limit: 2 });
      expect(page.map((e) => e.kind)).toEqual(['owner_changed', 'case_created']);
      expect(await store.listCaseHistory('c1', { before: all[3]!.seq, limit: 2 })).toEqual([]);
    });

    it(`keeps the newest ${CASE_HISTORY_KEPT} entries of a case`, async () => {
      await store.createCase(plain('c1'), { history: [entry('case_created')] });
      await store.createCase(plain('c2'), { history: [entry('case_created')] });
      const many = Array.from({ length: CASE_HISTORY_KEPT }, (_, i) => entry('data_changed', { fields: [`f${i}`] }, T0 + i + 1));
      expect(await store.updateCase({ id: 'c1', expectedVersion: 1, at: T0 + 1, history: many })).toBe(true);
      expect(await db.count('case_history', "case_id = 'c1'")).toBe(CASE_HISTORY_KEPT);
      const newest = await store.listCaseHistory('c1', { limit: 1 });
      expect(newest[0]!.detail).toEqual({ fields: [`f${CASE_HISTORY_KEPT - 1}`] });
      // The oldest (the create) went; another case's history is untouched.
      expect(
        (
          await store.listCaseHistory('c1', {
            limit: 500,
            before: (await store.listCaseHistory('c1', { limit: CASE_HISTORY_KEPT })).at(-1)!.seq,
          })
        ).length,
      ).toBe(0);
      expect((await store.listCaseHistory('c2', { limit: 10 })).map((e) => e.kind)).toEqual(['case_created']);
    });
  });
});
