// Many people writing notes at once on one task of a queue integrated with a provider, on one node of
// either store: each note is the provider's Update as well (SPEC 7), and every one is kept and
// answered 200, as on any other task (notes-at-once.test.ts). They used to bypass the engine's one-change-at-a-time and
// race each other's guarded writes until some were refused with 409 "kept changing; try again".

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, type Harness } from '../helpers/harness.ts';
import { PROVIDER_FIELDS, storeHarnesses } from '../helpers/store-harnesses.ts';

for (const backend of storeHarnesses)
  describe(backend.name, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await backend.open();
    });
    afterAll(async () => h?.close());

    it('60 notes sent at once to one task on an integrated queue are all kept and sent, and 60 messages of the provider too', async () => {
      await connector(h, { auth: { type: 'none' } });
      const fields = PROVIDER_FIELDS;
      await actionType(h, {
        name: 'prv-submit',
        path: '/provider/submit',
        fields,
        body: { format: 'json', template: '{"task": "{{ TaskId }}"}' },
      });
      await actionType(h, {
        name: 'prv-update',
        path: '/provider/update',
        fields,
        body: { format: 'json', template: '{"task": "{{ TaskId }}"}' },
      });
      await actionType(h, { name: 'broken', path: '/reject' });
      expect((await h.api('POST', '/v1/users', { name: 'olga' })).status).toBe(201);
      const integration = { connector: 'vendor', onAssign: 'prv-submit', onUpdate: 'prv-update' };
      const q = await h.api('POST', '/v1/queues', { name: 'vendor-desk', members: ['olga'], integration });
      expect(q.status, JSON.stringify(q.body)).toBe(201);
      const task = await h.waitFor((await launch(h, 'broken')).id, (x) => x.state === 'todo');
      const assigned = await h.api('POST', `/v1/actions/${task.id}/assign`, { queue: 'vendor-desk' });
      expect(assigned.status, JSON.stringify(assigned.body)).toBe(200);

      const notes = Array.from({ length: 60 }, (_, i) => `note ${i}`);
      const answers = await Promise.all(notes.map((note) => h.api('POST', `/v1/actions/${task.id}/notes`, { note })));
      expect(answers.filter((r) => r.status !== 200).map((r) => [r.status, r.body.detail])).toEqual([]);
      const log = (await h.api('GET', `/v1/actions/${task.id}/integration-log`)).body.items as Array<{
        requestType: string;
        actionId: string | null;
      }>;
      expect(log.filter((e) => e.requestType === 'Update')).toHaveLength(60);

      // The provider's side: 60 messages at once by the token of its submission, all kept.
      const submitted = log.find((e) => e.requestType === 'Submit Request')!.actionId!;
      const token = h.callout.engine.callbackToken(submitted);
      const messages = Array.from({ length: 60 }, (_, i) => `provider ${i}`);
      const posted = await Promise.all(
        messages.map((message) => h.api('POST', `/v1/callbacks/${token}/messages`, { message }, { authorization: '' })),
      );
      expect(posted.filter((r) => r.status !== 200).map((r) => [r.status, r.body.detail])).toEqual([]);
      const after = (await h.api('GET', `/v1/actions/${task.id}/integration-log`)).body.items as Array<{ requestType: string }>;
      expect(after.filter((e) => e.requestType === 'Update' && (e as { direction?: string }).direction === 'In')).toHaveLength(60);
    });
  });
