// An outside attacker and a careful integrator against what landed last: a case's history (the same
// PATCH sent twice; odd `before` cursors), paged lists by name, and stopped cases. Each store answers
// alike; a repeat records nothing new.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresNodes, storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';
import type { Harness } from '../helpers/harness.ts';
import { stepOf, waitForCase } from '../helpers/cases.ts';

for (const backend of storeHarnesses)
  describe(`${backend.name}: today's changes, attacked`, () => {
    let h: StoreHarnessed;
    beforeAll(async () => {
      h = await backend.open();
      expect((await h.api('POST', '/v1/queues', { name: 'desk' })).status).toBe(201);
      const p = await h.api('POST', '/v1/processes', { name: 'held', steps: [{ name: 'wait', kind: 'manual', queue: 'desk' }] });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
    });
    afterAll(async () => h?.close());

    const kinds = async (id: string): Promise<string[]> => {
      const r = await h.api('GET', `/v1/cases/${id}/history?limit=500`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body.items.map((e: { kind: string }) => e.kind);
    };

    it('the same PATCH sent twice records its data change once (keys in any order, as each store keeps them)', async () => {
      const c = await h.api('POST', '/v1/cases', { process: 'held', data: {} });
      expect(c.status, JSON.stringify(c.body)).toBe(201);
      await waitForCase(h, c.body.id, (x) => stepOf(x, 'wait')?.status === 'waiting_for_person');
      // PostgreSQL's jsonb keeps an object's keys shortest first: the stored value reads back reordered.
      const patch = { data: { address: { street: 'Main', zip: '1000', city: 'X' }, tags: ['a', { zz: 1, b: 2 }] } };
      expect((await h.api('PATCH', `/v1/cases/${c.body.id}`, patch)).status).toBe(200);
      const once = await kinds(c.body.id);
      expect(once.filter((k) => k === 'data_changed')).toHaveLength(1);
      expect((await h.api('PATCH', `/v1/cases/${c.body.id}`, patch)).status).toBe(200);
      expect(await kinds(c.body.id), 'the repeat').toEqual(once);
      // The same value with its keys in another order is no change either; a changed value is.
      const reordered = { data: { address: { city: 'X', zip: '1000', street: 'Main' } } };
      expect((await h.api('PATCH', `/v1/cases/${c.body.id}`, reordered)).status).toBe(200);
      expect(await kinds(c.body.id), 'reordered').toEqual(once);
      expect((await h.api('PATCH', `/v1/cases/${c.body.id}`, { data: { address: { city: 'Y' } } })).status).toBe(200);
      const last = (await h.api('GET', `/v1/cases/${c.body.id}/history?limit=1`)).body.items[0];
      expect(last).toMatchObject({ kind: 'data_changed', detail: { fields: ['address'] } });
    });

    it('a long title changed is cut whole characters at a time, alike on both stores', async () => {
      const c = await h.api('POST', '/v1/cases', { process: 'held', title: 'short' });
      expect(c.status, JSON.stringify(c.body)).toBe(201);
      // Cut at 200 characters, the emoji's two UTF-16 halves would fall either side of the cut.
      const title = `${'a'.repeat(198)}\u{1F600}tail`;
      expect((await h.api('PATCH', `/v1/cases/${c.body.id}`, { title })).status).toBe(200);
      const last = (await h.api('GET', `/v1/cases/${c.body.id}/history?limit=1`)).body.items[0];
      expect(last).toMatchObject({ kind: 'title_changed', detail: { from: 'short', to: `${'a'.repeat(198)}…` } });
    });
  });

describe('two PostgreSQL nodes applying the events of the same cases', () => {
  let nodes: Harness[];
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ nodes, close } = await postgresNodes(2));
    const h = nodes[0]!;
    expect((await h.api('POST', '/v1/users', { name: 'olga' })).status).toBe(201);
    const p = await h.api('POST', '/v1/processes', {
      name: 'brittle',
      steps: [
        { name: 'shape', kind: 'map', expression: '{ "t": $number(case.amount) }' },
        { name: 'after', kind: 'manual', queue: 'desk' },
      ],
    });
    expect(p.status, JSON.stringify(p.body)).toBe(201);
  });
  afterAll(async () => close?.());

  it('each case has its history once, in order, and its owner one case.stopped per stop', async () => {
    const [a, b] = nodes as [Harness, Harness];
    const made = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? a : b).api('POST', '/v1/cases', { process: 'brittle', owner: 'olga', data: { amount: 'x' } }),
      ),
    );
    const ids = made.map((r) => {
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.id as string;
    });
    for (const id of ids) await waitForCase(a, id, (c) => c.stoppedAt !== null);
    // Both nodes retry each step at once under one Idempotency-Key: it runs again once.
    for (const id of ids) expect((await a.api('PATCH', `/v1/cases/${id}`, { data: { amount: 'still not' } })).status).toBe(200);
    await Promise.all(
      ids.flatMap((id) =>
        [a, b].map((n) => n.api('POST', `/v1/cases/${id}/steps/shape/retry`, undefined, { 'idempotency-key': `r-${id}` })),
      ),
    );
    for (const id of ids) await waitForCase(b, id, (c) => stepOf(c, 'shape')?.retried?.count === 1 && c.stoppedAt !== null);
    for (const id of ids) {
      const h = (await b.api('GET', `/v1/cases/${id}/history?limit=500`)).body.items as Array<{ seq: number; kind: string }>;
      expect(h.map((e) => e.kind).reverse()).toEqual(['case_created', 'step_failed', 'data_changed', 'step_retried', 'step_failed']);
      expect(h.map((e) => e.seq)).toEqual([...h.map((e) => e.seq)].sort((x, y) => y - x));
    }
    // Her notifications: two stops of each case (the first, and the retry failing again), none twice.
    const key = await a.api('POST', '/v1/api-keys', { name: 'olga', roles: ['operator'], user: 'olga' });
    const seen = await b.api('GET', '/v1/notifications?limit=200', undefined, { authorization: `Bearer ${key.body.key}` });
    expect(seen.status, JSON.stringify(seen.body)).toBe(200);
    const stops = (seen.body.items as Array<{ kind: string; caseId: string }>).filter((n) => n.kind === 'case.stopped');
    for (const id of ids)
      expect(
        stops.filter((n) => n.caseId === id),
        id,
      ).toHaveLength(2);
  });
});
