// A bulk replay's frozen selection on every store, with the clock injected: it runs within its hour
// and is refused after (saying so), expired ones are deleted a batch at a time, and an operator's
// previews are capped so that previewing on every keystroke cannot fill the disk.

import { expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { ConflictError } from '../../src/errors.ts';
import { BulkReplayService, SELECTION_TTL_MS } from '../../src/bulk-replays/service.ts';
import { eachStore, launched } from './stores.ts';

const body = { filter: { state: 'todo' as const }, operation: 'retry' as const };

eachStore((ctx) => {
  const db = () => ctx().db;
  const setup = async () => {
    const { store } = ctx();
    await store.insertActions(
      Array.from({ length: 3 }, (_, i) => launched({ createdAt: 1_000 + i, state: 'todo', reason: 'request_rejected' })),
    );
    const clock = new FakeClock();
    const retried: string[] = [];
    const replays = new BulkReplayService(
      store,
      { retry: async (id) => void retried.push(id), close: async () => undefined },
      clock,
      async () => ({ error: 'not previewed here' }),
    );
    const preview = async (user = 'alice') => {
      const r = await replays.replay({ ...body, dryRun: true }, user);
      if (!r.dryRun || !r.selection) throw new Error('a preview answers a selection');
      return r.selection;
    };
    return { clock, retried, replays, preview };
  };

  it('a selection runs within its hour and is refused after it, then is gone', async () => {
    const { clock, retried, replays, preview } = await setup();
    const late = await preview();
    expect(late.count).toBe(3);
    clock.advance(SELECTION_TTL_MS - 1);
    const onTime = await preview();
    clock.advance(1);
    const e = await replays.replay({ ...body, selection: late.id }, 'alice').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConflictError);
    expect((e as Error).message).toMatch(/preview expired at .*; preview again/);
    expect(retried).toEqual([]);
    // Deleted as it was refused; the one made later still runs.
    expect(await db().count('bulk_replay_selections', `id = '${late.id}'`)).toBe(0);
    expect(await replays.replay({ ...body, selection: onTime.id }, 'alice')).toMatchObject({ done: 3 });
  });

  it('expired selections are deleted on the next preview, and an operator keeps their newest 20', async () => {
    const { clock, preview } = await setup();
    for (let i = 0; i < 25; i++) await preview('alice');
    await preview('bob');
    expect(await db().count('bulk_replay_selections', `created_by = 'alice'`)).toBe(20);
    clock.advance(SELECTION_TTL_MS);
    await preview('carol');
    expect(await db().count('bulk_replay_selections')).toBe(1);
  });
});
