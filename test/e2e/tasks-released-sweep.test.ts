// A disabled user keeps no open work, even when the node that disabled them stopped before it had
// given all their tasks back: release() moves the first page before it answers and the rest after,
// and a sweep on every node moves whatever is still with a disabled user. In Progress tasks on a
// queue integrated with a provider go back to the queue's people too, with nothing sent to the provider.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, type Harness } from '../helpers/harness.ts';
import { PROVIDER_FIELDS, storeHarnesses } from '../helpers/store-harnesses.ts';
import { TaskService, type TaskServiceDeps } from '../../src/tasks/service.ts';
import { UserService } from '../../src/users/service.ts';

for (const backend of storeHarnesses)
  describe(`${backend.name}: a disabled user's tasks, given back completely`, () => {
    let h: Harness;
    const keyOf: Record<string, string> = {};
    const as = (who: string): Record<string, string> => ({ authorization: `Bearer ${keyOf[who]}` });
    const todo = async (type: string): Promise<{ id: string; assignee: string | null }> =>
      h.waitFor((await launch(h, type)).id, (x) => x.state === 'todo');
    const open = async (who: string): Promise<string[]> => {
      const ids: string[] = [];
      for (const state of ['todo', 'in_progress'])
        for (const a of (await h.api('GET', `/v1/actions?assignee=${who}&state=${state}&limit=100`)).body.items as Array<{ id: string }>)
          ids.push(a.id);
      return ids;
    };
    const timeline = async (id: string): Promise<string[]> =>
      ((await h.api('GET', `/v1/actions/${id}/timeline`)).body.items as Array<{ message: string }>).map((e) => e.message);
    /** A node's task service (as Callout makes it), with `opts` for its pages. */
    const node = (opts: Partial<TaskServiceDeps> = {}): TaskService =>
      new TaskService({ store: h.callout.store, engine: h.callout.engine, actions: h.callout.actions, ...opts });
    /** `who` disabled through `tasks`, as PATCH /v1/users/{name} does it. */
    const disable = (who: string, tasks: TaskService) =>
      new UserService({ store: h.callout.store, clock: h.callout.clock, tasks }).update(who, { disabled: true }, 'CALLOUT_ADMIN_KEY');
    /** `n` To Do tasks on `type`'s queue given to `who` (the queue's other members' tasks are left to them). */
    const tasksOf = async (who: string, type: string, n: number): Promise<string[]> => {
      const ids: string[] = [];
      while (ids.length < n) {
        const t = await todo(type);
        if (t.assignee === who) ids.push(t.id);
      }
      return ids;
    };

    beforeAll(async () => {
      h = await backend.open({ mock: { keepBodies: true, callbackDelayMs: 40 } });
      // This node's own sweep is held back: each test says when tasks left behind are looked for.
      await h.callout.tasks.stop();
      await connector(h);
      await connector(h, { name: 'provider', baseUrl: h.mock.url });
      for (const name of ['ann', 'ben', 'cat', 'dan', 'vic', 'wes']) {
        expect((await h.api('POST', '/v1/users', { name, displayName: name })).status).toBe(201);
        keyOf[name] = (await h.api('POST', '/v1/api-keys', { name: `${name}-key`, roles: ['operator'], user: name })).body.key;
      }
      expect((await h.api('POST', '/v1/queues', { name: 'desk', members: ['ann', 'ben'], allocation: 'round_robin' })).status).toBe(201);
      expect((await h.api('POST', '/v1/queues', { name: 'help', members: ['cat', 'dan'], allocation: 'round_robin' })).status).toBe(201);
      await actionType(h, { name: 'to-desk', path: '/reject', allocation: { queue: 'desk' } });
      await actionType(h, { name: 'to-help', path: '/reject', allocation: { queue: 'help' } });
    });
    afterAll(async () => h?.close());

    it('more than a page: the first before the change answers, the rest after it', async () => {
      const anns = await tasksOf('ann', 'to-desk', 5);
      expect((await h.api('POST', `/v1/actions/${anns[0]}/pick-up`, {}, as('ann'))).status).toBe(200);
      const later: Array<() => void> = [];
      await disable('ann', node({ releasePage: 2, later: (fn) => later.push(fn) }));
      // A page of To Do tasks and the In Progress one moved; the other To Do tasks wait for the next pages.
      expect(await open('ann')).toHaveLength(2);
      while (later.length > 0) {
        later.shift()!();
        // Each page runs on its own; the next is asked for once it is done.
        for (let i = 0; i < 100 && later.length === 0 && (await open('ann')).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
      }
      expect(await open('ann')).toEqual([]);
      for (const id of anns) {
        expect((await h.api('GET', `/v1/actions/${id}`)).body).toMatchObject({ state: 'todo', queue: 'desk', assignee: 'ben' });
        expect((await timeline(id)).some((m) => m.endsWith(': ann was disabled'))).toBe(true);
      }
    });

    it('a node that stopped before its later pages ran: a sweep by another node gives back the rest', async () => {
      const cats = await tasksOf('cat', 'to-help', 5);
      expect((await h.api('POST', `/v1/actions/${cats[4]}/pick-up`, {}, as('cat'))).status).toBe(200);
      // The node disabling cat stops after its first page: the later pages never run.
      await disable('cat', node({ releasePage: 2, later: () => undefined }));
      const left = await open('cat');
      expect(left).toHaveLength(2);

      // Another node's sweep, a page at a time.
      const other = node({ releasePage: 2 });
      expect(await other.sweep()).toEqual({ moved: 2, full: true });
      expect(await other.sweep()).toEqual({ moved: 0, full: false });
      expect(await open('cat')).toEqual([]);
      for (const id of left) {
        expect((await h.api('GET', `/v1/actions/${id}`)).body).toMatchObject({ state: 'todo', queue: 'help', assignee: 'dan' });
        expect(await timeline(id)).toContain("Moved to queue help by system (it was cat's): cat was disabled");
      }
      for (const id of cats) expect((await h.api('GET', `/v1/actions/${id}`)).body.assignee).toBe('dan');
    });

    it('a running node sweeps by itself, and a task given to someone else meanwhile stays theirs', async () => {
      expect((await h.api('PATCH', '/v1/users/ann', { disabled: false })).status).toBe(200);
      const anns = await tasksOf('ann', 'to-desk', 3);
      await disable('ann', node({ releasePage: 1, later: () => undefined }));
      const left = await open('ann');
      expect(left).toHaveLength(2);
      // Given to dan by hand meanwhile (as the sweep read it, it was ann's): dan keeps it.
      const stale = (await h.callout.store.getAction(left[0]!))!;
      expect((await h.api('POST', `/v1/actions/${left[0]}/assign`, { assignee: 'dan' })).status).toBe(200);
      await expect(
        h.callout.engine.apply(
          stale.id,
          { type: 'assigned', user: 'system', queue: 'desk', from: 'ann', because: 'ann was disabled' },
          stale,
        ),
      ).rejects.toThrow(/no longer ann's/);
      expect((await h.api('GET', `/v1/actions/${left[0]}`)).body.assignee).toBe('dan');

      h.callout.tasks.start();
      try {
        await h.waitFor(left[1]!, (a) => a.assignee === 'ben');
      } finally {
        await h.callout.tasks.stop();
      }
      expect(await open('ann')).toEqual([]);
      expect((await h.api('GET', `/v1/actions/${left[0]}`)).body.assignee).toBe('dan');
      expect(anns).toContain(left[1]);
      // Nothing left to give back: a sweep finds nothing.
      expect(await node().sweep()).toEqual({ moved: 0, full: false });
    });

    it('an In Progress task on an integrated queue goes back to the queue’s people; nothing is sent to the provider again', async () => {
      const type = (name: string, path: string, template: string) =>
        actionType(h, { name, connector: 'provider', path, fields: PROVIDER_FIELDS, body: { format: 'json', template } });
      await type('prv-submit', '/provider/submit', '{"callbackUrl": "{{ $callbackUrl }}", "task": "{{ TaskId }}", "title": "{{ Title }}"}');
      await type('prv-update', '/provider/update', '{"task": "{{ TaskId }}", "note": "{{ Note }}", "ref": "{{ ExternalReference }}"}');
      await type('prv-close', '/provider/close', '{"ref": "{{ ExternalReference }}", "note": "{{ Note }}"}');
      const integration = { connector: 'provider', onAssign: 'prv-submit', onUpdate: 'prv-update', onClose: 'prv-close' };
      const q = await h.api('POST', '/v1/queues', { name: 'outsourced', members: ['vic', 'wes'], allocation: 'round_robin', integration });
      expect(q.status, JSON.stringify(q.body)).toBe(201);

      // Sent to the provider, who acknowledges it and hands it back solved: To Do with a member, who picks it up.
      const { id } = await todo('to-help');
      expect((await h.api('POST', `/v1/actions/${id}/assign`, { queue: 'outsourced' })).status).toBe(200);
      const back = await h.waitFor(id, (a) => a.state === 'todo' && a.queue === 'outsourced' && a.assignee !== null);
      const holder = back.assignee!;
      const other = holder === 'vic' ? 'wes' : 'vic';
      expect((await h.api('POST', `/v1/actions/${id}/pick-up`, {}, as(holder))).status).toBe(200);
      const submits = h.mock.log.filter((e) => e.path === '/provider/submit').length;

      expect((await h.api('PATCH', `/v1/users/${holder}`, { disabled: true })).status).toBe(200);
      const now = (await h.api('GET', `/v1/actions/${id}`)).body;
      // Still the provider's answer to decide on, now by another member; the task is not submitted again.
      expect(now).toMatchObject({ state: 'todo', reason: 'updated_by_integration', queue: 'outsourced', assignee: other });
      expect(now.solution).toMatchObject({ resolution: 'solved' });
      const log = (await h.api('GET', `/v1/actions/${id}/integration-log`)).body.items as Array<{ requestType: string; direction: string }>;
      expect(log.filter((e) => e.requestType === 'Submit Request' && e.direction === 'Out')).toHaveLength(1);
      expect(h.mock.log.filter((e) => e.path === '/provider/submit')).toHaveLength(submits);
      expect(await timeline(id)).toContain(`Moved to queue outsourced by CALLOUT_ADMIN_KEY (taken from ${holder}): ${holder} was disabled`);
    });
  });
