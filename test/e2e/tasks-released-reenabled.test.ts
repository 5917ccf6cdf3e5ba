// A user disabled by mistake and enabled again at once keeps the tasks not yet given back: the later
// pages of the release, and a sweep that read their tasks while they were disabled, leave a task with
// a person who is enabled again. Both stores.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, type Harness } from '../helpers/harness.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';
import { TaskService, type TaskServiceDeps } from '../../src/tasks/service.ts';
import { UserService } from '../../src/users/service.ts';
import type { Store } from '../../src/store/types.ts';

for (const backend of storeHarnesses)
  describe(`${backend.name}: a disabled user enabled again keeps what was not given back yet`, () => {
    let h: Harness;
    const open = async (who: string): Promise<string[]> =>
      ((await h.api('GET', `/v1/actions?assignee=${who}&state=todo&limit=100`)).body.items as Array<{ id: string }>).map((a) => a.id);
    const node = (opts: Partial<TaskServiceDeps> = {}): TaskService =>
      new TaskService({ store: h.callout.store, engine: h.callout.engine, actions: h.callout.actions, ...opts });
    const users = (tasks: TaskService) => new UserService({ store: h.callout.store, clock: h.callout.clock, tasks });
    const tasksOf = async (who: string, n: number): Promise<string[]> => {
      const ids: string[] = [];
      while (ids.length < n) {
        const t = await h.waitFor((await launch(h, 'to-desk')).id, (x) => x.state === 'todo');
        if (t.assignee === who) ids.push(t.id);
      }
      return ids;
    };

    beforeAll(async () => {
      h = await backend.open({ mock: { keepBodies: true } });
      await h.callout.tasks.stop(); // each test says when a sweep runs
      await connector(h);
      for (const name of ['ann', 'ben']) expect((await h.api('POST', '/v1/users', { name, displayName: name })).status).toBe(201);
      expect((await h.api('POST', '/v1/queues', { name: 'desk', members: ['ann', 'ben'], allocation: 'round_robin' })).status).toBe(201);
      await actionType(h, { name: 'to-desk', path: '/reject', allocation: { queue: 'desk' } });
    });
    afterAll(async () => h?.close());

    it("the release's later pages, run after the user is enabled again, take nothing from them", async () => {
      await tasksOf('ann', 4);
      const later: Array<() => void> = [];
      const tasks = node({ releasePage: 1, later: (fn) => later.push(fn) });
      await users(tasks).update('ann', { disabled: true }, 'CALLOUT_ADMIN_KEY');
      const kept = await open('ann');
      expect(kept).toHaveLength(3);
      await users(tasks).update('ann', { disabled: false }, 'CALLOUT_ADMIN_KEY');
      while (later.length > 0) {
        later.shift()!();
        for (let i = 0; i < 20 && later.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      }
      expect((await open('ann')).sort()).toEqual([...kept].sort());
    });

    it('a sweep that read their tasks while they were disabled takes nothing once they are enabled again', async () => {
      expect((await h.api('PATCH', '/v1/users/ann', { disabled: true })).status).toBe(200);
      expect((await h.api('PATCH', '/v1/users/ann', { disabled: false })).status).toBe(200);
      const anns = await tasksOf('ann', 2);
      // Disabled by a node that stopped before giving any back; enabled again just after a sweep read them.
      await users(node({ releasePage: 1, later: () => undefined })).update('ann', { disabled: true }, 'CALLOUT_ADMIN_KEY');
      const kept = await open('ann');
      expect(kept.length).toBeGreaterThanOrEqual(1);
      const real = h.callout.store;
      const store = new Proxy(real, {
        get(t, p) {
          if (p === 'listTasksOfDisabledUsers')
            return async (limit: number) => {
              const page = await t.listTasksOfDisabledUsers(limit);
              expect((await h.api('PATCH', '/v1/users/ann', { disabled: false })).status).toBe(200);
              return page;
            };
          const v = Reflect.get(t, p) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
        },
      }) as Store;
      expect(await node({ store }).sweep()).toMatchObject({ moved: 0 });
      expect((await open('ann')).sort()).toEqual([...kept].sort());
      expect(anns.some((id) => kept.includes(id))).toBe(true);
    });
  });
