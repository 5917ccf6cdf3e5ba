// Store conformance: an action's case named by its title (the work list's Case column), on both stores.

import { beforeEach, describe, expect, it } from 'vitest';
import { eachStore, launched, quiet, SECOND, T0, type TestDatabase } from './stores.ts';
import type { Store } from '../../src/store/types.ts';
import { Callout } from '../../src/callout.ts';

eachStore((ctx) => {
  let db: TestDatabase;
  let store: Store;
  beforeEach(() => {
    ({ db, store } = ctx());
  });

  async function twoCases(): Promise<void> {
    await store.insertCase({ id: 'case-titled', data: {}, owner: null, createdAt: T0, updatedAt: T0 });
    expect(await store.updateCase({ id: 'case-titled', expectedVersion: 1, at: T0, title: 'Laptop for Zoë' })).toBe(true);
    await store.insertCase({ id: 'case-untitled', data: {}, owner: null, createdAt: T0, updatedAt: T0 });
  }

  describe("actions' case titles", () => {
    it('are read for a page of cases in one call: an untitled case is null, an id of no case left out', async () => {
      await twoCases();
      expect(await store.caseTitles(['case-titled', 'case-untitled', 'case-none', 'case-titled'])).toEqual(
        new Map([
          ['case-titled', 'Laptop for Zoë'],
          ['case-untitled', null],
        ]),
      );
      expect(await store.caseTitles([])).toEqual(new Map());
    });

    it("the listed and the read action carry their case's title: null with no case, or a case with no title", async () => {
      await twoCases();
      // Manual tasks (no action type to register), one a second, so the newest-first order is known.
      const task = (caseId: string | null, i: number) =>
        launched({ actionTypeId: null, caseId, state: 'todo', reason: 'manual', phase: null, dueAt: null, createdAt: T0 + i * SECOND });
      const rows = [task('case-titled', 0), task('case-untitled', 1), task(null, 2), task('case-titled', 3)];
      await store.insertActions(rows);
      const [titled, untitled, none, again] = rows.map((r) => r.action.id);
      // The API's own service on this store (not started: nothing moves).
      const callout = await Callout.open({ store: db.open(), secretKey: '11'.repeat(32), logger: quiet });
      try {
        const { items } = await callout.actions.listActions({ limit: 50 });
        expect(items.map((a) => [a.id, a.caseId, a.caseTitle])).toEqual([
          [again, 'case-titled', 'Laptop for Zoë'],
          [none, null, null],
          [untitled, 'case-untitled', null],
          [titled, 'case-titled', 'Laptop for Zoë'],
        ]);
        expect(await callout.actions.getAction(titled!)).toMatchObject({ caseId: 'case-titled', caseTitle: 'Laptop for Zoë' });
        expect((await callout.actions.getAction(untitled!)).caseTitle).toBeNull();
        expect((await callout.actions.getAction(none!)).caseTitle).toBeNull();
        // A title changed is read as it is now.
        expect(await store.updateCase({ id: 'case-titled', expectedVersion: 2, at: T0 + SECOND, title: 'Laptop for Zoë Ng' })).toBe(true);
        expect((await callout.actions.getAction(titled!)).caseTitle).toBe('Laptop for Zoë Ng');
      } finally {
        await callout.close();
      }
    });
  });
});
