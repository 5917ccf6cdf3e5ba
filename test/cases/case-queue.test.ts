// A case's own queue (SPEC 1: a case has an owner and a queue) and tasks added to a case by hand
// (POST /v1/cases/{id}/tasks). The queue is named on create and PATCH, shown by name, found by the
// cases list's `queue` filter, and is where a manual step that names no queue and a task added without
// one go. Bad input is a 422 naming the field and changes nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, type Harness } from '../helpers/harness.ts';
import { waitForCase } from '../helpers/cases.ts';
import { PROVIDER_FIELDS, storeHarnesses } from '../helpers/store-harnesses.ts';

const fieldsOf = (body: { errors?: Array<{ field: string }> }): string[] => (body.errors ?? []).map((e) => e.field);

for (const backend of storeHarnesses)
  describe(`${backend.name}: a case's queue and the tasks added to it`, () => {
    let h: Harness;
    let builderKey: string;

    beforeAll(async () => {
      h = await backend.open();
      for (const name of ['alice', 'bob', 'carol', 'dan']) expect((await h.api('POST', '/v1/users', { name })).status).toBe(201);
      expect((await h.api('PATCH', '/v1/users/dan', { disabled: true })).status).toBe(200);
      expect((await h.api('POST', '/v1/queues', { name: 'hr', members: ['alice', 'bob', 'dan'], allocation: 'round_robin' })).status).toBe(
        201,
      );
      expect((await h.api('POST', '/v1/queues', { name: 'it', members: ['carol'], allocation: 'none' })).status).toBe(201);
      const k = await h.api('POST', '/v1/api-keys', { name: 'builder-bee', roles: ['builder'] });
      expect(k.status, JSON.stringify(k.body)).toBe(201);
      builderKey = k.body.key as string;
    });
    afterAll(async () => h?.close());

    /** A process whose one manual step names no queue (new here: a manual step's queue was required). */
    let approve: Promise<void> | undefined;
    const approveProcess = (): Promise<void> =>
      (approve ??= h
        .api('POST', '/v1/processes', { name: 'approve', steps: [{ name: 'approve', kind: 'manual', title: 'Approve it' }] })
        .then((p) => expect(p.status, JSON.stringify(p.body)).toBe(201)));

    const listIds = async (query: string): Promise<string[]> =>
      ((await h.api('GET', `/v1/cases?${query}`)).body.items as Array<{ id: string }>).map((c) => c.id);

    it('a case is created on a queue, shows it by name, and PATCH changes it or clears it with null', async () => {
      const c = await h.api('POST', '/v1/cases', { title: 'Laptop', queue: 'hr' });
      expect(c.status, JSON.stringify(c.body)).toBe(201);
      expect(c.body.queue).toBe('hr');
      expect((await h.api('GET', `/v1/cases/${c.body.id}`)).body.queue).toBe('hr');
      const listed = (await h.api('GET', '/v1/cases?limit=500')).body.items.find((x: { id: string }) => x.id === c.body.id);
      expect(listed.queue).toBe('hr');
      expect((await h.api('PATCH', `/v1/cases/${c.body.id}`, { queue: 'it' })).body.queue).toBe('it');
      expect((await h.api('PATCH', `/v1/cases/${c.body.id}`, { title: 'Laptop!' })).body.queue).toBe('it');
      const cleared = await h.api('PATCH', `/v1/cases/${c.body.id}`, { queue: null });
      expect(cleared.status).toBe(200);
      expect(cleared.body.queue).toBeNull();
      expect((await h.api('GET', `/v1/cases/${c.body.id}`)).body.queue).toBeNull();
      expect((await h.api('POST', '/v1/cases', { title: 'none' })).body.queue).toBeNull();
    });

    it('GET /v1/cases?queue= finds cases whose own queue it is as well as those with open work on it', async () => {
      const own = (await h.api('POST', '/v1/cases', { title: 'own', queue: 'it' })).body.id as string;
      const other = (await h.api('POST', '/v1/cases', { title: 'other', queue: 'hr' })).body.id as string;
      const working = (await h.api('POST', '/v1/cases', { title: 'working' })).body.id as string;
      expect((await h.api('POST', `/v1/cases/${working}/tasks`, { title: 'Do it', queue: 'it' })).status).toBe(201);
      const onIt = await listIds('queue=it&limit=500');
      expect(onIt).toContain(own);
      expect(onIt).toContain(working);
      expect(onIt).not.toContain(other);
    });

    it('refuses an unknown queue, a 10,000-character one and one of the wrong type, naming `queue`, and changes nothing', async () => {
      const before = (await h.api('GET', '/v1/cases?limit=500')).body.items.length as number;
      for (const queue of ['nope', 'x'.repeat(10_000), 7, '', ['hr'], { name: 'hr' }]) {
        const r = await h.api('POST', '/v1/cases', { title: 'bad', queue });
        expect(r.status, JSON.stringify(queue).slice(0, 40)).toBe(422);
        expect(
          fieldsOf(r.body).some((f) => f.includes('queue')),
          JSON.stringify(r.body).slice(0, 300),
        ).toBe(true);
      }
      expect((await h.api('GET', '/v1/cases?limit=500')).body.items.length).toBe(before);
      const c = (await h.api('POST', '/v1/cases', { title: 'kept', queue: 'hr' })).body.id as string;
      for (const queue of ['nope', 'x'.repeat(10_000), 7, false]) {
        const r = await h.api('PATCH', `/v1/cases/${c}`, { queue, title: 'changed' });
        expect(r.status).toBe(422);
        expect(fieldsOf(r.body).some((f) => f.includes('queue'))).toBe(true);
      }
      const after = (await h.api('GET', `/v1/cases/${c}`)).body;
      expect(after.queue).toBe('hr');
      expect(after.title).toBe('kept');
    });

    it("a manual step that names no queue puts its task on the case's queue, allocated by it; on a case without one, on none", async () => {
      await approveProcess();
      const c = await h.api('POST', '/v1/cases', { process: 'approve', title: 'Ann joins', queue: 'hr' });
      expect(c.status, JSON.stringify(c.body)).toBe(201);
      const run = await waitForCase(h, c.body.id, (x) => x.steps[0].actionId !== null);
      const task = (await h.api('GET', `/v1/actions/${run.steps[0].actionId}`)).body;
      expect(task).toMatchObject({ state: 'todo', reason: 'manual', queue: 'hr' });
      expect(['alice', 'bob']).toContain(task.assignee);

      const bare = await h.api('POST', '/v1/cases', { process: 'approve', title: 'No queue' });
      const bareRun = await waitForCase(h, bare.body.id, (x) => x.steps[0].actionId !== null);
      expect(bareRun.steps[0].status).toBe('waiting_for_person');
      expect((await h.api('GET', `/v1/actions/${bareRun.steps[0].actionId}`)).body).toMatchObject({
        state: 'todo',
        queue: null,
        assignee: null,
      });
    });

    it("a task added without a queue goes to the case's queue and is allocated by it; with one, to that queue", async () => {
      const c = (await h.api('POST', '/v1/cases', { title: 'Onboard', queue: 'hr' })).body.id as string;
      const r = await h.api('POST', `/v1/cases/${c}/tasks`, { title: 'Call the new starter', note: 'before Monday' });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.headers.location).toBe(`/v1/actions/${r.body.id}`);
      expect(r.body).toMatchObject({ caseId: c, actionType: null, state: 'todo', reason: 'manual', queue: 'hr' });
      expect(['alice', 'bob']).toContain(r.body.assignee);
      const timeline = JSON.stringify((await h.api('GET', `/v1/actions/${r.body.id}/timeline`)).body.items);
      expect(timeline).toContain('Call the new starter');
      expect(timeline).toContain('before Monday');
      expect(timeline).toContain('user:CALLOUT_ADMIN_KEY');

      const onIt = await h.api('POST', `/v1/cases/${c}/tasks`, { title: 'Order a desk', queue: 'it' });
      expect(onIt.body).toMatchObject({ queue: 'it', assignee: null });
      const toCarol = await h.api('POST', `/v1/cases/${c}/tasks`, { title: 'Badge', queue: 'it', assignee: 'carol' });
      expect(toCarol.body).toMatchObject({ queue: 'it', assignee: 'carol', state: 'todo' });
      const ids = ((await h.api('GET', `/v1/actions?caseId=${c}`)).body.items as Array<{ id: string }>).map((a) => a.id);
      expect(ids).toEqual(expect.arrayContaining([r.body.id, onIt.body.id, toCarol.body.id]));
    });

    it('refuses a task with no queue anywhere, an unknown queue or assignee, one not in the queue, disabled, or of the wrong types; nothing is added', async () => {
      const plain = (await h.api('POST', '/v1/cases', { title: 'plain' })).body.id as string;
      const onHr = (await h.api('POST', '/v1/cases', { title: 'on hr', queue: 'hr' })).body.id as string;
      const cases: Array<[string, unknown, string]> = [
        [plain, { title: 'x' }, 'queue'],
        [onHr, { title: 'x', queue: 'nope' }, 'queue'],
        [onHr, { title: 'x', queue: 'q'.repeat(10_000) }, 'queue'],
        [onHr, { title: 'x', assignee: 'nobody' }, 'assignee'],
        [onHr, { title: 'x', assignee: 'carol' }, 'assignee'],
        [onHr, { title: 'x', assignee: 'dan' }, 'assignee'],
        [onHr, { title: 'x', queue: 7 }, 'queue'],
        [onHr, { title: 7 }, 'title'],
        [onHr, { title: '' }, 'title'],
        [onHr, { title: '   ' }, 'title'],
        [onHr, { title: 't'.repeat(10_000) }, 'title'],
        [onHr, {}, 'title'],
        [onHr, { title: 'x', extra: 1 }, 'extra'],
        [onHr, { title: 'x', note: 5 }, 'note'],
      ];
      for (const [kase, body, field] of cases) {
        const r = await h.api('POST', `/v1/cases/${kase}/tasks`, body);
        expect(r.status, JSON.stringify(body).slice(0, 60)).toBe(422);
        expect(JSON.stringify(r.body), JSON.stringify(body).slice(0, 60)).toContain(field);
      }
      for (const kase of [plain, onHr]) expect((await h.api('GET', `/v1/actions?caseId=${kase}`)).body.items).toEqual([]);
      expect((await h.api('POST', '/v1/cases/no-such-case/tasks', { title: 'x', queue: 'hr' })).status).toBe(404);
      // Who may change a case may add tasks to it; a builder may not.
      const denied = await h.api('POST', `/v1/cases/${onHr}/tasks`, { title: 'x' }, { authorization: `Bearer ${builderKey}` });
      expect(denied.status).toBe(403);
      expect((await h.api('GET', `/v1/actions?caseId=${onHr}`)).body.items).toEqual([]);
    });

    it('a queue named in another case (as /v1/queues/{name} finds it) is refused naming the queue meant: a task, a case, an assignment', async () => {
      const meant = 'no queue "HR" exists; queue names are exact here: did you mean "hr"?';
      const onHr = (await h.api('POST', '/v1/cases', { title: 'on hr', queue: 'hr' })).body.id as string;
      expect((await h.api('GET', '/v1/queues/HR')).body.name).toBe('hr');
      const task = await h.api('POST', `/v1/cases/${onHr}/tasks`, { title: 'x', queue: 'HR' });
      expect([task.status, task.body.errors]).toEqual([422, [{ field: 'queue', message: meant }]]);
      expect((await h.api('GET', `/v1/actions?caseId=${onHr}`)).body.items).toEqual([]);
      const kase = await h.api('POST', '/v1/cases', { title: 'x', queue: 'HR' });
      expect([kase.status, kase.body.errors]).toEqual([422, [{ field: 'queue', message: meant }]]);
      const t = (await h.api('POST', `/v1/cases/${onHr}/tasks`, { title: 'y' })).body.id as string;
      const moved = await h.api('POST', `/v1/actions/${t}/assign`, { queue: 'HR' });
      expect([moved.status, moved.body.errors]).toEqual([422, [{ field: 'queue', message: meant }]]);
      expect((await h.api('POST', `/v1/cases/${onHr}/tasks`, { title: 'x', queue: 'nope' })).body.errors).toEqual([
        { field: 'queue', message: 'no queue "nope" exists' },
      ]);
      // As a filter (the list, its counts, a saved view, a bulk replay) it found nothing without a word.
      for (const path of ['/v1/actions?queue=HR', '/v1/actions/counts?queue=HR']) {
        const r = await h.api('GET', path);
        expect([r.status, r.body.errors], path).toEqual([422, [{ field: 'queue', message: meant }]]);
      }
      const view = await h.api('POST', '/v1/views', { name: 'HR desk', screen: 'work', query: 'queue=HR' });
      expect([view.status, view.body.errors]).toEqual([422, [{ field: 'query.queue', message: meant }]]);
      const replay = await h.api('POST', '/v1/bulk-replays', { operation: 'retry', dryRun: true, filter: { queue: 'HR' } });
      expect([replay.status, replay.body.errors]).toEqual([422, [{ field: 'filter.queue', message: meant }]]);
      // The exact name filters; so does any name no queue has (a deleted queue's tasks keep it).
      expect((await h.api('GET', '/v1/actions?queue=hr')).body.items.length).toBeGreaterThan(0);
      expect((await h.api('GET', '/v1/actions?queue=gone-desk')).body.items).toEqual([]);
      expect((await h.api('GET', '/v1/actions/counts?queue=gone-desk')).status).toBe(200);
      // A name actions carry filters, whatever case the queues have: an action type's allocation names
      // its queue as written, and a review found its tasks could no longer be listed.
      await connector(h, { name: 'hr-desk' });
      await actionType(h, { name: 'refused-to-HR', connector: 'hr-desk', path: '/status/400', allocation: { queue: 'HR' } });
      const onHR = await h.api('POST', '/v1/actions', { actionType: 'refused-to-HR' });
      expect((await h.waitFor(onHR.body.id as string, (a) => a.state === 'todo', 10_000)).queue).toBe('HR');
      expect((await h.api('GET', '/v1/actions?queue=HR')).body.items.map((a: { id: string }) => a.id)).toEqual([onHR.body.id]);
      expect((await h.api('GET', '/v1/actions/counts?queue=HR')).body.states.todo).toBe(1);
    });

    it("an integration key adds a task for the queue to allocate, but may not give it to a person (assigning is an operator's, as POST /v1/actions/{id}/assign)", async () => {
      const onHr = (await h.api('POST', '/v1/cases', { title: 'from a CRM', queue: 'hr' })).body.id as string;
      const k = await h.api('POST', '/v1/api-keys', { name: 'crm-sync', roles: ['integration'] });
      expect(k.status, JSON.stringify(k.body)).toBe(201);
      const crm = { authorization: `Bearer ${k.body.key as string}` };
      const given = await h.api('POST', `/v1/cases/${onHr}/tasks`, { title: 'Call back', assignee: 'bob' }, crm);
      expect(given.status, JSON.stringify(given.body)).toBe(403);
      expect(given.headers['content-type']).toContain('application/problem+json');
      expect(fieldsOf(given.body)).toEqual(['assignee']);
      expect((await h.api('GET', `/v1/actions?caseId=${onHr}`)).body.items).toEqual([]);
      // The same key without an assignee: the queue allocates it.
      const queued = await h.api('POST', `/v1/cases/${onHr}/tasks`, { title: 'Call back' }, crm);
      expect(queued.status, JSON.stringify(queued.body)).toBe(201);
      expect(queued.body.queue).toBe('hr');
      // An operator's key may still name the person.
      const op = await h.api('POST', '/v1/api-keys', { name: 'desk-op', roles: ['operator'] });
      const named = await h.api(
        'POST',
        `/v1/cases/${onHr}/tasks`,
        { title: 'Visit', assignee: 'bob' },
        {
          authorization: `Bearer ${op.body.key as string}`,
        },
      );
      expect(named.status, JSON.stringify(named.body)).toBe(201);
      expect(named.body.assignee).toBe('bob');
    });

    it('the person a task is given to as it is added is told (task.assigned, as POST /v1/actions/{id}/assign tells them); not one who gives it to themselves, nor again on a repeat', async () => {
      const keyOf = async (user: string): Promise<Record<string, string>> => {
        const k = await h.api('POST', '/v1/api-keys', { name: `${user}-desk`, roles: ['operator'], user });
        expect(k.status, JSON.stringify(k.body)).toBe(201);
        return { authorization: `Bearer ${k.body.key as string}` };
      };
      const alice = await keyOf('alice');
      const bob = await keyOf('bob');
      const c = (await h.api('POST', '/v1/cases', { title: 'Contract', queue: 'hr' })).body.id as string;
      const told = async (who: Record<string, string>): Promise<Array<{ kind: string; actionId: string; message: string }>> =>
        (
          (await h.api('GET', '/v1/notifications', undefined, who)).body.items as Array<{
            kind: string;
            actionId: string;
            message: string;
            caseId: string;
          }>
        ).filter((n) => n.caseId === c);

      const key = { 'idempotency-key': `give-${backend.name}` };
      const forBob = await h.api('POST', `/v1/cases/${c}/tasks`, { title: 'Sign the contract', assignee: 'bob' }, { ...alice, ...key });
      expect(forBob.status, JSON.stringify(forBob.body)).toBe(201);
      expect(forBob.body).toMatchObject({ assignee: 'bob', queue: 'hr' });
      const once = [
        expect.objectContaining({
          kind: 'task.assigned',
          actionId: forBob.body.id,
          message: `alice assigned task ${forBob.body.id} on queue hr to you`,
        }),
      ];
      expect(await told(bob)).toEqual(once);
      // The same request again answers the same task and tells no one again.
      const again = await h.api('POST', `/v1/cases/${c}/tasks`, { title: 'Sign the contract', assignee: 'bob' }, { ...alice, ...key });
      expect([again.status, again.body.id]).toEqual([200, forBob.body.id]);
      expect(await told(bob)).toEqual(once);

      // Given to oneself, by `me` or by name: no one is told.
      for (const assignee of ['me', 'alice']) {
        const own = await h.api('POST', `/v1/cases/${c}/tasks`, { title: `Mine (${assignee})`, assignee }, alice);
        expect(own.status, JSON.stringify(own.body)).toBe(201);
        expect(own.body.assignee).toBe('alice');
      }
      expect(await told(alice)).toEqual([]);
      // The same words as the assign path's: one of alice's tasks handed to bob.
      const mine = (await h.api('GET', `/v1/actions?caseId=${c}&assignee=alice`)).body.items as Array<{ id: string }>;
      expect((await h.api('POST', `/v1/actions/${mine[0]!.id}/assign`, { assignee: 'bob' }, alice)).status).toBe(200);
      expect((await told(bob)).map((n) => n.message)).toEqual([
        `alice assigned task ${mine[0]!.id} on queue hr to you`,
        `alice assigned task ${forBob.body.id} on queue hr to you`,
      ]);
    });

    it('refuses a task on a closed case with 409, and closing a case closes the tasks added to it', async () => {
      const c = (await h.api('POST', '/v1/cases', { title: 'closing', queue: 'it' })).body.id as string;
      const t = (await h.api('POST', `/v1/cases/${c}/tasks`, { title: 'Open work' })).body.id as string;
      expect((await h.api('POST', `/v1/cases/${c}/close`)).body.status).toBe('closed');
      const a = await h.waitFor(t, (x) => x.state === 'closed', 5_000);
      expect(a.resolution).toBe('not_done_successfully');
      const r = await h.api('POST', `/v1/cases/${c}/tasks`, { title: 'Too late' });
      expect(r.status).toBe(409);
      expect((await h.api('GET', `/v1/actions?caseId=${c}`)).body.items).toHaveLength(1);
    });

    it('a case closed while a task is added closes that task too, and the request is told (409)', async () => {
      const c = (await h.api('POST', '/v1/cases', { title: 'racing', queue: 'it' })).body.id as string;
      const store = h.callout.store;
      const insert = store.insertActions.bind(store);
      // The close lands after the task's request read the case open, before its insert.
      store.insertActions = async (items) => {
        store.insertActions = insert;
        expect((await h.api('POST', `/v1/cases/${c}/close`)).body.status).toBe('closed');
        return insert(items);
      };
      try {
        const r = await h.api('POST', `/v1/cases/${c}/tasks`, { title: 'Late' });
        expect(r.status, JSON.stringify(r.body)).toBe(409);
      } finally {
        store.insertActions = insert;
      }
      const items = (await h.api('GET', `/v1/actions?caseId=${c}`)).body.items as Array<{ state: string; resolution: string }>;
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ state: 'closed', resolution: 'not_done_successfully' });
    });

    it("a task added to a process's case does not hold the process: the last step done closes the case as before", async () => {
      await approveProcess();
      const c = (await h.api('POST', '/v1/cases', { process: 'approve', title: 'Ben joins', queue: 'hr' })).body.id as string;
      const run = await waitForCase(h, c, (x) => x.steps[0].actionId !== null);
      const extra = (await h.api('POST', `/v1/cases/${c}/tasks`, { title: 'Extra check', queue: 'it' })).body.id as string;
      const done = await h.api('POST', `/v1/actions/${run.steps[0].actionId}/complete`, { resolution: 'done_successfully' });
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      const closed = await waitForCase(h, c, (x) => x.status === 'closed');
      expect(closed.steps[0].status).toBe('done');
      // It stays workable, as an action launched onto the case by hand does; closing the case (again) closes it.
      expect((await h.api('GET', `/v1/actions/${extra}`)).body.state).toBe('todo');
      expect((await h.api('POST', `/v1/cases/${c}/close`)).status).toBe(200);
      expect((await h.waitFor(extra, (x) => x.state === 'closed', 5_000)).resolution).toBe('not_done_successfully');
    });

    it('the same Idempotency-Key twice adds one task and answers it again; with another body, 409', async () => {
      const c = (await h.api('POST', '/v1/cases', { title: 'idem', queue: 'it' })).body.id as string;
      const other = (await h.api('POST', '/v1/cases', { title: 'idem-2', queue: 'it' })).body.id as string;
      const key = { 'idempotency-key': `task-${backend.name}` };
      const first = await h.api('POST', `/v1/cases/${c}/tasks`, { title: 'Once' }, key);
      const again = await h.api('POST', `/v1/cases/${c}/tasks`, { title: 'Once' }, key);
      expect(first.status).toBe(201);
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);
      expect((await h.api('POST', `/v1/cases/${c}/tasks`, { title: 'Twice' }, key)).status).toBe(409);
      expect((await h.api('POST', `/v1/cases/${other}/tasks`, { title: 'Once' }, key)).status).toBe(409);
      expect((await h.api('GET', `/v1/actions?caseId=${c}`)).body.items).toHaveLength(1);
      expect((await h.api('GET', `/v1/actions?caseId=${other}`)).body.items).toHaveLength(0);
    });

    it("an action whose type names no queue lands in To Do on its case's queue, allocated there; a type's own queue comes first", async () => {
      await connector(h, { name: 'desk' });
      await actionType(h, { name: 'refused', connector: 'desk', path: '/status/400' });
      await actionType(h, { name: 'refused-to-it', connector: 'desk', path: '/status/400', allocation: { queue: 'it' } });
      const onHr = (await h.api('POST', '/v1/cases', { title: 'refusals', queue: 'hr' })).body.id as string;
      const plain = (await h.api('POST', '/v1/cases', { title: 'refusals, no queue' })).body.id as string;
      const launch = async (actionType: string, caseId: string): Promise<string> => {
        const r = await h.api('POST', '/v1/actions', { actionType, caseId });
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        return r.body.id as string;
      };
      const toCase = await h.waitFor(await launch('refused', onHr), (a) => a.state === 'todo', 10_000);
      expect(toCase).toMatchObject({ reason: 'request_rejected', queue: 'hr' });
      expect(['alice', 'bob']).toContain(toCase.assignee);
      expect(JSON.stringify((await h.api('GET', `/v1/actions/${toCase.id}/timeline`)).body.items)).toContain("its case's queue");
      expect(await h.waitFor(await launch('refused-to-it', onHr), (a) => a.state === 'todo', 10_000)).toMatchObject({
        queue: 'it',
        assignee: null,
      });
      expect(await h.waitFor(await launch('refused', plain), (a) => a.state === 'todo', 10_000)).toMatchObject({
        queue: null,
        assignee: null,
      });
    });

    it("a task added on a queue integrated with a provider is submitted to it, as a step's task is", async () => {
      await connector(h);
      for (const name of ['submit', 'update', 'close', 'reject'])
        await actionType(h, { name: `prv-${name}`, path: '/ok', fields: PROVIDER_FIELDS });
      const integration = {
        connector: 'vendor',
        onAssign: 'prv-submit',
        onUpdate: 'prv-update',
        onClose: 'prv-close',
        onResolutionRejected: 'prv-reject',
      };
      expect((await h.api('POST', '/v1/queues', { name: 'vendor-desk', integration })).status).toBe(201);
      const c = (await h.api('POST', '/v1/cases', { title: 'printer', queue: 'vendor-desk' })).body.id as string;
      const t = await h.api('POST', `/v1/cases/${c}/tasks`, { title: 'Fix the printer' });
      expect(t.status, JSON.stringify(t.body)).toBe(201);
      await expect
        .poll(
          async () =>
            ((await h.api('GET', `/v1/actions/${t.body.id}/integration-log`)).body.items as Array<{ requestType: string }>).map(
              (e) => e.requestType,
            ),
          {
            timeout: 10_000,
          },
        )
        .toContain('Submit Request');

      // A node that stopped between the insert and the submission: the client's repeat (same key)
      // submits it, once; a further repeat sends nothing again.
      const integrations = h.callout.engine.integrations;
      h.callout.engine.integrations = null;
      const key = { 'idempotency-key': 'printer-2' };
      const first = await h.api('POST', `/v1/cases/${c}/tasks`, { title: 'Fix the fax' }, key);
      h.callout.engine.integrations = integrations;
      expect(first.status, JSON.stringify(first.body)).toBe(201);
      expect((await h.api('GET', `/v1/actions/${first.body.id}/integration-log`)).body.items).toEqual([]);
      const again = await h.api('POST', `/v1/cases/${c}/tasks`, { title: 'Fix the fax' }, key);
      expect(again.status, JSON.stringify(again.body)).toBe(200);
      expect(again.body.id).toBe(first.body.id);
      const submitted = async () =>
        ((await h.api('GET', `/v1/actions/${first.body.id}/integration-log`)).body.items as Array<{ requestType: string }>).filter(
          (e) => e.requestType === 'Submit Request',
        ).length;
      await expect.poll(submitted, { timeout: 10_000 }).toBe(1);
      expect((await h.api('POST', `/v1/cases/${c}/tasks`, { title: 'Fix the fax' }, key)).status).toBe(200);
      expect(await submitted()).toBe(1);

      // Given to a person on such a queue, the task stays theirs (as /assign with a queue and a person
      // leaves it): it is not handed to the provider, which would drop the person the request named.
      expect((await h.api('POST', '/v1/queues', { name: 'vendor-people', members: ['carol'], integration })).status).toBe(201);
      const given = await h.api('POST', `/v1/cases/${c}/tasks`, { title: 'Fix the scanner', queue: 'vendor-people', assignee: 'carol' });
      expect(given.status, JSON.stringify(given.body)).toBe(201);
      expect(given.body).toMatchObject({ state: 'todo', reason: 'manual', queue: 'vendor-people', assignee: 'carol' });
      expect((await h.api('GET', `/v1/actions/${given.body.id}/integration-log`)).body.items).toEqual([]);
      expect((await h.api('GET', `/v1/actions/${given.body.id}`)).body).toMatchObject({ state: 'todo', assignee: 'carol' });
    });
  });
