// A task that lands on a queue integrated with a provider goes to the provider also when the queue's
// allocation gives it to one of its people as it lands (as a manual step's task does); one given to
// anyone else, or picked up, before any node sent it is theirs and is not sent (integration_pending).
// Both stores; the provider is the mock's, on loopback.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, launch } from '../helpers/harness.ts';
import { openWithProvider, storeHarnesses, submitsOf, type StoreHarnessed } from '../helpers/store-harnesses.ts';
import { IntegrationService } from '../../src/integrated-queues/service.ts';
import type { Store } from '../../src/store/types.ts';

for (const backend of storeHarnesses)
  describe(`${backend.name}: a task that lands on an integrated queue with people`, () => {
    let h: StoreHarnessed;

    beforeAll(async () => {
      h = await openWithProvider(backend);
      expect((await h.api('POST', '/v1/users', { name: 'amy', displayName: 'Amy' })).status).toBe(201);
      const integration = { connector: 'provider', onAssign: 'desk-submit' };
      const q = await h.api('POST', '/v1/queues', { name: 'staffed-desk', members: ['amy'], allocation: 'round_robin', integration });
      expect(q.status, JSON.stringify(q.body)).toBe(201);
      await actionType(h, { name: 'to-staffed', path: '/reject', allocation: { queue: 'staffed-desk' } });
      const open = await h.api('POST', '/v1/queues', { name: 'open-desk', members: ['amy'], allocation: 'none', integration });
      expect(open.status, JSON.stringify(open.body)).toBe(201);
      await actionType(h, { name: 'to-open', path: '/reject', allocation: { queue: 'open-desk' } });
      expect((await h.api('POST', '/v1/users', { name: 'bob', displayName: 'Bob' })).status).toBe(201);
      const second = await h.api('POST', '/v1/queues', { name: 'second-desk', members: ['bob'], allocation: 'none', integration });
      expect(second.status, JSON.stringify(second.body)).toBe(201);
    });
    afterAll(async () => h?.close());

    it("allocated to a member as it lands: handed to the provider all the same, as a manual step's task is (the timeline shows both), once", async () => {
      const a = await launch(h, 'to-staffed');
      await h.waitFor(a.id, (x) => x.state === 'waiting' && x.queue === 'staffed-desk' && x.assignee === null);
      for (let i = 0; i < 100 && submitsOf(h, a.id).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      await h.callout.integrations!.sweep();
      await h.callout.integrations!.sweep();
      await new Promise((r) => setTimeout(r, 300));
      expect(submitsOf(h, a.id)).toHaveLength(1);
      const timeline = ((await h.api('GET', `/v1/actions/${a.id}/timeline`)).body.items as Array<{ kind: string; message: string }>).map(
        (e) => e.message,
      );
      const allocated = timeline.findIndex((m) => m.includes('amy'));
      const sent = timeline.indexOf('Submit Request sent to the provider (desk-submit)');
      expect(allocated).toBeGreaterThanOrEqual(0);
      expect(sent).toBeGreaterThan(allocated);
    });

    it('allocated to a member as it lands, then given to another person before any node sent it: theirs, not sent', async () => {
      const integrations = h.callout.integrations!;
      await integrations.stop(); // as a node that stopped before sending it
      try {
        const a = await launch(h, 'to-staffed');
        await h.waitFor(a.id, (x) => x.state === 'todo' && x.queue === 'staffed-desk' && x.assignee === 'amy');
        expect((await h.api('POST', `/v1/actions/${a.id}/assign`, { assignee: 'bob' })).status).toBe(200);
        await integrations.sweep();
        await new Promise((r) => setTimeout(r, 300));
        expect((await h.api('GET', `/v1/actions/${a.id}`)).body).toMatchObject({ state: 'todo', queue: 'staffed-desk', assignee: 'bob' });
        expect(submitsOf(h, a.id)).toHaveLength(0);
        expect(await h.callout.store.listPendingSubmissions(10, a.id)).toEqual([]);
      } finally {
        integrations.start();
      }
    });

    it('left with no one, then given to a member before any node sent it (a node that stopped): a sweep leaves it with them', async () => {
      const integrations = h.callout.integrations!;
      await integrations.stop(); // this node hears of no landing, as one that stopped before sending it
      try {
        const a = await launch(h, 'to-open');
        await h.waitFor(a.id, (x) => x.state === 'todo' && x.queue === 'open-desk' && x.assignee === null);
        expect((await h.api('POST', `/v1/actions/${a.id}/assign`, { assignee: 'amy' })).status).toBe(200);
        await integrations.sweep();
        await new Promise((r) => setTimeout(r, 300));
        expect((await h.api('GET', `/v1/actions/${a.id}`)).body).toMatchObject({ state: 'todo', queue: 'open-desk', assignee: 'amy' });
        expect(submitsOf(h, a.id)).toHaveLength(0);
        // Nothing is left pending for a later sweep either.
        expect(await h.callout.store.listPendingSubmissions(10, a.id)).toEqual([]);
      } finally {
        integrations.start();
      }
    });

    it("left pending on one queue, then given back to another integrated queue before any node sent it: that queue's provider gets it", async () => {
      const integrations = h.callout.integrations!;
      await integrations.stop(); // as a node that stopped before sending it
      try {
        const a = await launch(h, 'to-open');
        await h.waitFor(a.id, (x) => x.state === 'todo' && x.queue === 'open-desk' && x.assignee === null);
        // Given to bob on another integrated queue (a person named: nothing sent), then bob is disabled:
        // the task goes back to that queue with no one, a landing there.
        expect((await h.api('POST', `/v1/actions/${a.id}/assign`, { queue: 'second-desk', assignee: 'bob' })).status).toBe(200);
        expect((await h.api('PATCH', '/v1/users/bob', { disabled: true })).status).toBe(200);
        await h.waitFor(a.id, (x) => x.state === 'todo' && x.queue === 'second-desk' && x.assignee === null);
        await integrations.sweep();
        await h.waitFor(a.id, (x) => x.state === 'waiting' && x.queue === 'second-desk');
        for (let i = 0; i < 100 && submitsOf(h, a.id).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
        expect(submitsOf(h, a.id)).toHaveLength(1);
      } finally {
        integrations.start();
      }
    });

    it('picked up by a person (on another node) while it was being submitted: theirs, not sent', async () => {
      const integrations = h.callout.integrations!;
      await integrations.stop();
      try {
        const a = await launch(h, 'to-open');
        await h.waitFor(a.id, (x) => x.state === 'todo' && x.queue === 'open-desk' && x.assignee === null);
        // This node reads the task To Do with no one; amy picks it up elsewhere just before its write.
        const real = h.callout.store;
        let pickedUp = false;
        const store = new Proxy(real, {
          get(t, p) {
            if (p === 'writeIntegration')
              return async (w: Parameters<Store['writeIntegration']>[0]) => {
                if (!pickedUp) {
                  pickedUp = true;
                  const cur = (await t.getAction(a.id))!;
                  const mine = { ...cur, state: 'in_progress' as const, assignee: 'amy', version: cur.version + 1 };
                  expect(
                    await t.writeActions([{ action: mine, expectedVersion: cur.version, previous: cur, timeline: [], effects: [] }]),
                  ).toEqual([true]);
                }
                return t.writeIntegration(w);
              };
            const v = Reflect.get(t, p) as unknown;
            return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(t) : v;
          },
        }) as Store;
        const c = h.callout;
        const node = new IntegrationService({ store, registry: c.registry, engine: c.engine, clock: c.clock, tokenTtlMs: 60_000 });
        await node.submitPending(a.id);
        expect(pickedUp).toBe(true);
        expect((await h.api('GET', `/v1/actions/${a.id}`)).body).toMatchObject({ state: 'in_progress', assignee: 'amy' });
        await new Promise((r) => setTimeout(r, 300));
        expect(submitsOf(h, a.id)).toHaveLength(0);
      } finally {
        integrations.start();
      }
    });
  });
