// An outside attacker and a careful integrator against what landed last: a case's history (the same
// PATCH sent twice; odd `before` cursors), paged lists by name, and stopped cases. Each store answers
// alike; a repeat records nothing new.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';
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
  });
