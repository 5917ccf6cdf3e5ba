// Heartbeats over HTTP on both stores: each one moves the action's heartbeat deadline (written, so
// another node or a restart sees it), but a repeat of the last one on the timeline within the hour adds
// no entry, so a system beating every few seconds for a week does not bury the timeline.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, type Harness } from '../helpers/harness.ts';
import { STORES, harnessOn } from '../webhooks/helpers.ts';

describe.each(STORES)('heartbeats (%s)', (store) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harnessOn(store);
    await connector(h);
    await actionType(h, {
      name: 'long-job',
      path: '/callback?never=1',
      body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}"}' },
      completion: { mode: 'callback', timeout: '7d', heartbeatTimeout: '10m' },
    });
  });
  afterAll(async () => h.close());

  it('twenty beats note one entry; a new note is noted; every beat is stored and shown as lastHeartbeatAt', async () => {
    const a = await launch(h, 'long-job');
    await h.waitFor(a.id, (v) => v.phase === 'awaiting_callback');
    const token = h.callout.engine.callbackToken(a.id);
    const beat = async (body: Record<string, unknown> = {}): Promise<string> => {
      const r = await h.api('POST', `/v1/callbacks/${token}/heartbeat`, body);
      expect(r.status).toBe(200);
      return r.body.lastHeartbeatAt;
    };
    let last = '';
    for (let i = 0; i < 20; i++) last = await beat();
    await beat({ note: 'half way' });
    await beat({ note: 'half way' });
    last = await beat({ note: 'half way' });
    const { items } = (await h.api('GET', `/v1/actions/${a.id}/timeline`)).body as { items: Array<{ kind: string; message: string }> };
    expect(items.filter((e) => e.kind === 'heartbeat').map((e) => e.message)).toEqual(['Heartbeat', 'Progress: half way']);
    // The store holds the latest beat (the heartbeat timeout counts from it), not only the noted ones.
    const stored = await h.callout.store.getAction(a.id);
    expect(stored!.heartbeatAt).toBe(Date.parse(last));
    expect((await h.api('GET', `/v1/actions/${a.id}`)).body).toMatchObject({ state: 'waiting', lastHeartbeatAt: last });
  });
});
