// The work list's counts with a text search (GET /v1/actions/counts?q=) on the embedded store: a search
// reads every action, and its 16 COUNTs ran as one block on the store's event loop, so /health waited
// ~190 ms for each (an outside review, 80k actions, 114 MB). Counted as the list searches, in windows
// with a turn of the loop between them, what else is waiting is answered while the count goes on.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { openThreadedSqliteStore } from '../../src/store/sqlite/thread.ts';
import { actionCounts } from '../../src/ui/counts.ts';
import type { ActionRecord } from '../../src/lifecycle/action.ts';
import { T0, launched } from '../store-conformance/stores.ts';

/**
 * Fifty actions of 200 KB of input (10 MB: three windows of at most 4 MB), every tenth holding the text
 * searched for, in several states.
 */
const over: Array<Partial<ActionRecord>> = [
  {},
  { state: 'todo', phase: null, reason: 'manual', dueAt: null },
  { state: 'closed', phase: null, resolution: 'done_successfully', dueAt: null },
  { state: 'closed', phase: null, resolution: 'not_done_successfully', dueAt: null },
  { state: 'waiting', phase: 'retry_scheduled' },
];
const actions = Array.from({ length: 50 }, (_, i) =>
  launched({
    createdAt: T0 + i,
    input: { note: `${'x'.repeat(200_000)}${i % 10 === 0 ? ' ZzzQqq' : ''}` },
    ...(i % 10 === 0 ? over[i / 10] : {}),
  }),
);
const found = {
  states: { waiting: 2, todo: 1, in_progress: 0, closed: 2 },
  phases: { queued: 1, throttled: 0, sending: 0, retry_scheduled: 1, awaiting_callback: 0 },
  reasons: { updated_by_integration: 0, timeout: 0, request_rejected: 0, invalid_input: 0, manual: 1 },
  resolutions: { done_successfully: 1, not_done_successfully: 1 },
};

describe('counts of a text search on the embedded store', () => {
  let dir: string;
  /** The store on the event loop, and one with its SQLite work on a thread (as `callout serve` runs it), on files of their own. */
  let onLoop: SqliteStore;
  let onThread: SqliteStore;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'callout-counts-'));
    onLoop = new SqliteStore({ file: join(dir, 'loop.db'), synchronous: 'normal' });
    onThread = openThreadedSqliteStore({ file: join(dir, 'thread.db'), synchronous: 'normal' });
    for (const store of [onLoop, onThread]) {
      await store.migrate();
      await store.insertActions(actions);
    }
  });
  afterAll(async () => {
    await onLoop?.close();
    await onThread?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are exact, on the event loop or on its thread', async () => {
    for (const store of [onLoop, onThread]) {
      expect(await actionCounts({ store }, { text: 'zzzqqq' })).toEqual({ ...found, more: false });
      expect((await actionCounts({ store }, { text: 'nowhere' })).states).toEqual({ waiting: 0, todo: 0, in_progress: 0, closed: 0 });
    }
  });

  // On its thread the same windows run, the thread's loop turning between them; a test of a ping answered
  // in between raced the count on a loaded machine (the count could end before the ping was posted).
  it('let the event loop turn between windows of the table while they count', async () => {
    // A callback of the loop's, set before the count starts, and again each time it runs until the count answers.
    let turns = 0;
    let answered = false;
    const turn = (): void => {
      turns++;
      if (!answered) setImmediate(turn);
    };
    setImmediate(turn);
    const counts = await actionCounts({ store: onLoop }, { text: 'zzzqqq' }).finally(() => (answered = true));
    // One turn after each of the three windows; the 16 COUNTs in one block let none.
    expect(turns).toBeGreaterThanOrEqual(3);
    expect(counts).toEqual({ ...found, more: false });
  });
});
