// A commit whose outcome is unknown (the SQLite thread died, a connection dropped after the commit was
// sent) is not written again action by action: each would conflict with its own committed version and
// apply its event a second time. Here the real store commits the batch and then reports the loss.

import { afterEach, expect, it } from 'vitest';
import { OutcomeUnknownError } from '../../src/store/failures.ts';
import type { ActionWrite } from '../../src/store/types.ts';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

it('outcomes committed by a write that then reports its outcome unknown are counted once: one attempt, one retry scheduled', async () => {
  h = await startHarness({ start: false });
  await connector(h);
  // Fails every time; the retry is an hour away, so each action's first outcome is all there is.
  await actionType(h, { name: 'down', path: '/status/503', retry: { maxRetries: 3, interval: '1h', backoff: 'fixed' } });
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) ids.push((await launch(h, 'down')).id);

  const store = h.callout.store;
  const real = store.writeActions.bind(store);
  const calls: number[] = [];
  let lost = 0;
  store.writeActions = async (writes: ActionWrite[]) => {
    calls.push(writes.length);
    const r = await real(writes);
    // The first batch of several outcomes: committed, and then the answer is lost.
    if (lost === 0 && writes.length > 1 && writes.every((w) => w.action.phase === 'retry_scheduled')) {
      lost = writes.length;
      throw new OutcomeUnknownError('the SQLite thread stopped; what it was doing may or may not have been committed');
    }
    return r;
  };
  try {
    h.callout.start();
    for (const id of ids) await h.waitFor(id, (a) => a.phase === 'retry_scheduled');
    // Let any write the loss set off land.
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    store.writeActions = real;
  }
  expect(lost, 'no batch of several outcomes was written, so nothing was tested').toBeGreaterThan(1);
  for (const id of ids) {
    const a = await h.callout.actions.getAction(id);
    expect(a.retry.count, id).toBe(0);
    expect(a.phase).toBe('retry_scheduled');
    const attempts = (await store.listTimeline(id)).filter((t) => t.kind === 'attempt');
    expect(attempts, id).toHaveLength(1);
  }
});
