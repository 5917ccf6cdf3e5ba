// Signed inbound message ids on every store: an id is spent once; its second use learns what the first
// was answered (nothing until it is kept, then its status and action); a forgotten id is taken again,
// and so is one past its expiry, its old answer gone with it.

import { expect, it } from 'vitest';
import { eachStore } from './stores.ts';

const DAY = 86_400_000;

eachStore((ctx) => {
  it('spends an id once and tells a second use what the first was answered', async () => {
    const { store } = ctx();
    expect(await store.rememberInboundId('conn:a', 1_000 + 7 * DAY, 1_000)).toBeUndefined();
    expect(await store.rememberInboundId('conn:a', 2_000 + 7 * DAY, 2_000)).toEqual({ status: null, actionId: null });
    await store.answerInboundId('conn:a', 200, 'action-1');
    expect(await store.rememberInboundId('conn:a', 3_000 + 7 * DAY, 3_000)).toEqual({ status: 200, actionId: 'action-1' });
    await store.answerInboundId('conn:a', 409, null);
    expect(await store.rememberInboundId('conn:a', 3_000 + 7 * DAY, 3_000)).toEqual({ status: 409, actionId: null });
    // Scoped ids are distinct ids.
    expect(await store.rememberInboundId('other:a', 3_000 + 7 * DAY, 3_000)).toBeUndefined();
  });

  it('takes a forgotten id again, and an expired one with its old answer gone', async () => {
    const { store } = ctx();
    expect(await store.rememberInboundId('conn:f', 1_000 + DAY, 1_000)).toBeUndefined();
    await store.forgetInboundId('conn:f');
    expect(await store.rememberInboundId('conn:f', 1_000 + DAY, 1_000)).toBeUndefined();
    await store.answerInboundId('conn:f', 200, 'action-2');
    // Past its expiry (and more than the 100 rows a use prunes are expired: it is not pruned, it is taken over).
    for (let i = 0; i < 120; i++) await store.rememberInboundId(`conn:old-${i}`, 500, 100);
    const later = 2_000 + DAY;
    expect(await store.rememberInboundId('conn:f', later + DAY, later)).toBeUndefined();
    expect(await store.rememberInboundId('conn:f', later + DAY, later)).toEqual({ status: null, actionId: null });
  });
});
