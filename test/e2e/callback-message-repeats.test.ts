// An external system's message by callback token, retried by its sender (the answer lost, or sent
// several times at once): with the same Idempotency-Key it is kept once and every try gets the action
// as it is; another text under the same key is a 409; without a key each message is kept, as before.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, launch, type Harness } from '../helpers/harness.ts';
import { openWithProvider, storeHarnesses, submitsOf } from '../helpers/store-harnesses.ts';

for (const backend of storeHarnesses)
  describe(`${backend.name}: a message by token, sent again`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await openWithProvider(backend);
      await actionType(h, {
        name: 'cb',
        path: '/callback?never=1',
        body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}"}' },
        completion: { mode: 'callback' },
      });
    });
    afterAll(async () => h?.close());

    const send = (token: string, message: string, key?: string) =>
      h.api(
        'POST',
        `/v1/callbacks/${token}/messages`,
        { message },
        { authorization: '', ...(key === undefined ? {} : { 'idempotency-key': key }) },
      );
    const messages = async (id: string, text: string): Promise<number> =>
      ((await h.api('GET', `/v1/actions/${id}/timeline?kind=message&limit=1000`)).body.items as Array<{ message: string }>).filter(
        (e) => e.message === text,
      ).length;

    it("an action's message retried with its key is kept once, also after the action closed; without a key each is kept", async () => {
      const { id } = await launch(h, 'cb');
      await h.waitFor(id, (x) => x.phase === 'awaiting_callback');
      const token = h.callout.engine.callbackToken(id);
      const tries = await Promise.all(Array.from({ length: 4 }, () => send(token, 'Working on it', 'msg-1')));
      expect(tries.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      for (const r of tries) expect(r.body).toEqual(tries[0]!.body);
      expect(await messages(id, 'Working on it')).toBe(1);
      const other = await send(token, 'Something else', 'msg-1');
      expect([other.status, other.body.detail]).toEqual([409, expect.stringContaining('Idempotency-Key was used for another message')]);
      // Kept hashed and not shown.
      const timeline = JSON.stringify((await h.api('GET', `/v1/actions/${id}/timeline`)).body.items);
      for (const hidden of ['msg-1', 'requestKey', 'requestHash']) expect(timeline).not.toContain(hidden);
      // A key out of bounds is refused by name, and nothing is kept.
      const bad = await send(token, 'Too long a key', 'x'.repeat(201));
      expect([bad.status, bad.body.errors]).toEqual([422, [{ field: 'Idempotency-Key', message: 'must be 1–200 characters' }]]);
      expect(await messages(id, 'Too long a key')).toBe(0);
      // Without a key, two messages are two.
      expect((await send(token, 'Twice')).status).toBe(200);
      expect((await send(token, 'Twice')).status).toBe(200);
      expect(await messages(id, 'Twice')).toBe(2);
      // The sender's retry after the action closed gets the first answer's action, not a 409.
      expect((await h.api('POST', `/v1/callbacks/${token}`, { outcome: 'success' }, { authorization: '' })).status).toBe(200);
      const late = await send(token, 'Working on it', 'msg-1');
      expect([late.status, late.body.state]).toEqual([200, 'closed']);
      expect(await messages(id, 'Working on it')).toBe(1);
      expect((await send(token, 'New news', 'msg-2')).status).toBe(409);
    });

    /** An operator's notes on the action, one after another: entries of the same kind as the sender's messages. */
    const notes = async (id: string, n: number): Promise<void> => {
      for (let i = 0; i < n; i++) expect((await h.api('POST', `/v1/actions/${id}/notes`, { note: `Note ${i}` })).status).toBe(200);
    };
    const entriesOf = async (id: string, text: string): Promise<Array<Record<string, unknown>>> =>
      ((await h.api('GET', `/v1/actions/${id}/timeline?kind=message&limit=1000`)).body.items as Array<Record<string, unknown>>).filter(
        (e) => e.message === text,
      );

    it("a message's key is still known after 60 notes by people; its entry reads as one sent without a key", async () => {
      const { id } = await launch(h, 'cb');
      await h.waitFor(id, (x) => x.phase === 'awaiting_callback');
      const token = h.callout.engine.callbackToken(id);
      expect((await send(token, 'Keyed', 'busy-1')).status).toBe(200);
      expect((await send(token, 'Unkeyed')).status).toBe(200);
      await notes(id, 60);
      const again = await send(token, 'Keyed', 'busy-1');
      expect([again.status, again.body.id]).toEqual([200, id]);
      expect(await messages(id, 'Keyed')).toBe(1);
      expect((await send(token, 'Other words', 'busy-1')).status).toBe(409);
      // The same fields with a key or without: no empty `data` left where the key was taken out.
      const [keyed, plain] = [(await entriesOf(id, 'Keyed'))[0]!, (await entriesOf(id, 'Unkeyed'))[0]!];
      expect(Object.keys(keyed).sort()).toEqual(Object.keys(plain).sort());
      expect(keyed).not.toHaveProperty('data');
    });

    it("a provider's update on a task retried with its key is logged once", async () => {
      await actionType(h, { name: 'broken', path: '/reject' });
      const integration = { connector: 'provider', onAssign: 'desk-submit' };
      expect((await h.api('POST', '/v1/queues', { name: 'vendor-desk', integration })).status).toBe(201);
      const a = await launch(h, 'broken');
      const id = (await h.waitFor(a.id, (x) => x.state === 'todo')).id;
      expect((await h.api('POST', `/v1/actions/${id}/assign`, { queue: 'vendor-desk' })).status).toBe(200);
      await expect.poll(() => submitsOf(h, id).length).toBe(1);
      const url = (submitsOf(h, id)[0]!.body as { callbackUrl: string }).callbackUrl;
      const token = url.split('/').at(-1)!;
      const tries = await Promise.all(Array.from({ length: 3 }, () => send(token, 'We are on it', 'upd-1')));
      expect(tries.map((r) => r.status)).toEqual([200, 200, 200]);
      for (const r of tries) expect(r.body).toEqual(tries[0]!.body);
      const updates = (
        (await h.api('GET', `/v1/actions/${id}/integration-log`)).body.items as Array<{ requestType: string; direction: string }>
      ).filter((e) => e.requestType === 'Update' && e.direction === 'In');
      expect(updates).toHaveLength(1);
      expect(await messages(id, 'We are on it')).toBe(1);
      expect((await send(token, 'Other words', 'upd-1')).status).toBe(409);
      // People's notes on the task since (60, more than the 50 keys looked at) do not hide the sender's own key.
      await notes(id, 60);
      const late = await send(token, 'We are on it', 'upd-1');
      expect([late.status, late.body.id]).toEqual([200, id]);
      expect(await messages(id, 'We are on it')).toBe(1);
      const inbound = (
        (await h.api('GET', `/v1/actions/${id}/integration-log`)).body.items as Array<{ requestType: string; direction: string }>
      ).filter((e) => e.requestType === 'Update' && e.direction === 'In');
      expect(inbound).toHaveLength(1);
      expect((await entriesOf(id, 'We are on it'))[0]).not.toHaveProperty('data');
    });
  });
