// case.created and case.closed, on both stores, when the store fails the write that followed the
// case's: they were put in the webhook outbox by a write of their own after the case's, so a failure
// there (or a node that died between the two) lost them for good: the case was made or closed, the
// request answered 500, a repeat found it done and sent nothing, and the case worker's close was never
// tried again (its event was already applied). They are now written in the case's own transaction.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';
import { actionOf, waitForCase } from '../helpers/cases.ts';

for (const backend of storeHarnesses)
  describe(`${backend.name}: a case's webhook events when a later write fails`, () => {
    let h: StoreHarnessed;
    let restore: () => void;
    /** Whether writes of webhook events on their own fail, as a store that drops its connection would. */
    let failing = false;
    /** The case events the subscriber received, as "type id". */
    const received = (): string[] =>
      h.mock.log
        .map((e) => e.body as { type?: string; data?: { caseId?: string } } | undefined)
        .filter((b) => b?.type?.startsWith('case.'))
        .map((b) => `${b!.type} ${b!.data?.caseId}`);

    beforeAll(async () => {
      h = await backend.open({ mock: { keepBodies: true } });
      const w = await h.api('POST', '/v1/webhooks', { url: `${h.mock.url}/ok`, events: ['case.created', 'case.closed'] });
      expect(w.status, JSON.stringify(w.body)).toBe(201);
      const p = await h.api('POST', '/v1/processes', { name: 'one-task', steps: [{ name: 'approve', kind: 'manual', queue: 'hr' }] });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
      const store = h.callout.store;
      const original = store.insertWebhookEvents.bind(store);
      store.insertWebhookEvents = async (events) => {
        if (failing) throw new Error('the store went away');
        return original(events);
      };
      restore = () => (store.insertWebhookEvents = original);
    });
    afterAll(async () => {
      restore?.();
      await h?.close();
    });

    it('a case created and closed by hand: both requests answer, and both events are sent', async () => {
      failing = true;
      const c = await h.api('POST', '/v1/cases', { title: 'Laptop' });
      expect(c.status, JSON.stringify(c.body)).toBe(201);
      const closed = await h.api('POST', `/v1/cases/${c.body.id}/close`);
      expect(closed.status, JSON.stringify(closed.body)).toBe(200);
      await expect.poll(received).toEqual(expect.arrayContaining([`case.created ${c.body.id}`, `case.closed ${c.body.id}`]));
    });

    it('a case its process closes as its last task is done: case.closed is sent', async () => {
      failing = false;
      const c = await h.api('POST', '/v1/cases', { process: 'one-task' });
      expect(c.status, JSON.stringify(c.body)).toBe(201);
      const task = actionOf(await waitForCase(h, c.body.id, (x) => x.steps[0].actionId !== null), 'approve');
      failing = true;
      expect((await h.api('POST', `/v1/actions/${task}/complete`, { resolution: 'done_successfully' })).status).toBe(200);
      await waitForCase(h, c.body.id, (x) => x.status === 'closed');
      await expect.poll(received).toEqual(expect.arrayContaining([`case.created ${c.body.id}`, `case.closed ${c.body.id}`]));
      expect(received().filter((r) => r === `case.closed ${c.body.id}`)).toHaveLength(1);
    });
  });
