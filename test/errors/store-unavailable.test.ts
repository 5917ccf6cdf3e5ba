// The store's own failures answer 503 STORE_UNAVAILABLE, not 500: a write whose outcome the store could
// not tell (the client repeats it, with its Idempotency-Key), and a store stopped by a failed sync of
// its log (a load balancer sends the client elsewhere; this node needs a restart).

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';
import { OutcomeUnknownError } from '../../src/store/outcome-unknown.ts';

describe('store failures over HTTP', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ start: false });
    await connector(h);
    await actionType(h, { name: 'ping', path: '/ok' });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await h.close();
  });

  it('a launch whose commit may or may not have happened is a 503 to repeat, and the repeat finds it if it was kept', async () => {
    const store = h.callout.store;
    const real = store.insertActions.bind(store);
    // The commit happens, then the answer is lost (a dropped connection, a dead thread).
    vi.spyOn(store, 'insertActions').mockImplementationOnce(async (items) => {
      await real(items);
      throw new OutcomeUnknownError('the connection was lost after the commit was sent');
    });
    const first = await h.api('POST', '/v1/actions', { actionType: 'ping' }, { 'idempotency-key': 'order-1' });
    expect(first.status).toBe(503);
    expect(first.headers['retry-after']).toBe('1');
    expect(first.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(first.body).toMatchObject({ code: 'STORE_UNAVAILABLE', detail: expect.stringContaining('repeat it') });
    const again = await h.api('POST', '/v1/actions', { actionType: 'ping' }, { 'idempotency-key': 'order-1' });
    expect(again.status).toBe(200);
    expect((await h.api('GET', '/v1/actions')).body.items.map((a: { id: string }) => a.id)).toEqual([again.body.id]);
  });

  it('a store stopped by a failed sync answers 503 on writes and reads alike, and /health says so', async () => {
    const store = h.callout.store as unknown as { walSync: object | null };
    expect(store.walSync).not.toBeNull();
    // The disk goes bad: the descriptor the syncs use refuses them.
    Object.assign(store.walSync!, { fd: 1 << 20 });
    const launch = await h.api('POST', '/v1/actions', { actionType: 'ping' });
    expect([launch.status, launch.body.code]).toEqual([503, 'STORE_UNAVAILABLE']);
    Object.assign(store.walSync!, { fd: null });
    for (const path of ['/v1/actions', '/v1/actions/counts']) {
      const r = await h.api('GET', path);
      expect([r.status, r.body.code], path).toEqual([503, 'STORE_UNAVAILABLE']);
      expect(r.body.detail).toContain('restarted');
    }
    expect((await h.api('GET', '/health')).status).toBe(503);
  });
});
