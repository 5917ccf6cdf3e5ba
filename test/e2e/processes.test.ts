// Whole cases driven through processes over HTTP, with the mock external system, on both stores
// (SPEC 10.1): manual steps picked up and completed, rejected external steps finished by a person,
// map output used by a later step, `when` that skips, no-wait steps, invalid input, idempotent creation.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connector, actionType, type Harness } from '../helpers/harness.ts';
import { actionOf, stepOf, waitForCase } from '../helpers/cases.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';

const closed = (c: any): boolean => c.status === 'closed';

for (const backend of storeHarnesses)
  describe(`${backend.name}: cases moving through processes`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await backend.open();
      await connector(h);
      for (const name of ['olivia', 'quinn', 'rita']) expect((await h.api('POST', '/v1/users', { name })).status).toBe(201);
      await actionType(h, { name: 'order', path: '/ok', fields: { Title: { type: 'string' } }, response: { output: '{ "ticket": id }' } });
      await actionType(h, { name: 'sms', path: '/ok', fields: { To: { type: 'string' }, Text: { type: 'string' } } });
      await actionType(h, { name: 'rejecting', path: '/reject', fields: { Title: { type: 'string' } } });
      await actionType(h, { name: 'prioritise', path: '/ok', fields: { Priority: { type: 'integer' } } });
      const created = await h.api('POST', '/v1/processes', {
        name: 'onboard',
        steps: [
          { name: 'approve', kind: 'manual', title: 'Approve the starter', queue: 'hr' },
          { name: 'order', kind: 'external', actionType: 'order', input: '{ "Title": case.name }' },
          { name: 'shape', kind: 'map', expression: '{ "To": case.mobile, "Text": "Ticket " & steps.order.output.ticket }' },
          { name: 'welcome', kind: 'external', actionType: 'sms', useBodyOf: 'shape', waitForResponse: false, when: 'case.mobile != null' },
        ],
      });
      expect(created.status).toBe(201);
      for (const onFailure of ['stop', 'continue'])
        expect(
          (
            await h.api('POST', '/v1/processes', {
              name: `reject-${onFailure}`,
              steps: [
                { name: 'submit', kind: 'external', actionType: 'rejecting', input: '{ "Title": case.name }', onFailure },
                { name: 'after', kind: 'manual', queue: 'hr' },
              ],
            })
          ).status,
        ).toBe(201);
    });
    afterAll(async () => h?.close());

    it('a manual step is picked up and completed; the order runs, its output is mapped and sent on without waiting; the case closes', async () => {
      const r = await h.api('POST', '/v1/cases', {
        process: 'onboard',
        title: 'Sam joins',
        data: { name: 'Sam', mobile: '+31600000000' },
        owner: 'olivia',
      });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ process: 'onboard', title: 'Sam joins', status: 'open', owner: 'olivia', escalated: false });
      let c = await waitForCase(h, r.body.id, (x) => stepOf(x, 'approve').actionId !== null);
      expect(c.steps.map((s: any) => s.status)).toEqual(['waiting_for_person', 'pending', 'pending', 'pending']);
      const task = await h.api('GET', `/v1/actions/${actionOf(c, 'approve')}`);
      // A manual step is an action with no action type, To Do / Manual on the step's queue.
      expect(task.body).toMatchObject({ actionType: null, state: 'todo', reason: 'manual', queue: 'hr', caseId: c.id });
      expect((await h.api('GET', `/v1/actions?state=todo&queue=hr&caseId=${c.id}`)).body.items.map((a: any) => a.id)).toEqual([
        task.body.id,
      ]);
      expect((await h.api('POST', `/v1/actions/${task.body.id}/pick-up`)).body.state).toBe('in_progress');
      expect((await h.api('POST', `/v1/actions/${task.body.id}/complete`, { resolution: 'done_successfully' })).status).toBe(200);

      c = await waitForCase(h, c.id, closed);
      expect(c.steps).toEqual([
        { name: 'approve', kind: 'manual', status: 'done', actionId: task.body.id, outcome: null, error: null },
        {
          name: 'order',
          kind: 'external',
          status: 'done',
          actionId: expect.any(String),
          outcome: 'ACTION_HANDLED_SUCCESSFUL',
          error: null,
        },
        { name: 'shape', kind: 'map', status: 'done', actionId: null, outcome: null, error: null },
        {
          name: 'welcome',
          kind: 'external',
          status: 'done',
          actionId: expect.any(String),
          outcome: 'QUEUE_ACTION_SUCCESSFUL',
          error: null,
        },
      ]);
      const order = c.actions.find((a: any) => a.id === actionOf(c, 'order'));
      const ticket = order.output.ticket as string;
      expect(ticket).toMatch(/^EXT-/);
      // The map step's result is the next step's input (useBodyOf), and merged into the case data.
      const welcome = c.actions.find((a: any) => a.id === actionOf(c, 'welcome'));
      expect(welcome.input).toEqual({ To: '+31600000000', Text: `Ticket ${ticket}` });
      expect(c.data).toMatchObject({ name: 'Sam', ticket, To: '+31600000000', Text: `Ticket ${ticket}` });
      // One action per step, no more.
      expect(c.actions).toHaveLength(3);
      // The no-wait step's answer lands in the case's data though the case closed without waiting for it.
      await h.waitFor(welcome.id, (a) => a.state === 'closed');
      expect((await h.api('GET', `/v1/cases/${c.id}`)).body.data).toMatchObject({ ok: true, id: expect.stringMatching(/^EXT-/) });
    });

    it("a manual step's task is allocated by its queue when it is created, as any task landing on the queue is", async () => {
      for (const name of ['rita', 'ravi']) await h.api('POST', '/v1/users', { name });
      await h.api('POST', '/v1/queues', { name: 'desk', members: ['rita', 'ravi'], allocation: 'round_robin' });
      await h.api('POST', '/v1/processes', {
        name: 'desk-work',
        steps: [{ name: 'check', kind: 'manual', title: 'Check it', queue: 'desk' }],
      });
      const assignees: string[] = [];
      for (const title of ['first', 'second']) {
        const r = await h.api('POST', '/v1/cases', { process: 'desk-work', title });
        const c = await waitForCase(h, r.body.id, (x) => stepOf(x, 'check').actionId !== null);
        const task = (await h.api('GET', `/v1/actions/${actionOf(c, 'check')}`)).body;
        expect(task).toMatchObject({ state: 'todo', reason: 'manual', queue: 'desk' });
        assignees.push(task.assignee);
        const tl = (await h.api('GET', `/v1/actions/${task.id}/timeline`)).body.items;
        expect(tl.map((e: any) => e.kind)).toEqual(['launched', 'allocated']);
      }
      expect(assignees.sort()).toEqual(['ravi', 'rita']);
    });

    it('a `when` that is false skips its step, and the case closes after it', async () => {
      const r = await h.api('POST', '/v1/cases', { process: 'onboard', title: 'No phone', data: { name: 'Kim' } });
      let c = await waitForCase(h, r.body.id, (x) => stepOf(x, 'approve').actionId !== null);
      await h.api('POST', `/v1/actions/${actionOf(c, 'approve')}/complete`, {});
      c = await waitForCase(h, c.id, closed);
      expect(c.steps.map((s: any) => s.status)).toEqual(['done', 'done', 'done', 'skipped']);
      expect(c.actions).toHaveLength(2);
      expect(c.closedAt).toEqual(expect.any(String));
    });

    it('an external step rejected waits for a person: Done lets the case go on', async () => {
      const r = await h.api('POST', '/v1/cases', { process: 'reject-stop', data: { name: 'Ann' } });
      let c = await waitForCase(h, r.body.id, (x) => stepOf(x, 'submit').status === 'waiting_for_person');
      expect(stepOf(c, 'submit').outcome).toBe('ACTION_HANDLED_FAILED');
      const submit = await h.api('GET', `/v1/actions/${actionOf(c, 'submit')}`);
      expect(submit.body).toMatchObject({ state: 'todo', reason: 'request_rejected' });
      await h.api('POST', `/v1/actions/${submit.body.id}/complete`, { resolution: 'done_successfully', note: 'fixed by phone' });
      c = await waitForCase(h, c.id, (x) => stepOf(x, 'after').status === 'waiting_for_person');
      expect(stepOf(c, 'submit')).toMatchObject({ status: 'done', outcome: 'ACTION_HANDLED_FAILED' });
    });

    it('Not Done with onFailure stop stops the case at the step; with continue it goes on', async () => {
      const stop = (await h.api('POST', '/v1/cases', { process: 'reject-stop', data: { name: 'Bo' } })).body;
      const go = (await h.api('POST', '/v1/cases', { process: 'reject-continue', data: { name: 'Cy' } })).body;
      for (const c of [stop, go]) {
        const w = await waitForCase(h, c.id, (x) => stepOf(x, 'submit').status === 'waiting_for_person');
        await h.api('POST', `/v1/actions/${actionOf(w, 'submit')}/complete`, { resolution: 'not_done_successfully' });
      }
      const going = await waitForCase(h, go.id, (x) => stepOf(x, 'after').status === 'waiting_for_person');
      // Why it failed is on the step (it was kept and never shown: a case stopped at "Failed" without a word).
      expect(stepOf(going, 'submit')).toMatchObject({ status: 'failed', error: 'the action was closed Not Done Successfully' });
      const stopped = await waitForCase(h, stop.id, (x) => stepOf(x, 'submit').status === 'failed');
      // Given time to go wrong, the stopped case has launched nothing more and stays open.
      await new Promise((r) => setTimeout(r, 300));
      const still = (await h.api('GET', `/v1/cases/${stopped.id}`)).body;
      expect(still).toMatchObject({ status: 'open' });
      expect(stepOf(still, 'after')).toMatchObject({ status: 'pending', actionId: null });
      expect(still.actions).toHaveLength(1);
    });

    it('an input that fails the action type fields gives To Do / Invalid Input, and nothing is sent', async () => {
      await h.api('POST', '/v1/processes', {
        name: 'prio',
        steps: [{ name: 'set', kind: 'external', actionType: 'prioritise', input: '{ "Priority": case.priority }' }],
      });
      const sentBefore = h.mock.log.length;
      const r = await h.api('POST', '/v1/cases', { process: 'prio', data: { priority: 'high' } });
      const c = await waitForCase(h, r.body.id, (x) => stepOf(x, 'set').actionId !== null);
      expect(stepOf(c, 'set')).toMatchObject({ status: 'waiting_for_person', outcome: 'ACTION_HANDLED_FAILED' });
      const a = (await h.api('GET', `/v1/actions/${actionOf(c, 'set')}`)).body;
      expect(a).toMatchObject({ state: 'todo', reason: 'invalid_input', input: { Priority: 'high' }, attempts: 0 });
      expect(a.rejectedReason).toContain('Priority');
      await new Promise((r2) => setTimeout(r2, 200));
      expect(h.mock.log.length).toBe(sentBefore);
    });

    it('a map step that fails says why on the step, and the case stops there', async () => {
      expect(
        (
          await h.api('POST', '/v1/processes', {
            name: 'bad-map',
            steps: [
              { name: 'shape', kind: 'map', expression: '$error("Cost centre unknown")' },
              { name: 'after', kind: 'manual', queue: 'desk' },
            ],
          })
        ).status,
      ).toBe(201);
      const r = await h.api('POST', '/v1/cases', { process: 'bad-map', data: {} });
      const c = await waitForCase(h, r.body.id, (x) => stepOf(x, 'shape').status === 'failed');
      expect(stepOf(c, 'shape').error).toContain('Cost centre unknown');
      expect(stepOf(c, 'after')).toMatchObject({ status: 'pending', error: null });
    });

    it('Idempotency-Key: the same body returns the first case; another body is a conflict; one case exists', async () => {
      const key = { 'idempotency-key': `case-key-${backend.name}` };
      const body = { process: 'onboard', title: 'Once', data: { name: 'Once' } };
      const first = await h.api('POST', '/v1/cases', body, key);
      const again = await h.api('POST', '/v1/cases', body, key);
      expect([first.status, again.status]).toEqual([201, 200]);
      expect(again.body.id).toBe(first.body.id);
      const other = await h.api('POST', '/v1/cases', { ...body, title: 'Twice' }, key);
      expect(other.status).toBe(409);
      const listed = (await h.api('GET', '/v1/cases?q=Once')).body.items;
      expect(listed.map((c: any) => c.id)).toEqual([first.body.id]);
      const c = await waitForCase(h, first.body.id, (x) => stepOf(x, 'approve').actionId !== null);
      expect(c.actions).toHaveLength(1);
    });

    it("a case's owner is someone who sees its escalations: a user, or a key acting as its own name; anyone else is refused and nothing changes", async () => {
      const ghost = await h.api('POST', '/v1/cases', { title: 'Ghost-owned', data: {}, owner: 'ghost' });
      expect([ghost.status, ghost.body.errors]).toEqual([
        422,
        [{ field: 'owner', message: expect.stringContaining('would reach nobody') }],
      ]);
      expect((await h.api('GET', '/v1/cases?q=Ghost-owned')).body.items).toEqual([]);
      expect((await h.api('POST', '/v1/users', { name: 'gone' })).status).toBe(201);
      expect((await h.api('PATCH', '/v1/users/gone', { disabled: true })).status).toBe(200);
      const disabled = await h.api('POST', '/v1/cases', { data: {}, owner: 'gone' });
      expect([disabled.status, disabled.body.errors[0].message]).toEqual([422, expect.stringContaining('disabled user')]);
      // The harness's admin key acts as its own name, and reads that name's notifications.
      const mine = await h.api('POST', '/v1/cases', { data: {}, owner: 'CALLOUT_ADMIN_KEY' });
      expect(mine.status).toBe(201);
      const patched = await h.api('PATCH', `/v1/cases/${mine.body.id}`, { owner: 'ghost', title: 'Renamed' });
      expect([patched.status, patched.body.errors[0].field]).toEqual([422, 'owner']);
      expect((await h.api('GET', `/v1/cases/${mine.body.id}`)).body).toMatchObject({ owner: 'CALLOUT_ADMIN_KEY', title: null });
      // A key that acts as a user is that user, not a name of its own.
      await h.callout.apiKeys.create({ name: 'olivia-laptop', roles: ['operator'], user: 'olivia' });
      expect((await h.api('POST', '/v1/cases', { data: {}, owner: 'olivia-laptop' })).status).toBe(422);
      // A key named like a person reads its notifications as key:<name>: that is the owner to name.
      await h.callout.apiKeys.create({ name: 'ci-bot', roles: ['operator'] });
      expect((await h.api('POST', '/v1/cases', { data: {}, owner: 'key:ci-bot' })).status).toBe(201);
      const bare = await h.api('POST', '/v1/cases', { data: {}, owner: 'ci-bot' });
      expect([bare.status, bare.body.errors[0].message]).toEqual([422, expect.stringContaining('reads its notifications as "key:ci-bot"')]);
      // An integration key reads no notifications.
      await h.callout.apiKeys.create({ name: 'ERP_KEY', roles: ['integration'] });
      const erp = await h.api('POST', '/v1/cases', { data: {}, owner: 'ERP_KEY' });
      expect([erp.status, erp.body.errors[0].message]).toEqual([422, expect.stringContaining('cannot read notifications')]);
    });

    it('cases are listed and searched by status, owner, queue, process and text, a page at a time; changed and closed', async () => {
      const a = (await h.api('POST', '/v1/cases', { process: 'onboard', title: 'Search me Zebra', data: { name: 'Zed' }, owner: 'quinn' }))
        .body;
      const b = (await h.api('POST', '/v1/cases', { title: 'Plain one', data: { note: 'zebra crossing' }, owner: 'quinn' })).body;
      await waitForCase(h, a.id, (x) => stepOf(x, 'approve').actionId !== null);
      const ids = async (qs: string) => (await h.api('GET', `/v1/cases?${qs}`)).body.items.map((c: any) => c.id);
      expect(await ids('owner=quinn')).toEqual([b.id, a.id]);
      expect(await ids('owner=quinn&q=ZEBRA')).toEqual([b.id, a.id]);
      expect(await ids('owner=quinn&process=onboard')).toEqual([a.id]);
      expect(await ids('owner=quinn&queue=hr')).toEqual([a.id]);
      expect(await ids('q=%25')).toEqual([]);
      const page = (await h.api('GET', '/v1/cases?owner=quinn&limit=1')).body;
      expect(page.items.map((c: any) => c.id)).toEqual([b.id]);
      expect(await ids(`owner=quinn&limit=1&before=${page.next}`)).toEqual([a.id]);
      expect((await h.api('GET', '/v1/cases?status=sideways')).status).toBe(422);

      const patched = await h.api('PATCH', `/v1/cases/${b.id}`, { title: 'Renamed', data: { extra: 1 }, owner: 'rita' });
      expect(patched.body).toMatchObject({ title: 'Renamed', owner: 'rita', data: { note: 'zebra crossing', extra: 1 } });
      expect((await h.api('PATCH', `/v1/cases/${b.id}`, { status: 'closed' })).status).toBe(422);
      const shut = await h.api('POST', `/v1/cases/${b.id}/close`);
      expect(shut.body).toMatchObject({ status: 'closed', closedAt: expect.any(String) });
      expect(await ids('owner=rita&status=closed')).toEqual([b.id]);
      const late = await h.api('PATCH', `/v1/cases/${b.id}`, { title: 'Too late' });
      expect(late.status).toBe(409);
      expect((await h.api('GET', `/v1/cases/${b.id}`)).body.title).toBe('Renamed');
    });
  });
