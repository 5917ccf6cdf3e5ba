// The embedded store's prepared statements (src/store/sqlite/statements.ts): list filters build their
// SQL from the request, so the kept statements must stay bounded however many shapes are asked for.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { MAX_PREPARED, prepared, preparedCount } from '../../src/store/sqlite/statements.ts';
import { launched } from './stores.ts';

it('lists asked with ever new filter shapes keep at most MAX_PREPARED statements, the ones in use stay, and every answer stays right', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'callout-statements-'));
  const store = new SqliteStore({ file: join(dir, 'callout.db'), synchronous: 'normal' });
  try {
    await store.migrate();
    const item = launched();
    await store.insertActions([item]);
    const typeId = item.action.actionTypeId!;
    const HOT = 'SELECT count(*) FROM actions';
    const hot = prepared(store.db, HOT);
    // n action types in the filter: a statement text of its own for each n. The engine's own
    // statements are used all along (here one, every ten requests).
    for (let n = 1; n <= MAX_PREPARED + 300; n++) {
      if (n % 10 === 0) expect(prepared(store.db, HOT)).toBe(hot);
      const ids = Array.from({ length: n }, (_, i) => (i === n - 1 ? typeId : `other-${i}`));
      const found = await store.listActions({ actionTypeIds: ids, limit: 10 });
      expect(found.map((a) => a.id)).toEqual([item.action.id]);
    }
    expect(preparedCount(store.db)).toBeLessThanOrEqual(MAX_PREPARED);
    expect(preparedCount(store.db)).toBeGreaterThan(MAX_PREPARED / 2);
    // Kept all along: never prepared again.
    expect(prepared(store.db, HOT)).toBe(hot);
    // The hot statements, dropped on the way, are prepared again and work.
    await store.claimDue({ now: item.action.dueAt! + 1, owner: 'n', leaseUntil: item.action.dueAt! + 60_000, limit: 10 });
    expect((await store.getAction(item.action.id))?.id).toBe(item.action.id);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
