// Integrated queues end to end on both stores: a task handed to the mock provider (src/mock/provider.ts)
// goes out, is acknowledged, updated and handed back by it; an operator declines the solution, notes
// and completes; every exchange is in the task's integration log, checked entry by entry, and each
// launched action was stored under its deterministic launch key. Roles, hostile bodies, repeats.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { integrationLaunchKey } from '../../src/integrated-queues/service.ts';
import { generateSecret } from '../../src/webhooks/sign.ts';
import { actionType, connector, launch, type Harness } from '../helpers/harness.ts';
import { PROVIDER_FIELDS, storeHarnesses } from '../helpers/store-harnesses.ts';
import { MAX_REFERENCE_CHARS } from '../../src/json-limits.ts';

const mock = { keepBodies: true, callbackDelayMs: 40 };
interface Entry {
  requestType: string;
  direction: string;
  at: string;
  payload: Record<string, unknown>;
  result: string;
  actionId: string | null;
}

const fields = PROVIDER_FIELDS;

for (const backend of storeHarnesses)
  describe(`${backend.name}: integrated queues`, () => {
    let h: Harness;
    let operator: Record<string, string>;
    let builder: Record<string, string>;
    const log = async (id: string): Promise<Entry[]> => (await h.api('GET', `/v1/actions/${id}/integration-log`)).body.items;
    const waitLog = async (id: string, n: number): Promise<Entry[]> => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const items = await log(id);
        if (items.length >= n) return items;
        if (Date.now() > deadline) throw new Error(`integration log of ${id}: ${JSON.stringify(items)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    /** The token the provider got for a task's submission: the last $callbackUrl the mock saw. */
    const lastCallbackUrl = (): string => {
      const subs = h.mock.log.filter((e) => e.path === '/provider/submit');
      return (subs.at(-1)!.body as { callbackUrl: string }).callbackUrl;
    };
    const post = (url: string, body: unknown) => h.api('POST', url.slice(h.url.length), body, { authorization: '' });

    async function todoTask(): Promise<string> {
      const a = await launch(h, 'broken');
      return (await h.waitFor(a.id, (x) => x.state === 'todo')).id;
    }

    /** An integrated queue whose provider takes a task and stays silent (the test answers for it). */
    async function silentQueue(name: string, onResolutionRejected = 'prv-reject'): Promise<void> {
      await actionType(h, {
        name: `${name}-submit`,
        connector: 'provider',
        path: '/provider/submit',
        fields,
        body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}", "task": "{{ TaskId }}", "script": "none"}' },
      });
      const integration = {
        connector: 'provider',
        onAssign: `${name}-submit`,
        onUpdate: 'prv-update',
        onClose: 'prv-close',
        onResolutionRejected,
      };
      expect((await h.api('POST', '/v1/queues', { name, members: ['olga'], integration })).status).toBe(201);
    }

    /** Assigns the task to `queue` and waits until the provider has its submission; returns the assignment's answer. */
    async function submitTo(id: string, queue: string): Promise<{ status: number; body: any }> {
      const submits = (): number => h.mock.log.filter((e) => e.path === '/provider/submit').length;
      const before = submits();
      const r = await h.api('POST', `/v1/actions/${id}/assign`, { queue }, operator);
      for (let i = 0; submits() === before && i < 300; i++) await new Promise((res) => setTimeout(res, 50));
      return r;
    }

    beforeAll(async () => {
      h = await backend.open({ mock });
      await connector(h, { name: 'provider', baseUrl: h.mock.url });
      await connector(h);
      const type = (name: string, path: string, template: string) =>
        actionType(h, { name, connector: 'provider', path, fields, body: { format: 'json', template } });
      await type('prv-submit', '/provider/submit', '{"callbackUrl": "{{ $callbackUrl }}", "task": "{{ TaskId }}", "title": "{{ Title }}"}');
      await type('prv-update', '/provider/update', '{"task": "{{ TaskId }}", "note": "{{ Note }}", "ref": "{{ ExternalReference }}"}');
      await type('prv-close', '/provider/close', '{"ref": "{{ ExternalReference }}", "note": "{{ Note }}"}');
      await type('prv-reject', '/provider/reject', '{"ref": "{{ ExternalReference }}", "note": "{{ Note }}", "script": "none"}');
      await actionType(h, { name: 'broken', path: '/reject', allocation: { queue: 'desk' } });
      for (const name of ['olga', 'bert']) expect((await h.api('POST', '/v1/users', { name })).status).toBe(201);
      expect((await h.api('POST', '/v1/queues', { name: 'desk', members: ['olga'], allocation: 'round_robin' })).status).toBe(201);
      const integration = {
        connector: 'provider',
        onAssign: 'prv-submit',
        onUpdate: 'prv-update',
        onClose: 'prv-close',
        onResolutionRejected: 'prv-reject',
      };
      const q = await h.api('POST', '/v1/queues', { name: 'vendor-desk', members: ['olga'], allocation: 'round_robin', integration });
      expect(q.status, JSON.stringify(q.body)).toBe(201);
      operator = {
        authorization: `Bearer ${(await h.api('POST', '/v1/api-keys', { name: 'olga-key', roles: ['operator'], user: 'olga' })).body.key}`,
      };
      builder = { authorization: `Bearer ${(await h.api('POST', '/v1/api-keys', { name: 'b-key', roles: ['builder'] })).body.key}` };
    });
    afterAll(async () => h?.close());

    it('drives a task through every outbound and inbound exchange, logged entry by entry', async () => {
      const id = await todoTask();
      expect(await log(id)).toEqual([]);

      // Assigned to the integrated queue: Submit Request; the mock acknowledges, updates and hands back.
      const assigned = await h.api('POST', `/v1/actions/${id}/assign`, { queue: 'vendor-desk' }, operator);
      expect(assigned.status, JSON.stringify(assigned.body)).toBe(200);
      expect(assigned.body).toMatchObject({ state: 'waiting', phase: 'awaiting_callback', queue: 'vendor-desk', assignee: null });
      const four = await waitLog(id, 4);
      const back = await h.waitFor(id, (a) => a.state === 'todo');
      expect(back).toMatchObject({ reason: 'updated_by_integration', queue: 'vendor-desk', assignee: 'olga', externalReference: 'PRV-1' });
      expect(back.solution).toMatchObject({ resolution: 'solved', solution: 'Replaced the faulty part (PRV-1)' });

      const submit = four[0]!;
      expect(submit).toMatchObject({ requestType: 'Submit Request', direction: 'Out', result: 'Launched prv-submit' });
      expect(submit.payload).toEqual({ TaskId: id, Title: 'broken', CaseData: {} });
      const sent = await h.waitFor(submit.actionId!, (a) => a.state === 'closed');
      expect(sent).toMatchObject({ resolution: 'done_successfully', input: { TaskId: id, Title: 'broken' } });
      expect((await h.callout.store.getActionByLaunchKey(integrationLaunchKey(id, 1)))?.action.id).toBe(submit.actionId);
      expect(four.slice(1).map((e) => [e.requestType, e.direction, e.payload, e.result, e.actionId])).toEqual([
        ['Acknowledgement', 'In', { externalReference: 'PRV-1' }, 'Accepted', null],
        ['Update', 'In', { message: 'We are on it (PRV-1)' }, 'Accepted', null],
        ['Reassigned', 'In', { resolution: 'solved', solution: 'Replaced the faulty part (PRV-1)' }, 'Accepted', null],
      ]);
      for (const e of four) expect(Date.parse(e.at)).toBeGreaterThan(0);
      // Tokens never reach the log or the timeline; the provider's exchanges are on the task's timeline.
      expect(JSON.stringify(four)).not.toContain(lastCallbackUrl().split('/').at(-1)!);
      const timeline = (await h.api('GET', `/v1/actions/${id}/timeline`)).body.items as Array<{ message: string }>;
      expect(timeline.map((t) => t.message)).toEqual(
        expect.arrayContaining(['We are on it (PRV-1)', 'Acknowledged by the provider with reference PRV-1']),
      );
      // Each state change is by whoever caused it: the operator's assignment sent it to the provider,
      // the provider's hand-back brought it back.
      const moves = (timeline as Array<{ kind: string; actor: string; message: string }>)
        .filter((t) => t.kind === 'state_changed')
        .slice(-2)
        .map((t) => [t.actor, t.message]);
      expect(moves).toEqual([
        ['user:olga', expect.stringMatching(/→ Waiting/)],
        ['integration', expect.stringMatching(/^Waiting.*→ To Do/)],
      ]);

      // Picked up by bert, the solution is his to accept or decline: olga declines it only once she has
      // taken the task over, as she would complete it (nothing is sent or logged before).
      const bertKey = (await h.api('POST', '/v1/api-keys', { name: 'bert-key', roles: ['operator'], user: 'bert' })).body.key;
      const bert = { authorization: `Bearer ${bertKey}` };
      expect((await h.api('POST', `/v1/actions/${id}/pick-up`, undefined, bert)).body).toMatchObject({
        state: 'in_progress',
        assignee: 'bert',
      });
      const under = await h.api('POST', `/v1/actions/${id}/decline-solution`, { note: 'Still broken' }, operator);
      expect([under.status, under.body.detail]).toEqual([409, expect.stringContaining('bert is working on this task')]);
      expect(await log(id)).toHaveLength(4);
      expect((await h.api('POST', `/v1/actions/${id}/assign`, { assignee: 'me' }, operator)).body.assignee).toBe('olga');

      // Declined: Resolution Rejection, and the task is with the provider again (who stays silent now).
      const declined = await h.api('POST', `/v1/actions/${id}/decline-solution`, { note: 'Still broken' }, operator);
      expect(declined.status, JSON.stringify(declined.body)).toBe(200);
      expect(declined.body).toMatchObject({ state: 'waiting', assignee: null });
      expect(declined.body.solution).toBeUndefined();
      const five = await log(id);
      expect(five[4]).toMatchObject({
        requestType: 'Resolution Rejection',
        direction: 'Out',
        payload: { TaskId: id, Title: 'broken', Note: 'Still broken', ExternalReference: 'PRV-1', CaseData: {} },
        result: 'Launched prv-reject',
      });
      expect((await h.waitFor(five[4]!.actionId!, (a) => a.state === 'closed')).input).toMatchObject({ Note: 'Still broken' });
      const declineEntry = (await h.api('GET', `/v1/actions/${id}/timeline`)).body.items.find((t: { message: string }) =>
        t.message.startsWith('Solution declined'),
      );
      expect(declineEntry).toMatchObject({ actor: expect.stringContaining('user:'), message: expect.stringContaining('Still broken') });
      // Declining again: nothing is handed back any more; nothing is sent or logged.
      expect((await h.api('POST', `/v1/actions/${id}/decline-solution`, { note: 'Still broken' }, operator)).status).toBe(409);
      expect(await log(id)).toHaveLength(5);

      // The provider hands back again by the token of the first submission (it addresses the task);
      // the same hand-back twice gets the same answer and one log entry.
      const url = lastCallbackUrl();
      const hb = { resolution: 'closed', solution: 'Cannot reproduce' };
      const first = await post(`${url}/hand-back`, hb);
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      const again = await post(`${url}/hand-back`, hb);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ id, state: 'todo', solution: { resolution: 'closed', solution: 'Cannot reproduce' } });
      expect((await log(id)).filter((e) => e.requestType === 'Reassigned')).toHaveLength(2);
      expect((await post(`${url}/hand-back`, { resolution: 'solved', solution: 'different' })).status).toBe(409);

      // A note while it is with us: Update out; completing: Closed out.
      await h.api('POST', `/v1/actions/${id}/pick-up`, undefined, operator);
      const noted = await h.api('POST', `/v1/actions/${id}/notes`, { note: 'Customer called' }, operator);
      expect(noted.status).toBe(200);
      // A long note goes to the provider whole; the log keeps its start (payloads are bounded).
      const long = `Details: ${'x'.repeat(9_000)}`;
      expect((await h.api('POST', `/v1/actions/${id}/notes`, { note: long }, operator)).status).toBe(200);
      const done = await h.api('POST', `/v1/actions/${id}/complete`, { note: 'Fixed on site' }, operator);
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body).toMatchObject({ state: 'closed', resolution: 'done_successfully' });
      // The same complete again (a double click, a lost answer) is answered as the first: nothing more is sent.
      const twice = await h.api('POST', `/v1/actions/${id}/complete`, { note: 'Fixed on site' }, operator);
      expect([twice.status, twice.body.state]).toEqual([200, 'closed']);
      const all = await log(id);
      expect(all.map((e) => `${e.requestType}/${e.direction}`)).toEqual([
        'Submit Request/Out',
        'Acknowledgement/In',
        'Update/In',
        'Reassigned/In',
        'Resolution Rejection/Out',
        'Reassigned/In',
        'Update/Out',
        'Update/Out',
        'Closed/Out',
      ]);
      expect(all[6]).toMatchObject({ payload: { Note: 'Customer called', ExternalReference: 'PRV-1' }, result: 'Launched prv-update' });
      const bounded = all[7]!.payload.Note as string;
      expect(bounded.length).toBeLessThan(2100);
      expect(bounded).toMatch(/^Details: x+… \(9009 characters\)$/);
      expect((await h.callout.store.getAction(all[7]!.actionId!))?.input.Note).toBe(long);
      expect(all[8]).toMatchObject({ payload: { Note: 'Fixed on site' }, result: 'Launched prv-close' });
      for (const [i, n] of [
        [0, 1],
        [4, 2],
        [6, 3],
        [7, 4],
        [8, 5],
      ] as const)
        expect((await h.callout.store.getActionByLaunchKey(integrationLaunchKey(id, n)))?.action.id).toBe(all[i]!.actionId);
      // The Closed message too: the mock's log is read only once all three were sent and answered.
      for (const e of [all[6]!, all[7]!, all[8]!])
        expect((await h.waitFor(e.actionId!, (a) => a.state === 'closed')).resolution).toBe('done_successfully');
      const paths = h.mock.log.filter((e) => e.path.startsWith('/provider/')).map((e) => e.path);
      // The last three may be sent in one batch, in any order.
      expect(paths.slice(0, 2)).toEqual(['/provider/submit', '/provider/reject']);
      expect(paths.slice(2).sort()).toEqual(['/provider/close', '/provider/update', '/provider/update']);

      // Closed: the provider repeating its last hand-back gets the same answer; anything new, 409.
      expect((await post(`${url}/hand-back`, hb)).status).toBe(200);
      expect((await post(`${url}/messages`, { message: 'late' })).status).toBe(409);
      expect((await log(id)).length).toBe(9);
    });

    it('an acknowledgement with the same reference twice is one entry; a new reference is logged', async () => {
      const id = await todoTask();
      await h.api('POST', `/v1/actions/${id}/assign`, { queue: 'vendor-desk' }, operator);
      await h.waitFor(id, (a) => a.state === 'todo');
      const url = lastCallbackUrl();
      const n = (await log(id)).length;
      expect((await post(`${url}/acknowledge`, { externalReference: 'PRV-2' })).status).toBe(200);
      expect((await log(id)).length).toBe(n);
      const moved = await post(`${url}/acknowledge`, { externalReference: 'NEW-9' });
      expect(moved.body).toMatchObject({ id, externalReference: 'NEW-9' });
      expect((await log(id)).at(-1)).toMatchObject({ requestType: 'Acknowledgement', result: 'Accepted; the reference was PRV-2' });
      // Assigned again with a reference: submitted again, under the next launch key.
      const re = await h.api('POST', `/v1/actions/${id}/assign`, { queue: 'vendor-desk' }, operator);
      expect(re.body).toMatchObject({ state: 'waiting' });
      const last = (await log(id)).filter((e) => e.requestType === 'Submit Request');
      expect(last).toHaveLength(2);
      expect(last[1]!.payload).toMatchObject({ ExternalReference: 'NEW-9' });
      expect((await h.callout.store.getActionByLaunchKey(integrationLaunchKey(id, 2)))?.action.id).toBe(last[1]!.actionId);
    });

    it('roles, hostile bodies and unknown tokens on the new routes; nothing changes', async () => {
      const id = await todoTask();
      const noKey = await h.api('GET', `/v1/actions/${id}/integration-log`, undefined, { authorization: '' });
      expect(noKey.status).toBe(401);
      expect((await h.api('GET', `/v1/actions/${id}/integration-log`, undefined, builder)).status).toBe(200);
      expect((await h.api('GET', '/v1/actions/nope/integration-log')).status).toBe(404);
      expect((await h.api('POST', `/v1/actions/${id}/decline-solution`, { note: 'x' }, { authorization: '' })).status).toBe(401);
      expect((await h.api('POST', `/v1/actions/${id}/decline-solution`, { note: 'x' }, builder)).status).toBe(403);
      // Nothing handed back to decline; not on an integrated queue at all.
      expect((await h.api('POST', `/v1/actions/${id}/decline-solution`, { note: 'x' }, operator)).status).toBe(409);
      for (const bad of [{}, { note: '' }, { note: 'x', extra: 1 }, { note: 'x'.repeat(10_001) }, { note: { a: { b: {} } } }]) {
        const r = await h.api('POST', `/v1/actions/${id}/decline-solution`, bad, operator);
        expect(r.status, JSON.stringify(bad).slice(0, 50)).toBe(422);
        expect(r.headers['content-type']).toContain('application/problem+json');
      }
      // A live token that is not an integration action's: 409, saying why; a forged one: 404.
      const plain = await launch(h, 'broken');
      const token = h.callout.engine.callbackToken(plain.id);
      const hb = { resolution: 'solved', solution: 'x' };
      const notTask = await h.api('POST', `/v1/callbacks/${token}/hand-back`, hb, { authorization: '' });
      expect(notTask.status).toBe(409);
      expect(notTask.body.detail).toBe('Only a task on an integrated queue is handed back, and this token is not one a provider holds');
      expect((await h.api('POST', `/v1/callbacks/${plain.id}.forged/hand-back`, hb, { authorization: '' })).status).toBe(404);
      // Hostile hand-backs on a genuine integration token.
      await h.api('POST', `/v1/actions/${id}/assign`, { queue: 'vendor-desk' }, operator);
      await h.waitFor(id, (a) => a.state === 'todo');
      const url = lastCallbackUrl();
      const before = await log(id);
      for (const bad of [
        {},
        { resolution: 'maybe', solution: 'x' },
        { resolution: 'solved', solution: '' },
        { resolution: 'solved', solution: 'x'.repeat(10_001) },
        { resolution: 'solved', solution: 'x', token: 'y' },
      ])
        expect((await post(`${url}/hand-back`, bad)).status).toBe(422);
      expect((await post(`${url}/messages`, { message: '   ' })).status).toBe(422);
      expect((await post(`${url}/acknowledge`, { externalReference: 'r'.repeat(MAX_REFERENCE_CHARS + 1) })).status).toBe(422);
      expect(await log(id)).toEqual(before);
    });

    it("a task handed back and submitted to another provider: the first provider's token no longer acknowledges, messages or hands it back", async () => {
      await silentQueue('other-vendor');
      const id = await todoTask();
      expect((await h.api('POST', `/v1/actions/${id}/assign`, { queue: 'vendor-desk' }, operator)).status).toBe(200);
      await h.waitFor(id, (a) => a.state === 'todo' && a.reason === 'updated_by_integration');
      const first = lastCallbackUrl();
      // Handed back by the first provider; the operator sends it to the second one.
      const moved = await submitTo(id, 'other-vendor');
      expect(moved.body).toMatchObject({ state: 'waiting', queue: 'other-vendor' });
      const second = lastCallbackUrl();
      expect(second).not.toBe(first);
      const entries = (await log(id)).length;

      for (const [path, body] of [
        ['acknowledge', { externalReference: 'HIJACK-1' }],
        ['messages', { message: 'from the first provider' }],
        ['hand-back', { resolution: 'closed', solution: 'closed by the first provider' }],
      ] as const) {
        const r = await post(`${first}/${path}`, body);
        expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(404);
        expect(JSON.stringify(r.body)).not.toContain('other-vendor');
      }
      expect(await h.api('GET', `/v1/actions/${id}`).then((r) => r.body)).toMatchObject({ state: 'waiting', queue: 'other-vendor' });
      expect((await log(id)).length).toBe(entries);
      // The second provider's token is the task's.
      const ack = await post(`${second}/acknowledge`, { externalReference: 'OTHER-7' });
      expect(ack.status, JSON.stringify(ack.body)).toBe(200);
      expect(ack.body).toMatchObject({ externalReference: 'OTHER-7', queue: 'other-vendor' });
    });

    it('a decline says on the timeline what reached the provider: a reason its action type cannot carry, a request not sent', async () => {
      const { Note: _note, ...noNote } = fields;
      await actionType(h, { name: 'nonote-reject', connector: 'provider', path: '/provider/reject', fields: noNote });
      await actionType(h, {
        name: 'strict-reject',
        connector: 'provider',
        path: '/provider/reject',
        fields: { ...fields, Priority: { type: 'string' } },
      });
      const declined = async (queue: string, rejectType: string, note: string): Promise<string> => {
        await silentQueue(queue, rejectType);
        const id = await todoTask();
        expect((await submitTo(id, queue)).status).toBe(200);
        expect((await post(`${lastCallbackUrl()}/hand-back`, { resolution: 'solved', solution: 'Rebooted' })).status).toBe(200);
        const r = await h.api('POST', `/v1/actions/${id}/decline-solution`, { note }, operator);
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        const items = (await h.api('GET', `/v1/actions/${id}/timeline`)).body.items as Array<{ message: string }>;
        return items.find((e) => e.message.startsWith('Solution declined'))!.message;
      };
      expect(await declined('nonote-vendor', 'nonote-reject', 'Still broken.')).toBe(
        'Solution declined: Still broken. Resolution Rejection sent to the provider (nonote-reject). The note was not sent: nonote-reject has no Note field.',
      );
      expect(await declined('strict-vendor', 'strict-reject', '  Still broken  ')).toBe(
        'Solution declined: Still broken. Resolution Rejection not sent to the provider (strict-reject): Priority: is required.',
      );
    });

    it("a task is addressed by its reference too, signed with the connector's inbound secret: messages and hand-back (SPEC 10.1)", async () => {
      const secret = generateSecret();
      expect((await h.api('PATCH', '/v1/connectors/provider', { inboundSecret: secret })).status).toBe(200);
      await silentQueue('ref-vendor');
      const id = await todoTask();
      expect((await submitTo(id, 'ref-vendor')).status).toBe(200);
      const ref = `REF-${backend.name}-${Date.now()}`;
      expect((await post(`${lastCallbackUrl()}/acknowledge`, { externalReference: ref })).status).toBe(200);

      let n = 0;
      const signed = async (path: string, body: unknown, sign = true) => {
        const text = JSON.stringify(body);
        const msgId = `msg_${ref}_${++n}`;
        const at = new Date();
        const headers: Record<string, string> = { 'content-type': 'application/json', authorization: '' };
        if (sign) {
          headers['webhook-id'] = msgId;
          headers['webhook-timestamp'] = String(Math.floor(at.getTime() / 1000));
          headers['webhook-signature'] = new Webhook(secret).sign(msgId, at, text);
        }
        return h.api('POST', `/v1/connectors/provider/inbound/${ref}${path}`, text, headers);
      };
      const msg = await signed('/messages', { message: 'Engineer booked' });
      expect(msg.status, JSON.stringify(msg.body)).toBe(200);
      expect(msg.body.id).toBe(id);
      expect((await signed('/hand-back', { resolution: 'solved', solution: 'x' }, false)).status).toBe(401);
      const back = await signed('/hand-back', { resolution: 'solved', solution: 'Replaced the fan' });
      expect(back.status, JSON.stringify(back.body)).toBe(200);
      expect(back.body).toMatchObject({ id, state: 'todo', reason: 'updated_by_integration', solution: { solution: 'Replaced the fan' } });
      expect((await log(id)).map((e) => `${e.requestType}/${e.direction}`).slice(-3)).toEqual([
        'Acknowledgement/In',
        'Update/In',
        'Reassigned/In',
      ]);
      // An unknown reference: the same 401 as a bad signature.
      const unknown = await h.api('POST', '/v1/connectors/provider/inbound/NO-SUCH-REF/messages', JSON.stringify({ message: 'x' }), {
        'content-type': 'application/json',
        authorization: '',
        'webhook-id': 'msg_unknown',
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': new Webhook(secret).sign('msg_unknown', new Date(), JSON.stringify({ message: 'x' })),
      });
      expect(unknown.status).toBe(401);
    });

    it("an outcome or a heartbeat on the task's $callbackUrl lands on the task: success hands it back solved, failure closed (SPEC 10.1)", async () => {
      await silentQueue('outcome-vendor');
      const id = await todoTask();
      expect((await submitTo(id, 'outcome-vendor')).status).toBe(200);
      const url = lastCallbackUrl();
      const before = await log(id);
      // A bare heartbeat changes nothing; one with a note is an update from the provider.
      const beat = await post(`${url}/heartbeat`, {});
      expect(beat.status, JSON.stringify(beat.body)).toBe(200);
      expect(beat.body).toMatchObject({ id, state: 'waiting' });
      expect(await log(id)).toEqual(before);
      const progress = await post(`${url}/heartbeat`, { note: 'Engineer on site' });
      expect(progress.status, JSON.stringify(progress.body)).toBe(200);
      expect((await log(id)).at(-1)).toMatchObject({ requestType: 'Update', direction: 'In', payload: { message: 'Engineer on site' } });

      const success = { outcome: 'success', data: { fix: 'Replaced the fan' }, externalReference: `OUT-${backend.name}` };
      const done = await post(url, success);
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body).toMatchObject({
        id,
        state: 'todo',
        reason: 'updated_by_integration',
        externalReference: `OUT-${backend.name}`,
        solution: { resolution: 'solved', solution: '{"fix":"Replaced the fan"}' },
      });
      const entries = await log(id);
      expect(entries.slice(-2).map((e) => `${e.requestType}/${e.direction}`)).toEqual(['Acknowledgement/In', 'Reassigned/In']);
      // The same outcome again: the same answer, nothing new; another one now: 409, nothing changes.
      const again = await post(url, success);
      expect(again.status).toBe(200);
      expect(again.body.solution).toEqual(done.body.solution);
      expect((await post(url, { outcome: 'failure', reason: 'Cannot' })).status).toBe(409);
      expect(await log(id)).toEqual(entries);

      // Sent to the provider again; this time it gives up: the task comes back closed, with its reason.
      expect((await submitTo(id, 'outcome-vendor')).status).toBe(200);
      const failed = await post(lastCallbackUrl(), { outcome: 'failure', reason: 'Cost centre unknown' });
      expect(failed.status, JSON.stringify(failed.body)).toBe(200);
      expect(failed.body).toMatchObject({ id, state: 'todo', solution: { resolution: 'closed', solution: 'Cost centre unknown' } });

      // Blank text, which an action's callback takes, is taken as no text: not a 422 naming a field the provider never sent.
      expect((await submitTo(id, 'outcome-vendor')).status).toBe(200);
      const blank = await post(lastCallbackUrl(), { outcome: 'failure', reason: ' ', externalReference: '' });
      expect(blank.status, JSON.stringify(blank.body)).toBe(200);
      expect(blank.body).toMatchObject({ id, state: 'todo', solution: { resolution: 'closed', solution: 'Closed by the provider' } });
    });

    it('a submit action whose type completes by callback takes the outcome on its token itself; the task stays with the provider', async () => {
      await actionType(h, {
        name: 'cb-submit',
        connector: 'provider',
        path: '/provider/submit',
        fields,
        completion: { mode: 'callback', timeout: '1h' },
        body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}", "task": "{{ TaskId }}", "script": "none"}' },
      });
      const integration = { connector: 'provider', onAssign: 'cb-submit', onUpdate: 'prv-update', onClose: 'prv-close' };
      expect((await h.api('POST', '/v1/queues', { name: 'cb-vendor', members: ['olga'], integration })).status).toBe(201);
      const id = await todoTask();
      expect((await submitTo(id, 'cb-vendor')).status).toBe(200);
      const url = lastCallbackUrl();
      const submit = (await log(id)).find((e) => e.requestType === 'Submit Request')!.actionId!;
      await h.waitFor(submit, (a) => a.state === 'waiting' && a.phase === 'awaiting_callback');
      const r = await post(url, { outcome: 'success', data: { received: true } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ id: submit, state: 'closed', resolution: 'done_successfully' });
      expect((await h.api('GET', `/v1/actions/${id}`)).body).toMatchObject({ state: 'waiting', queue: 'cb-vendor' });
    });

    it("a process's manual step on an integrated queue is submitted to the provider when its task is created (SPEC 7)", async () => {
      await silentQueue('step-desk');
      const p = await h.api('POST', '/v1/processes', {
        name: 'to-provider',
        steps: [{ name: 'fix', kind: 'manual', title: 'Fix it', queue: 'step-desk' }],
      });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
      const c = (await h.api('POST', '/v1/cases', { process: 'to-provider', title: 'Broken printer' })).body;
      let taskId: string | null = null;
      for (let i = 0; taskId === null && i < 300; i++) {
        taskId = (await h.api('GET', `/v1/cases/${c.id}`)).body.steps[0].actionId;
        if (taskId === null) await new Promise((r) => setTimeout(r, 50));
      }
      const [submit] = await waitLog(taskId!, 1);
      expect(submit).toMatchObject({ requestType: 'Submit Request', direction: 'Out', result: 'Launched step-desk-submit' });
      expect(submit!.payload).toMatchObject({ TaskId: taskId, Title: 'Fix it' });
      expect(await h.waitFor(taskId!, (a) => a.state === 'waiting')).toMatchObject({ queue: 'step-desk', assignee: null });
      // Sent before the next test reads the provider's last submission.
      await h.waitFor(submit!.actionId!, (a) => a.state === 'closed');
      const tl = (await h.api('GET', `/v1/actions/${taskId}/timeline`)).body.items;
      expect(tl.filter((e: { actor: string; message: string }) => e.actor === 'system' && /Submit Request/.test(e.message))).toHaveLength(
        1,
      );
    });
  });
