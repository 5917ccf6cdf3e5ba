// Work given to someone who can no longer do it goes back to its queue: a disabled user's open tasks
// (To Do and In Progress), and the To Do tasks of a member who leaves a queue, are moved back for the
// queue's allocation to pick someone else. They used to stay on that person's list for ever.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, type Harness } from '../helpers/harness.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';

for (const backend of storeHarnesses)
  describe(`${backend.name}: tasks of a person who cannot do them`, () => {
    let h: Harness;
    const keyOf: Record<string, string> = {};
    const as = (who: string): Record<string, string> => ({ authorization: `Bearer ${keyOf[who]}` });
    const todo = async (type: string): Promise<{ id: string; assignee: string | null }> =>
      h.waitFor((await launch(h, type)).id, (x) => x.state === 'todo');
    const timeline = async (id: string): Promise<string[]> =>
      ((await h.api('GET', `/v1/actions/${id}/timeline`)).body.items as Array<{ message: string }>).map((e) => e.message);

    beforeAll(async () => {
      h = await backend.open();
      // This node's sweep would at times give back a task just disabled as `system` before the change
      // itself does (as another node's may): the timelines below are the change's own words.
      await h.callout.tasks.stop();
      await connector(h);
      for (const name of ['ann', 'ben', 'cat', 'dan']) {
        expect((await h.api('POST', '/v1/users', { name, displayName: name })).status).toBe(201);
        keyOf[name] = (await h.api('POST', '/v1/api-keys', { name: `${name}-key`, roles: ['operator'], user: name })).body.key;
      }
      expect((await h.api('POST', '/v1/queues', { name: 'desk', members: ['ann', 'ben'], allocation: 'round_robin' })).status).toBe(201);
      expect((await h.api('POST', '/v1/queues', { name: 'help', members: ['cat', 'dan'], allocation: 'round_robin' })).status).toBe(201);
      await actionType(h, { name: 'to-desk', path: '/reject', allocation: { queue: 'desk' } });
      await actionType(h, { name: 'to-help', path: '/reject', allocation: { queue: 'help' } });
    });
    afterAll(async () => h?.close());

    it('a disabled user’s To Do and In Progress tasks go back to their queue, which gives them to another member', async () => {
      const tasks = [await todo('to-desk'), await todo('to-desk'), await todo('to-desk'), await todo('to-desk')];
      const anns = tasks.filter((t) => t.assignee === 'ann');
      expect(anns).toHaveLength(2);
      expect((await h.api('POST', `/v1/actions/${anns[0]!.id}/pick-up`, {}, as('ann'))).status).toBe(200);

      const off = await h.api('PATCH', '/v1/users/ann', { disabled: true });
      expect(off.status).toBe(200);
      expect((await h.api('GET', '/v1/actions?assignee=ann&state=todo')).body.items).toEqual([]);
      expect((await h.api('GET', '/v1/actions?assignee=ann&state=in_progress')).body.items).toEqual([]);
      for (const t of anns) {
        const a = (await h.api('GET', `/v1/actions/${t.id}`)).body;
        expect(a).toMatchObject({ state: 'todo', queue: 'desk', assignee: 'ben' });
        expect(await timeline(t.id)).toContain(
          `Moved to queue desk by CALLOUT_ADMIN_KEY (${t === anns[0] ? 'taken from ann' : "it was ann's"}): ann was disabled`,
        );
      }
      // Ben's own tasks stay his.
      for (const t of tasks.filter((x) => x.assignee === 'ben'))
        expect((await h.api('GET', `/v1/actions/${t.id}`)).body.assignee).toBe('ben');
    });

    it('a member who leaves a queue gives back its To Do tasks; what they picked up stays theirs to finish', async () => {
      const tasks = [await todo('to-help'), await todo('to-help'), await todo('to-help'), await todo('to-help')];
      const cats = tasks.filter((t) => t.assignee === 'cat');
      expect(cats).toHaveLength(2);
      expect((await h.api('POST', `/v1/actions/${cats[0]!.id}/pick-up`, {}, as('cat'))).status).toBe(200);

      const left = await h.api('PATCH', '/v1/queues/help', { members: ['dan'] });
      expect(left.status).toBe(200);
      expect((await h.api('GET', `/v1/actions/${cats[0]!.id}`)).body).toMatchObject({ state: 'in_progress', assignee: 'cat' });
      expect((await h.api('GET', `/v1/actions/${cats[1]!.id}`)).body).toMatchObject({ state: 'todo', queue: 'help', assignee: 'dan' });
      expect(await timeline(cats[1]!.id)).toContain("Moved to queue help by CALLOUT_ADMIN_KEY (it was cat's): cat left queue help");
    });

    it('a configuration file that disables a user, or takes a member off a queue, gives back their tasks as the API does', async () => {
      expect((await h.api('POST', '/v1/users', { name: 'eve' })).status).toBe(201);
      expect((await h.api('POST', '/v1/users', { name: 'fay' })).status).toBe(201);
      expect((await h.api('POST', '/v1/users', { name: 'gil' })).status).toBe(201);
      expect((await h.api('POST', '/v1/queues', { name: 'files', members: ['eve', 'fay', 'gil'], allocation: 'round_robin' })).status).toBe(
        201,
      );
      await actionType(h, { name: 'to-files', path: '/reject', allocation: { queue: 'files' } });
      const tasks: Array<{ id: string; assignee: string | null }> = [];
      for (let i = 0; i < 6; i++) tasks.push(await todo('to-files'));
      const of = (who: string) => tasks.filter((t) => t.assignee === who);
      expect(of('eve')).toHaveLength(2);
      expect(of('fay')).toHaveLength(2);

      // eve disabled and fay taken off the queue, by a file.
      const file = {
        users: [{ name: 'eve', disabled: true }, { name: 'fay' }, { name: 'gil' }],
        queues: [{ name: 'files', members: ['eve', 'gil'], allocation: 'round_robin' }],
      };
      const r = await h.api('POST', '/v1/config/import', file);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      for (const t of [...of('eve'), ...of('fay')])
        expect((await h.api('GET', `/v1/actions/${t.id}`)).body).toMatchObject({ state: 'todo', queue: 'files', assignee: 'gil' });
      expect(await timeline(of('eve')[0]!.id)).toContain("Moved to queue files by CALLOUT_ADMIN_KEY (it was eve's): eve was disabled");
      expect(await timeline(of('fay')[0]!.id)).toContain("Moved to queue files by CALLOUT_ADMIN_KEY (it was fay's): fay left queue files");
    });
  });
