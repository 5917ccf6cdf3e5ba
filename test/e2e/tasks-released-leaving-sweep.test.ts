// A member taken off a queue gives back all their To Do tasks on it, even when the node that changed
// the queue stopped before its later pages ran: the change records the release in its own write, and
// any node's sweep moves the rest once it is no longer fresh (the node that started it normally
// finishes it first). A member put back on the queue before the sweep keeps what is left.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, type Harness } from '../helpers/harness.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';
import { TaskService, type TaskServiceDeps } from '../../src/tasks/service.ts';
import { QueueService } from '../../src/queues/service.ts';

for (const backend of storeHarnesses)
  describe(`${backend.name}: a member's tasks, given back completely when they leave a queue`, () => {
    let h: Harness;
    const todo = async (type: string): Promise<{ id: string; assignee: string | null }> =>
      h.waitFor((await launch(h, type)).id, (x) => x.state === 'todo');
    const todoOf = async (who: string, queue: string): Promise<string[]> =>
      ((await h.api('GET', `/v1/actions?assignee=${who}&state=todo&queue=${queue}&limit=100`)).body.items as Array<{ id: string }>).map(
        (a) => a.id,
      );
    const timeline = async (id: string): Promise<string[]> =>
      ((await h.api('GET', `/v1/actions/${id}/timeline`)).body.items as Array<{ message: string }>).map((e) => e.message);
    /** A node's task service (as Callout makes it), with `opts` for its pages. */
    const node = (opts: Partial<TaskServiceDeps> = {}): TaskService =>
      new TaskService({ store: h.callout.store, engine: h.callout.engine, actions: h.callout.actions, ...opts });
    /** The queue's members set through `tasks`, as PATCH /v1/queues/{name} does it. */
    const members = (queue: string, list: string[], tasks: TaskService) =>
      new QueueService({ store: h.callout.store, clock: h.callout.clock, tasks }).update(queue, { members: list }, 'CALLOUT_ADMIN_KEY');
    const pending = async (queue: string) =>
      (await h.callout.store.listPendingReleases(Number.MAX_SAFE_INTEGER, 100)).filter((r) => r.queue === queue);
    const until = async (pred: () => Promise<boolean>): Promise<void> => {
      for (let i = 0; i < 300; i++)
        if (await pred()) return;
        else await new Promise((r) => setTimeout(r, 20));
      throw new Error('not within 6 s');
    };
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
      h = await backend.open();
      // This node's own sweep is held back: each test says when releases left behind are looked for.
      await h.callout.tasks.stop();
      await connector(h);
      for (const name of ['ann', 'ben', 'cat', 'dan', 'eve', 'fay'])
        expect((await h.api('POST', '/v1/users', { name, displayName: name })).status).toBe(201);
      for (const [name, people] of [
        ['desk', ['ann', 'ben']],
        ['help', ['cat', 'dan']],
        ['line', ['eve', 'fay']],
      ] as const) {
        expect((await h.api('POST', '/v1/queues', { name, members: people, allocation: 'round_robin' })).status).toBe(201);
        await actionType(h, { name: `to-${name}`, path: '/reject', allocation: { queue: name } });
      }
    });
    afterAll(async () => h?.close());

    it('a node that stopped before its later pages ran: a sweep by another node gives back the rest, and the record goes', async () => {
      const anns = await tasksOf('ann', 'to-desk', 8);
      // The node taking ann off stops after its first page: the later pages never run.
      await members('desk', ['ben'], node({ releasePage: 3, later: () => undefined }));
      const left = await todoOf('ann', 'desk');
      expect(left).toHaveLength(5);
      expect(await pending('desk')).toMatchObject([{ holder: 'ann', by: 'CALLOUT_ADMIN_KEY', because: 'ann left queue desk' }]);

      // Fresh: left to the node that started it.
      expect(await node({ releasePage: 3 }).sweep()).toEqual({ moved: 0, full: false });
      expect(await todoOf('ann', 'desk')).toHaveLength(5);

      // Another node's sweep, a page at a time, once it is no longer fresh.
      const other = node({ releasePage: 3, releaseFreshMs: 0 });
      expect(await other.sweep()).toEqual({ moved: 3, full: true });
      expect(await pending('desk')).toHaveLength(1);
      expect(await other.sweep()).toEqual({ moved: 2, full: false });
      expect(await pending('desk')).toEqual([]);
      expect(await other.sweep()).toEqual({ moved: 0, full: false });
      expect(await todoOf('ann', 'desk')).toEqual([]);
      for (const id of left) {
        expect((await h.api('GET', `/v1/actions/${id}`)).body).toMatchObject({ state: 'todo', queue: 'desk', assignee: 'ben' });
        expect(await timeline(id)).toContain("Moved to queue desk by CALLOUT_ADMIN_KEY (it was ann's): ann left queue desk");
      }
      for (const id of anns) expect((await h.api('GET', `/v1/actions/${id}`)).body.assignee).toBe('ben');
    });

    it('a member put back on the queue before the sweep keeps what is left, and the record goes', async () => {
      await tasksOf('cat', 'to-help', 5);
      await members('help', ['dan'], node({ releasePage: 3, later: () => undefined }));
      const left = await todoOf('cat', 'help');
      expect(left).toHaveLength(2);
      expect(await pending('help')).toHaveLength(1);
      expect((await h.api('PATCH', '/v1/queues/help', { members: ['cat', 'dan'] })).status).toBe(200);

      expect(await node({ releasePage: 3, releaseFreshMs: 0 }).sweep()).toEqual({ moved: 0, full: false });
      expect(await pending('help')).toEqual([]);
      expect((await todoOf('cat', 'help')).sort()).toEqual([...left].sort());
    });

    it('a release that fails holds back none listed after it; it is tried again at the next sweep', async () => {
      for (const [name, people] of [
        ['bad', ['ann', 'ben']],
        ['good', ['cat', 'dan']],
      ] as const) {
        expect((await h.api('POST', '/v1/queues', { name, members: people, allocation: 'round_robin' })).status).toBe(201);
        await actionType(h, { name: `to-${name}`, path: '/reject', allocation: { queue: name } });
      }
      await tasksOf('ann', 'to-bad', 2);
      await tasksOf('cat', 'to-good', 2);
      // Recorded first, so listed first: its sweep fails, where it stopped every release after it.
      await members('bad', ['ben'], node({ releasePage: 1, later: () => undefined }));
      await members('good', ['dan'], node({ releasePage: 1, later: () => undefined }));
      expect(await todoOf('cat', 'good')).toHaveLength(1);
      let failing = true;
      const store = new Proxy(h.callout.store, {
        get: (target, prop, receiver) =>
          prop === 'getQueue'
            ? async (name: string) => {
                if (failing && name === 'bad') throw new Error('the store could not read queue bad');
                return target.getQueue(name);
              }
            : Reflect.get(target, prop, receiver),
      });
      const faulty = node({ store, releasePage: 10, releaseFreshMs: 0 });
      expect(await faulty.sweep()).toEqual({ moved: 1, full: false });
      expect(await todoOf('cat', 'good')).toEqual([]);
      expect(await todoOf('ann', 'bad')).toHaveLength(1);
      expect(await pending('bad')).toHaveLength(1);
      failing = false;
      expect(await faulty.sweep()).toEqual({ moved: 1, full: false });
      expect(await todoOf('ann', 'bad')).toEqual([]);
      expect(await pending('bad')).toEqual([]);
    });

    it('a running node sweeps by itself; a release its node finishes leaves no record', async () => {
      await tasksOf('eve', 'to-line', 4);
      // A node that finishes: its last page drops the record.
      await members('line', ['fay'], node({ releasePage: 3 }));
      // The record goes after the last page's moves commit: both waited for (a loaded CI run read between them).
      await until(async () => (await todoOf('eve', 'line')).length === 0 && (await pending('line')).length === 0);

      expect((await h.api('PATCH', '/v1/queues/line', { members: ['eve', 'fay'] })).status).toBe(200);
      await tasksOf('eve', 'to-line', 4);
      await members('line', ['fay'], node({ releasePage: 3, later: () => undefined }));
      expect(await todoOf('eve', 'line')).toHaveLength(1);
      const running = node({ releasePage: 3, releaseFreshMs: 0, clock: h.callout.clock, sweepIntervalMs: 50 });
      running.start();
      try {
        await until(async () => (await todoOf('eve', 'line')).length === 0 && (await pending('line')).length === 0);
      } finally {
        await running.stop();
      }
    });
  });
