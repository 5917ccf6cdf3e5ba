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

  it("a retried attempt's first beat is noted; beats after a person's note are not noted again", async () => {
    const a = await launch(h, 'long-job');
    await h.waitFor(a.id, (v) => v.phase === 'awaiting_callback');
    const token = h.callout.engine.callbackToken(a.id);
    const beat = async (): Promise<void> => expect((await h.api('POST', `/v1/callbacks/${token}/heartbeat`, {})).status).toBe(200);
    await beat();
    await beat();
    const failed = await h.api('POST', `/v1/callbacks/${token}`, { outcome: 'failure', reason: 'disk full' });
    expect(failed.status, JSON.stringify(failed.body)).toBe(200);
    const retried = await h.api('POST', `/v1/actions/${a.id}/retry`);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    await h.waitFor(a.id, (v) => v.phase === 'awaiting_callback' && v.retry.count === 1);
    // The new attempt's system beats: its timeline says so, not only the first attempt's.
    await beat();
    await beat();
    const { items } = (await h.api('GET', `/v1/actions/${a.id}/timeline?limit=500`)).body as { items: Array<{ kind: string }> };
    const kinds = items.map((e) => e.kind);
    const lastBeat = kinds.lastIndexOf('heartbeat');
    expect(kinds.filter((k) => k === 'heartbeat')).toHaveLength(2);
    expect(lastBeat).toBe(kinds.length - 1);
    // Within one attempt, a note between beats does not make the next beat a new entry.
    expect((await h.api('POST', `/v1/actions/${a.id}/notes`, { note: 'looked at it' })).status).toBeLessThan(300);
    await beat();
    const after = (await h.api('GET', `/v1/actions/${a.id}/timeline?limit=500`)).body.items as Array<{ kind: string }>;
    expect(after.filter((e) => e.kind === 'heartbeat')).toHaveLength(2);
  });
});
