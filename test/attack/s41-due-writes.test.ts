// A work item's due time kept through every other write on both stores: an engine attempt (retry with
// an input correction, failing again), assign and allocation, notes, pick-up, and a bulk retry; and
// never listed as overdue while the engine holds the action (waiting).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';
import { actionType, connector, launch } from '../helpers/harness.ts';

describe.each(storeHarnesses)('a due time through other writes on $name', (backend) => {
  let h: StoreHarnessed;
  let olga: Record<string, string>;
  const past = new Date(Date.now() - 60_000).toISOString();
  beforeAll(async () => {
    h = await backend.open();
    await connector(h);
    await actionType(h, { name: 'refused', path: '/status/400', fields: { A: { required: false } }, retry: { maxRetries: 0 } });
    for (const u of ['olga', 'pete']) await h.api('POST', '/v1/users', { name: u });
    await h.api('POST', '/v1/queues', { name: 'desk', members: ['olga', 'pete'] });
    olga = { authorization: `Bearer ${(await h.api('POST', '/v1/api-keys', { name: 'o', roles: ['operator'], user: 'olga' })).body.key}` };
  });
  afterAll(async () => h?.close());

  it('survives a retry with an input correction and the failure after it, and a bulk retry', async () => {
    const a = await launch(h, 'refused', { A: 'a' });
    await h.waitFor(a.id, (x) => x.state === 'todo');
    expect((await h.api('POST', `/v1/actions/${a.id}/due`, { dueAt: past }, olga)).status).toBe(200);
    expect((await h.api('POST', `/v1/actions/${a.id}/assign`, { queue: 'desk', assignee: 'pete' }, olga)).status).toBe(200);
    expect((await h.api('POST', `/v1/actions/${a.id}/notes`, { note: 'look' }, olga)).status).toBe(200);
    expect((await h.api('POST', `/v1/actions/${a.id}/retry`, { input: { A: 'b' } }, olga)).status).toBe(200);
    const again = await h.waitFor(a.id, (x) => x.state === 'todo' && x.retry.count === 1);
    expect(again.dueAt).toBe(new Date(past).toISOString());
    const overdue = await h.api('GET', '/v1/actions?due=overdue', undefined, olga);
    expect(overdue.body.items.map((x: { id: string }) => x.id)).toContain(a.id);
    const run = await h.api('POST', '/v1/bulk-replays', { filter: { actionType: 'refused' }, operation: 'retry' }, olga);
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const after = await h.waitFor(a.id, (x) => x.state === 'todo' && x.retry.count === 2);
    expect(after.dueAt).toBe(new Date(past).toISOString());
  });

  it('a task keeps it through allocation, pick-up and hand-back', async () => {
    const kase = (await h.api('POST', '/v1/cases', { title: 'c', queue: 'desk' })).body.id as string;
    const t = (await h.api('POST', `/v1/cases/${kase}/tasks`, { title: 't', dueAt: past, queue: 'desk' }, olga)).body.id as string;
    expect((await h.api('POST', `/v1/actions/${t}/pick-up`, undefined, olga)).status).toBe(200);
    expect((await h.api('POST', `/v1/actions/${t}/assign`, { assignee: 'pete' }, olga)).status).toBe(200);
    const a = (await h.api('GET', `/v1/actions/${t}`)).body;
    expect([a.assignee, a.dueAt]).toEqual(['pete', new Date(past).toISOString()]);
  });
});
