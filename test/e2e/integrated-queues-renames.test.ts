// A queue's integration survives renames of its connector and action types, on both stores: the
// queue can still be changed, its tasks still go to the provider, the provider can still address
// them by reference, and the export names them by their current names, in a file another
// installation imports. Queues stored before integrations were kept by id are resolved by migration 019.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { generateSecret } from '../../src/webhooks/sign.ts';
import { actionType, connector, launch } from '../helpers/harness.ts';
import { PROVIDER_FIELDS, storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';

const mock = { keepBodies: true, callbackDelayMs: 40 };
const fields = PROVIDER_FIELDS;

for (const backend of storeHarnesses)
  describe(`${backend.name}: a queue integration after its connector and action types are renamed`, () => {
    let h: StoreHarnessed;
    const sql = (text: string): Promise<void> => h.sql(text);
    const ids: Record<string, string> = {};
    const secret = generateSecret();

    const submits = () => h.mock.log.filter((e) => e.path === '/provider/submit');
    async function todoTask(): Promise<string> {
      const a = await launch(h, 'broken');
      return (await h.waitFor(a.id, (x) => x.state === 'todo')).id;
    }
    /** Assigns a To Do task to the integrated queue; the provider's submission (by the mock) and the task's integration log. */
    async function sendToProvider(): Promise<{ id: string; sent: { body: any } | undefined; log: any[] }> {
      const id = await todoTask();
      const before = submits().length;
      const r = await h.api('POST', `/v1/actions/${id}/assign`, { queue: 'vendor-desk' });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      for (let i = 0; submits().length === before && i < 100; i++) await new Promise((res) => setTimeout(res, 50));
      const sent = submits()
        .slice(before)
        .find((e) => (e.body as { task?: string }).task === id);
      return { id, sent: sent as { body: any } | undefined, log: (await h.api('GET', `/v1/actions/${id}/integration-log`)).body.items };
    }

    beforeAll(async () => {
      h = await backend.open({ mock });
      await connector(h, { auth: { type: 'none' } });
      ids.provider = await connector(h, { name: 'provider', baseUrl: h.mock.url, auth: { type: 'none' }, inboundSecret: secret });
      const type = (name: string, path: string, template: string) =>
        actionType(h, { name, connector: 'provider', path, fields, body: { format: 'json', template } });
      ids.submit = await type(
        'prv-submit',
        '/provider/submit',
        '{"callbackUrl": "{{ $callbackUrl }}", "task": "{{ TaskId }}", "script": "none"}',
      );
      ids.close = await type('prv-close', '/provider/close', '{"task": "{{ TaskId }}"}');
      await actionType(h, { name: 'broken', path: '/reject', allocation: { queue: 'desk' } });
      expect((await h.api('POST', '/v1/users', { name: 'olga' })).status).toBe(201);
      expect((await h.api('POST', '/v1/queues', { name: 'desk', members: ['olga'] })).status).toBe(201);
      // Named by name, as SPEC 10.1 shows it.
      const integration = { connector: 'provider', onAssign: 'prv-submit', onClose: 'prv-close' };
      const q = await h.api('POST', '/v1/queues', { name: 'vendor-desk', members: ['olga'], integration });
      expect(q.status, JSON.stringify(q.body)).toBe(201);
      for (const [path, name] of [
        ['/v1/connectors/provider', 'provider-2'],
        ['/v1/action-types/prv-submit', 'prv-submit-2'],
        ['/v1/action-types/prv-close', 'prv-close-2'],
      ] as const) {
        const r = await h.api('PATCH', path, { name });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
      }
    });
    afterAll(async () => h?.close());

    it('the queue still changes, and shows what it launches by id (names change, ids do not)', async () => {
      const r = await h.api('PATCH', '/v1/queues/vendor-desk', { description: 'the vendor' });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const want = { connector: ids.provider, onAssign: ids.submit, onUpdate: null, onClose: ids.close, onResolutionRejected: null };
      expect(r.body.integration).toEqual(want);
      expect((await h.api('GET', '/v1/queues/vendor-desk')).body).toMatchObject({ description: 'the vendor', integration: want });
      // Named by the new names (or by id) it changes too; a name that no longer names anything is refused, named.
      const renamed = await h.api('PATCH', '/v1/queues/vendor-desk', {
        integration: { connector: 'provider-2', onAssign: 'prv-submit-2', onClose: ids.close },
      });
      expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
      expect(renamed.body.integration).toEqual(want);
      const stale = await h.api('PATCH', '/v1/queues/vendor-desk', { integration: { connector: 'provider', onAssign: 'prv-submit-2' } });
      expect([stale.status, stale.body.errors]).toEqual([
        422,
        [{ field: 'integration.connector', message: 'connector "provider" does not exist' }],
      ]);
    });

    it('a task assigned to the queue still goes to the provider, and the provider still reaches it by reference', async () => {
      const { id, sent, log } = await sendToProvider();
      expect(sent, 'the provider got the submission').toBeDefined();
      expect(log.map((e) => [e.requestType, e.direction, e.result, e.actionId !== null])).toEqual([
        ['Submit Request', 'Out', 'Launched prv-submit-2', true],
      ]);
      // People read the action type by its name as it is now, not by the id the queue keeps.
      const timeline = (await h.api('GET', `/v1/actions/${id}/timeline`)).body.items.map((e: { message: string }) => e.message);
      expect(timeline).toContain('Submit Request sent to the provider (prv-submit-2)');
      // The provider acknowledges with its reference, then addresses the task by it on the renamed connector.
      const callbackUrl = sent!.body.callbackUrl as string;
      const ref = `REF-${backend.name}-${Date.now()}`;
      const ack = await h.api('POST', `${callbackUrl.slice(h.url.length)}/acknowledge`, { externalReference: ref }, { authorization: '' });
      expect(ack.status, JSON.stringify(ack.body)).toBe(200);
      const text = JSON.stringify({ message: 'Engineer booked' });
      const at = new Date();
      const msg = await h.api('POST', `/v1/connectors/provider-2/inbound/${ref}/messages`, text, {
        'content-type': 'application/json',
        authorization: '',
        'webhook-id': `msg_${ref}`,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign(`msg_${ref}`, at, text),
      });
      expect(msg.status, JSON.stringify(msg.body)).toBe(200);
      expect(msg.body.id).toBe(id);
    });

    it('the export names them by their current names; importing it again changes nothing; another installation imports it', async () => {
      const file = (await h.api('GET', '/v1/config/export?format=json')).body;
      const queue = file.queues.find((q: { name: string }) => q.name === 'vendor-desk');
      expect(queue.integration).toEqual({ connector: 'provider-2', onAssign: 'prv-submit-2', onClose: 'prv-close-2' });
      const again = await h.api('POST', '/v1/config/import', file);
      expect(again.status, JSON.stringify(again.body)).toBe(200);
      expect(again.body.queues).toMatchObject({ created: [], updated: [] });

      // Another installation (its own ids): the file's connector and action types are created, and the queue names them.
      const other = await backend.open({ mock });
      try {
        delete file.connectors.find((c: { name: string }) => c.name === 'provider-2').inboundSecret; // a secret from its environment
        const r = await other.api('POST', '/v1/config/import', file);
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        const id = async (path: string) => (await other.api('GET', path)).body.id as string;
        const there = {
          connector: await id('/v1/connectors/provider-2'),
          onAssign: await id('/v1/action-types/prv-submit-2'),
          onUpdate: null,
          onClose: await id('/v1/action-types/prv-close-2'),
          onResolutionRejected: null,
        };
        expect(there.connector).not.toBe(ids.provider);
        expect((await other.api('GET', '/v1/queues/vendor-desk')).body.integration).toEqual(there);
        const back = (await other.api('GET', '/v1/config/export?format=json')).body;
        expect(back.queues).toEqual(file.queues);
        expect((await other.api('POST', '/v1/config/import', back)).body.queues).toMatchObject({ created: [], updated: [] });
      } finally {
        await other.close();
      }
    });

    it('a queue stored by names before (migration 019) is kept by id, and survives the next rename', async () => {
      const names = {
        connector: 'provider-2',
        onAssign: 'prv-submit-2',
        onUpdate: null,
        onClose: 'prv-close-2',
        onResolutionRejected: null,
      };
      const doc = JSON.stringify({ description: null, members: ['olga'], allocation: 'none', integration: names });
      await sql(`UPDATE queues SET doc = '${doc}' WHERE name = 'vendor-desk'`);
      expect((await h.api('GET', '/v1/queues/vendor-desk')).body.integration).toEqual(names);
      await sql('DELETE FROM callout_migrations WHERE version = 19');
      await h.callout.store.migrate();
      const want = { connector: ids.provider, onAssign: ids.submit, onUpdate: null, onClose: ids.close, onResolutionRejected: null };
      expect((await h.api('GET', '/v1/queues/vendor-desk')).body.integration).toEqual(want);
      expect((await h.api('PATCH', '/v1/connectors/provider-2', { name: 'provider-3' })).status).toBe(200);
      expect((await h.api('PATCH', '/v1/action-types/prv-submit-2', { name: 'prv-submit-3' })).status).toBe(200);
      expect((await h.api('PATCH', '/v1/queues/vendor-desk', { description: 'again' })).status).toBe(200);
      const { sent } = await sendToProvider();
      expect(sent, 'the provider got the submission').toBeDefined();
    });
  });
