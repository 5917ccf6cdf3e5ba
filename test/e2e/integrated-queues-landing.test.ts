// A task that lands on a queue integrated with a provider without a person assigning it there (SPEC 7:
// "a task assigned to it ... launches its 'new assignment' action"): an action that fails onto the
// queue its type names, or onto its case's queue, goes to the provider as a person's assignment would,
// once. The submission is left pending in the transaction of the landing, so a node that stops before
// sending it loses nothing: the next integration sweep (any node's) sends it. A task that was already
// on a queue when the queue became integrated is not sent by a note or a sweep. Both stores; the
// provider is the mock's, on loopback.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, launch } from '../helpers/harness.ts';
import { PROVIDER_FIELDS, openWithProvider, storeHarnesses, submitsOf, type StoreHarnessed } from '../helpers/store-harnesses.ts';

for (const backend of storeHarnesses)
  describe(`${backend.name}: a task that lands on an integrated queue by itself`, () => {
    let h: StoreHarnessed;
    const log = async (id: string) =>
      (await h.api('GET', `/v1/actions/${id}/integration-log`)).body.items as Array<{ requestType: string; direction: string }>;
    const timeline = async (id: string): Promise<string[]> =>
      ((await h.api('GET', `/v1/actions/${id}/timeline`)).body.items as Array<{ message: string }>).map((t) => t.message);
    const until = async (what: string, ok: () => boolean | Promise<boolean>): Promise<void> => {
      for (let i = 0; i < 200; i++) {
        if (await ok()) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`never: ${what}`);
    };

    beforeAll(async () => {
      h = await openWithProvider(backend);
      const q = await h.api('POST', '/v1/queues', { name: 'vendor-desk', integration: { connector: 'provider', onAssign: 'desk-submit' } });
      expect(q.status, JSON.stringify(q.body)).toBe(201);
      expect((await h.api('POST', '/v1/queues', { name: 'later-desk' })).status).toBe(201);
      // Refused by its system: To Do on the queue its type names, or (naming none) on its case's.
      await actionType(h, { name: 'to-desk', path: '/reject', allocation: { queue: 'vendor-desk' } });
      await actionType(h, { name: 'to-later', path: '/reject', allocation: { queue: 'later-desk' } });
      await actionType(h, { name: 'plain', path: '/reject' });
    });
    afterAll(async () => h?.close());

    it("an action that fails onto the queue its type names goes to the queue's provider, once", async () => {
      const a = await launch(h, 'to-desk');
      const task = await h.waitFor(a.id, (x) => x.state === 'waiting' && x.queue === 'vendor-desk');
      expect(task).toMatchObject({ phase: 'awaiting_callback', assignee: null });
      await until('the provider has it', () => submitsOf(h, a.id).length === 1);
      expect((await log(a.id)).map((e) => [e.requestType, e.direction])).toEqual([['Submit Request', 'Out']]);
      expect(await timeline(a.id)).toContain('Submit Request sent to the provider (desk-submit)');
      // Sweeps (of this node or another) find nothing left to send.
      await h.callout.integrations!.sweep();
      await h.callout.integrations!.sweep();
      await new Promise((r) => setTimeout(r, 200));
      expect(submitsOf(h, a.id)).toHaveLength(1);
    });

    it("an action of a case whose type names no queue fails onto the case's integrated queue and goes to the provider", async () => {
      const kase = await h.api('POST', '/v1/cases', { title: 'Broken printer', queue: 'vendor-desk' });
      expect(kase.status, JSON.stringify(kase.body)).toBe(201);
      const a = await launch(h, 'plain', {}, { caseId: kase.body.id });
      await h.waitFor(a.id, (x) => x.state === 'waiting' && x.queue === 'vendor-desk');
      await until('the provider has it', () => submitsOf(h, a.id).length === 1);
      expect((await log(a.id)).map((e) => e.requestType)).toEqual(['Submit Request']);
    });

    it('a node that stops before sending it: the next sweep sends what the landing left pending', async () => {
      const integrations = h.callout.integrations!;
      await integrations.stop(); // this node hears of no landing and sweeps no more, as one that stopped
      try {
        const a = await launch(h, 'to-desk');
        await h.waitFor(a.id, (x) => x.state === 'todo' && x.queue === 'vendor-desk');
        await new Promise((r) => setTimeout(r, 300));
        expect(submitsOf(h, a.id)).toHaveLength(0);
        expect(await integrations.sweep()).toBeGreaterThanOrEqual(1);
        await h.waitFor(a.id, (x) => x.state === 'waiting');
        await until('the provider has it', () => submitsOf(h, a.id).length === 1);
        await integrations.sweep();
        expect(submitsOf(h, a.id)).toHaveLength(1);
      } finally {
        integrations.start();
      }
    });

    it('a task already on a queue when it becomes integrated is not sent by a note or a sweep; assigned there by a person, it is', async () => {
      const a = await launch(h, 'to-later');
      await h.waitFor(a.id, (x) => x.state === 'todo' && x.queue === 'later-desk');
      const patched = await h.api('PATCH', '/v1/queues/later-desk', { integration: { connector: 'provider', onAssign: 'desk-submit' } });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      await h.callout.integrations!.sweep();
      expect((await h.api('POST', `/v1/actions/${a.id}/notes`, { note: 'looking into it' })).status).toBe(200);
      await h.callout.integrations!.sweep();
      await new Promise((r) => setTimeout(r, 300));
      expect(submitsOf(h, a.id)).toHaveLength(0);
      expect((await h.api('GET', `/v1/actions/${a.id}`)).body).toMatchObject({ state: 'todo', queue: 'later-desk' });
      // A person's assignment is what sends it.
      expect((await h.api('POST', `/v1/actions/${a.id}/assign`, { queue: 'later-desk' })).status).toBe(200);
      await until('the provider has it', () => submitsOf(h, a.id).length === 1);
    });
  });

for (const backend of storeHarnesses)
  describe(`${backend.name}: a callback-mode action that timed out onto an integrated queue`, () => {
    let h: StoreHarnessed;
    beforeAll(async () => {
      h = await openWithProvider(backend);
      const q = await h.api('POST', '/v1/queues', { name: 'vendor-desk', integration: { connector: 'provider', onAssign: 'desk-submit' } });
      expect(q.status, JSON.stringify(q.body)).toBe(201);
      await actionType(h, {
        name: 'never',
        path: '/callback?never=1',
        body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}", "mine": true}' },
        completion: { mode: 'callback', timeout: '300ms' },
        allocation: { queue: 'vendor-desk' },
      });
      // A provider that refuses every submission (its request fails for good, the task comes back To Do).
      await actionType(h, {
        name: 'refused-submit',
        connector: 'provider',
        path: '/status/400',
        fields: PROVIDER_FIELDS,
        body: { format: 'json', template: '{"task": "{{ TaskId }}"}' },
        retry: { maxRetries: 0 },
      });
      const r = await h.api('POST', '/v1/queues', {
        name: 'refusing-desk',
        integration: { connector: 'provider', onAssign: 'refused-submit' },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      await actionType(h, {
        name: 'never-refused',
        path: '/callback?never=1',
        body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}", "refusedOwn": true}' },
        completion: { mode: 'callback', timeout: '700ms' },
        allocation: { queue: 'refusing-desk' },
      });
    });
    afterAll(async () => h?.close());

    it("is the provider's: its own system's late callback is kept on its timeline, not taken as its answer (409), and its reference stays", async () => {
      const a = await launch(h, 'never');
      await h.waitFor(a.id, (x) => x.state === 'waiting' && x.queue === 'vendor-desk' && x.reason === null);
      const own = h.mock.log.find((e) => (e.body as { mine?: boolean } | null)?.mine === true);
      const url = (own!.body as { callbackUrl: string }).callbackUrl;
      const late = await h.api(
        'POST',
        url.slice(h.url.length),
        { outcome: 'success', externalReference: 'OWN-1', data: { done: 1 } },
        { authorization: '' },
      );
      expect(late.status, JSON.stringify(late.body)).toBe(409);
      expect(late.body.detail).toContain('with the provider of queue vendor-desk');
      const now = (await h.api('GET', `/v1/actions/${a.id}`)).body;
      expect(now).toMatchObject({ state: 'waiting', queue: 'vendor-desk' });
      expect(now.externalReference).not.toBe('OWN-1');
      const timeline = ((await h.api('GET', `/v1/actions/${a.id}/timeline`)).body.items as Array<{ message: string }>).map(
        (e) => e.message,
      );
      expect(timeline).toContainEqual(
        expect.stringMatching(
          /^A success callback arrived after the action went to the provider of queue vendor-desk; it was not applied; its data: \{"done":1\}/,
        ),
      );
      // Its own system's heartbeat would give the provider's task a deadline of ours; its acknowledgement, its reference.
      const hb = await h.api('POST', `${url.slice(h.url.length)}/heartbeat`, {}, { authorization: '' });
      expect([hb.status, hb.body.detail]).toEqual([
        409,
        "The action is with the provider of queue vendor-desk; its own system's heartbeats no longer apply to it",
      ]);
      const ack = await h.api('POST', `${url.slice(h.url.length)}/acknowledge`, { externalReference: 'OWN-2' }, { authorization: '' });
      expect(ack.status).toBe(409);
      await new Promise((r) => setTimeout(r, 600)); // past its 300 ms completion timeout
      const after = (await h.api('GET', `/v1/actions/${a.id}`)).body;
      expect(after).toMatchObject({ state: 'waiting', queue: 'vendor-desk', timeoutAt: null });
      expect(after.externalReference).not.toBe('OWN-2');
    });

    it("whose provider refused it, retried by a person with its own system: that system's callback is its answer again", async () => {
      const a = await launch(h, 'never-refused');
      await h.waitFor(a.id, (x) => x.state === 'todo' && x.queue === 'refusing-desk' && x.reason === 'request_rejected');
      const retried = await h.api('POST', `/v1/actions/${a.id}/retry`);
      expect(retried.status, JSON.stringify(retried.body)).toBe(200);
      await h.waitFor(a.id, (x) => x.state === 'waiting' && x.phase === 'awaiting_callback');
      const own = h.mock.log.filter((e) => (e.body as { refusedOwn?: boolean } | null)?.refusedOwn === true).at(-1);
      const url = (own!.body as { callbackUrl: string }).callbackUrl;
      const hb = await h.api('POST', `${url.slice(h.url.length)}/heartbeat`, {}, { authorization: '' });
      expect(hb.status, JSON.stringify(hb.body)).toBe(200);
      const done = await h.api('POST', url.slice(h.url.length), { outcome: 'success', data: { ok: true } }, { authorization: '' });
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(await h.waitFor(a.id, (x) => x.state === 'closed')).toMatchObject({ resolution: 'done_successfully' });
    });
  });
