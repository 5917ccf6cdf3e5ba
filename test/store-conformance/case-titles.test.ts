// Store conformance: an action's case named by its title (the work list's Case column), on both stores.

import { beforeEach, describe, expect, it } from 'vitest';
import { eachStore, T0 } from './stores.ts';
import type { Store } from '../../src/store/types.ts';

eachStore((ctx) => {
  let store: Store;
  beforeEach(() => {
    ({ store } = ctx());
  });

  describe("actions' case titles", () => {
    it('are read for a page of cases in one call: an untitled case is null, an id of no case left out', async () => {
      await store.insertCase({ id: 'case-titled', data: {}, owner: null, createdAt: T0, updatedAt: T0 });
      expect(await store.updateCase({ id: 'case-titled', expectedVersion: 1, at: T0, title: 'Laptop for Zoë' })).toBe(true);
      await store.insertCase({ id: 'case-untitled', data: {}, owner: null, createdAt: T0, updatedAt: T0 });
      expect(await store.caseTitles(['case-titled', 'case-untitled', 'case-none', 'case-titled'])).toEqual(
        new Map([
          ['case-titled', 'Laptop for Zoë'],
          ['case-untitled', null],
        ]),
      );
      expect(await store.caseTitles([])).toEqual(new Map());
    });
  });
});
