// Store conformance: users, queues, and allocation in the transaction of the write, on both stores;
// two nodes allocating on one queue at once share the work exactly as one node would.

import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { eachStore, T0, SECOND, HOUR, launched, write } from './stores.ts';
import type { ActionRecord } from '../../src/lifecycle/action.ts';
import type { Effect } from '../../src/lifecycle/transition.ts';
import type { Store } from '../../src/store/types.ts';
import { CalloutError, ConflictError } from '../../src/errors.ts';

const toTodo: Effect = {
  type: 'state_changed',
  from: { state: 'waiting', reason: null, resolution: null },
  to: { state: 'todo', reason: 'request_rejected', resolution: null },
};

eachStore((ctx) => {
  let store: Store;
  /** Names of this test only: the suite empties the action tables between tests, not these. */
  let tag: string;
  beforeEach(() => {
    ({ store } = ctx());
    tag = randomBytes(3).toString('hex');
  });

  const user = (name: string, disabled = false) =>
    store.insertUser({ name, displayName: name, email: null, disabled, createdAt: T0, updatedAt: T0 });
  const queue = (name: string, members: string[], allocation: string) =>
    store.insertQueue({
      name,
      doc: { description: null, members, allocation, integration: null },
      revision: 1,
      createdAt: T0,
      updatedAt: T0,
    });
  async function waitingOn(q: string, n: number, over: Partial<ActionRecord> = {}): Promise<ActionRecord[]> {
    const items = Array.from({ length: n }, (_, i) => launched({ createdAt: T0 + i * SECOND, queue: q, ...over }));
    await store.insertActions(items);
    return items.map((it) => it.action);
  }
  const todo = (a: ActionRecord): ReturnType<typeof write> =>
    write(a, { state: 'todo', reason: 'request_rejected', phase: null, dueAt: null, updatedAt: T0 + 60 * SECOND }, [], [toTodo]);
  const assignees = async (ids: string[]): Promise<Array<string | null>> =>
    Promise.all(ids.map(async (id) => (await store.getAction(id))!.assignee));
  const tally = (xs: Array<string | null>): Record<string, number> =>
    xs.reduce<Record<string, number>>((m, x) => ((m[String(x)] = (m[String(x)] ?? 0) + 1), m), {});

  describe('users and queues', () => {
    it('are stored, read, changed, and a taken name is a conflict naming it', async () => {
      await user(`u-${tag}`);
      await expect(user(`u-${tag}`)).rejects.toSatisfy((e: unknown) => e instanceof CalloutError && e.errors?.[0]?.field === 'name');
      const u = (await store.getUser(`u-${tag}`))!;
      expect(await store.updateUser({ ...u, disabled: true, email: 'u@example.com', updatedAt: T0 + 1 })).toBe(true);
      expect(await store.getUser(`u-${tag}`)).toMatchObject({ disabled: true, email: 'u@example.com', updatedAt: T0 + 1 });
      expect(await store.updateUser({ ...u, name: `nobody-${tag}` })).toBe(false);

      await queue(`q-${tag}`, [`u-${tag}`], 'round_robin');
      await expect(queue(`q-${tag}`, [], 'none')).rejects.toBeInstanceOf(CalloutError);
      const q = (await store.getQueue(`q-${tag}`))!;
      expect(q.doc).toMatchObject({ members: [`u-${tag}`], allocation: 'round_robin' });
      expect(await store.updateQueue({ ...q, doc: { ...q.doc, allocation: 'none' }, revision: 2 }, 1)).toBe(true);
      expect(await store.updateQueue({ ...q, revision: 2 }, 1)).toBe(false);
      expect((await store.listQueues()).map((x) => x.name)).toContain(`q-${tag}`);
    });

    it("a member's release is recorded with the queue's change (not when its guard fails), replaced by a newer one, listed once not fresh and dropped only as read", async () => {
      const name = `rq-${tag}`;
      await queue(name, [`a-${tag}`, `b-${tag}`, `c-${tag}`], 'none');
      const mine = async (atOrBefore: number) => (await store.listPendingReleases(atOrBefore, 100)).filter((r) => r.queue === name);
      const release = (holder: string, at: number, by = 'admin') => ({
        holder,
        queue: name,
        by,
        because: `${holder} left queue ${name}`,
        at,
      });
      const q = (await store.getQueue(name))!;
      const off = (members: string[], revision: number, at: number) => ({ ...q, doc: { ...q.doc, members }, revision, updatedAt: at });

      // The guard fails: neither the queue nor the release is written.
      expect(await store.updateQueue(off([`b-${tag}`], 2, T0 + 5), 7, [release(`a-${tag}`, T0 + 5)])).toBe(false);
      expect(await mine(T0 + HOUR)).toEqual([]);
      expect(await store.updateQueue(off([`b-${tag}`], 2, T0 + 5), 1, [release(`a-${tag}`, T0 + 5), release(`c-${tag}`, T0 + 5)])).toBe(
        true,
      );
      expect(await mine(T0 + HOUR)).toEqual([release(`a-${tag}`, T0 + 5), release(`c-${tag}`, T0 + 5)]);
      // Fresh ones are left to their node.
      expect(await mine(T0 + 4)).toEqual([]);

      // Taken off again (through an import's write) before the first finished: the newer release replaces it.
      await store.writeConfigs([
        { kind: 'queue', row: off([], 3, T0 + 9), expectedRevision: 2, releases: [release(`a-${tag}`, T0 + 9, 'importer')] },
      ]);
      expect(await mine(T0 + HOUR)).toEqual([release(`c-${tag}`, T0 + 5), release(`a-${tag}`, T0 + 9, 'importer')]);
      expect(await mine(T0 + 5)).toEqual([release(`c-${tag}`, T0 + 5)]);
      expect((await store.listPendingReleases(T0 + HOUR, 1)).length).toBe(1);
      // An import whose guard fails writes no release either.
      await expect(
        store.writeConfigs([{ kind: 'queue', row: off([], 4, T0 + 12), expectedRevision: 2, releases: [release(`b-${tag}`, T0 + 12)] }]),
      ).rejects.toBeInstanceOf(ConflictError);
      expect((await mine(T0 + HOUR)).map((r) => r.holder)).toEqual([`c-${tag}`, `a-${tag}`]);

      // Dropped only as read: the older one's finish leaves the newer.
      await store.dropPendingRelease({ holder: `a-${tag}`, queue: name, at: T0 + 5 });
      expect((await mine(T0 + HOUR)).map((r) => r.holder)).toEqual([`c-${tag}`, `a-${tag}`]);
      await store.dropPendingRelease({ holder: `a-${tag}`, queue: name, at: T0 + 9 });
      await store.dropPendingRelease(release(`c-${tag}`, T0 + 5));
      await store.dropPendingRelease(release(`c-${tag}`, T0 + 5));
      expect(await mine(T0 + HOUR)).toEqual([]);
    });
  });

  describe('allocation', () => {
    it('a write that puts a task To Do on a queue allocates it in the same transaction, with a timeline entry', async () => {
      await user(`a-${tag}`);
      await queue(`rr-${tag}`, [`a-${tag}`], 'round_robin');
      const [a] = await waitingOn(`rr-${tag}`, 1);
      expect(await store.writeActions([todo(a!)])).toEqual([true]);
      const got = (await store.getAction(a!.id))!;
      expect(got).toMatchObject({ state: 'todo', assignee: `a-${tag}`, version: a!.version + 2 });
      const tl = await store.listTimeline(a!.id);
      expect(tl.at(-1)).toMatchObject({ kind: 'allocated', actor: 'system', data: { queue: `rr-${tag}`, assignee: `a-${tag}` } });
    });

    it('two nodes writing To Do on one round-robin queue at once share the tasks exactly', async () => {
      const members = [`a-${tag}`, `b-${tag}`];
      for (const m of members) await user(m);
      await queue(`rr-${tag}`, members, 'round_robin');
      const tasks = await waitingOn(`rr-${tag}`, 20);
      const other = ctx().db.open();
      await Promise.all(tasks.map((t, i) => (i % 2 ? other : store).writeActions([todo(t)])));
      expect(tally(await assignees(tasks.map((t) => t.id)))).toEqual({ [members[0]!]: 10, [members[1]!]: 10 });
    });

    it('least loaded under concurrent writes fills the emptiest members evenly, skipping disabled ones', async () => {
      const members = [`a-${tag}`, `b-${tag}`, `c-${tag}`, `d-${tag}`];
      for (const m of members) await user(m, m === `d-${tag}`);
      await queue(`ll-${tag}`, members, 'least_loaded');
      // a already holds three open tasks elsewhere.
      await waitingOn(`other-${tag}`, 3, { state: 'in_progress', phase: null, dueAt: null, assignee: `a-${tag}` });
      const tasks = await waitingOn(`ll-${tag}`, 9);
      const other = ctx().db.open();
      await Promise.all(tasks.map((t, i) => (i % 2 ? other : store).writeActions([todo(t)])));
      expect(tally(await assignees(tasks.map((t) => t.id)))).toEqual({ [`b-${tag}`]: 4, [`c-${tag}`]: 4, [`a-${tag}`]: 1 });
    });

    it('a task inserted To Do on a queue (a manual step) is allocated in the same transaction; allocateTask then finds nothing to do; a missing queue says so', async () => {
      await user(`o-${tag}`);
      await queue(`own-${tag}`, [`o-${tag}`], 'owner');
      await store.insertCase({ id: `case-${tag}`, data: {}, owner: `o-${tag}`, createdAt: T0, updatedAt: T0 });
      const todoNow = { state: 'todo', reason: 'manual', phase: null, dueAt: null, caseId: `case-${tag}` } as const;
      const [m] = await waitingOn(`own-${tag}`, 1, todoNow);
      expect((await store.getAction(m!.id))!.assignee).toBe(`o-${tag}`);
      expect((await store.listTimeline(m!.id)).map((e) => e.kind)).toContain('allocated');
      expect(await store.allocateTask(m!.id, T0 + SECOND)).toBeUndefined();
      const [lost] = await waitingOn(`ghost-${tag}`, 1, todoNow);
      expect((await store.getAction(lost!.id))!.assignee).toBeNull();
      expect((await store.listTimeline(lost!.id)).map((e) => e.message)).toContain(
        `Queue ghost-${tag} does not exist: the task waits on it unassigned`,
      );
      expect(await store.allocateTask(lost!.id, T0)).toEqual({
        actionId: lost!.id,
        queue: `ghost-${tag}`,
        assignee: null,
        message: `Queue ghost-${tag} does not exist: the task waits on it unassigned`,
      });
    });
  });

  describe('notifications', () => {
    it('are marked read by their user only, the first time kept', async () => {
      await store.insertCase({ id: `c-${tag}`, data: {}, owner: `n-${tag}`, createdAt: T0, updatedAt: T0 });
      const [a] = await waitingOn(`x-${tag}`, 1, { caseId: `c-${tag}` });
      await store.writeActions([
        write(a!, { state: 'closed', resolution: 'not_done_successfully', escalated: true }, [], [{ type: 'escalated' }]),
      ]);
      const [n] = await store.listNotifications(`n-${tag}`);
      expect(n!.readAt).toBeUndefined();
      // The escalation marks its case, which has no process.
      expect((await store.getCase(`c-${tag}`))!.escalated).toBe(true);
      expect(await store.markNotificationRead(n!.id, `someone-${tag}`, T0)).toBeUndefined();
      expect(await store.markNotificationRead(n!.id, `n-${tag}`, T0 + 5)).toMatchObject({ id: n!.id, readAt: T0 + 5 });
      expect(await store.markNotificationRead(n!.id, `n-${tag}`, T0 + 9)).toMatchObject({ readAt: T0 + 5 });
      expect(await store.listNotifications(`n-${tag}`, { unreadOnly: true })).toEqual([]);
    });

    it("a launch's notices (a task given to someone as it is added) are written with it, in its transaction, and only with it", async () => {
      await user(`g-${tag}`);
      await queue(`give-${tag}`, [`g-${tag}`], 'none');
      await store.insertCase({ id: `t-${tag}`, data: {}, owner: `someone-${tag}`, createdAt: T0, updatedAt: T0 });
      const task = (over: Partial<ActionRecord> = {}, keys: { launchKey?: string } = {}) =>
        launched(
          {
            state: 'todo',
            reason: 'manual',
            phase: null,
            dueAt: null,
            actionTypeId: null,
            caseId: `t-${tag}`,
            queue: `give-${tag}`,
            assignee: `g-${tag}`,
            createdAt: T0 + SECOND,
            updatedAt: T0 + SECOND,
            ...over,
          },
          keys,
        );
      const notice = (message: string) => ({ user: `g-${tag}`, kind: 'task.assigned' as const, message });
      // In a batch with launches that tell no one (as nearly every launch): only its own notice.
      const given = { ...task(), notices: [notice('ann assigned it to you')] };
      await store.insertActions([launched(), given, launched()]);
      expect(await store.listNotifications(`g-${tag}`)).toEqual([
        {
          id: expect.any(Number),
          user: `g-${tag}`,
          kind: 'task.assigned',
          message: 'ann assigned it to you',
          actionId: given.action.id,
          caseId: `t-${tag}`,
          at: T0 + SECOND,
        },
      ]);
      // A launch refused (its key taken) tells no one.
      await store.insertActions([task({}, { launchKey: `k-${tag}` })]);
      const refused = { ...task({}, { launchKey: `k-${tag}` }), notices: [notice('refused')] };
      await expect(store.insertActions([refused])).rejects.toBeInstanceOf(ConflictError);
      expect(await store.getAction(refused.action.id)).toBeUndefined();
      // A case write's launches tell theirs too, in the case write's transaction; a stale one tells no one.
      const stepped = { ...task(), notices: [notice('from a step')] };
      const stale = { ...task(), notices: [notice('stale')] };
      expect(await store.updateCase({ id: `t-${tag}`, expectedVersion: 9, at: T0 + SECOND, launches: [stale] })).toBe(false);
      expect(await store.updateCase({ id: `t-${tag}`, expectedVersion: 1, at: T0 + SECOND, launches: [stepped] })).toBe(true);
      expect((await store.listNotifications(`g-${tag}`)).map((n) => [n.actionId, n.message])).toEqual([
        [stepped.action.id, 'from a step'],
        [given.action.id, 'ann assigned it to you'],
      ]);
    });

    it('are listed newest first a page at a time: `limit`, then `before` the last one seen', async () => {
      await store.insertCase({ id: `p-${tag}`, data: {}, owner: `p-${tag}`, createdAt: T0, updatedAt: T0 });
      const actions = await waitingOn(`y-${tag}`, 3, { caseId: `p-${tag}` });
      for (const a of actions)
        await store.writeActions([
          write(a, { state: 'closed', resolution: 'not_done_successfully', escalated: true }, [], [{ type: 'escalated' }]),
        ]);
      const all = await store.listNotifications(`p-${tag}`);
      expect(all.map((n) => n.actionId)).toEqual(actions.map((a) => a.id).reverse());
      const first = await store.listNotifications(`p-${tag}`, { limit: 2 });
      expect(first).toEqual(all.slice(0, 2));
      expect(await store.listNotifications(`p-${tag}`, { limit: 2, before: first[1]!.id })).toEqual(all.slice(2));
      expect(await store.listNotifications(`p-${tag}`, { before: all[2]!.id })).toEqual([]);
    });
  });

  describe('pages by name', () => {
    it('listUsersPage and listQueuesPage read on by name after the last one seen; a page of queues ends at its byte budget', async () => {
      // Made out of name order; the other tests' names do not begin with this tag.
      for (const i of [3, 0, 4, 1, 2]) await user(`${tag}-u${i}`);
      const names = (p: { rows: Array<{ name: string }> }): string[] => p.rows.map((r) => r.name);
      const first = await store.listUsersPage({ after: tag, limit: 2 });
      expect([names(first), first.more]).toEqual([[`${tag}-u0`, `${tag}-u1`], true]);
      const second = await store.listUsersPage({ after: `${tag}-u1`, limit: 2 });
      expect(names(second)).toEqual([`${tag}-u2`, `${tag}-u3`]);
      expect(names(await store.listUsersPage({ after: `${tag}-u3`, limit: 1 }))).toEqual([`${tag}-u4`]);

      for (const i of [2, 0, 1]) {
        const doc = { description: 'x'.repeat(1000 * (i + 1)), members: [], allocation: 'none', integration: null };
        await store.insertQueue({ name: `${tag}-q${i}`, doc, revision: 1, createdAt: T0, updatedAt: T0 });
      }
      const all = await store.listQueuesPage({ after: tag, limit: 3 });
      expect([names(all), all.more]).toEqual([[`${tag}-q0`, `${tag}-q1`, `${tag}-q2`], true]);
      // q0 (about 1 KB) and q1 (2 KB) cross 2.5 KB at q1, which is kept and ends the page.
      const cut = await store.listQueuesPage({ after: tag, limit: 3, maxBytes: 2500 });
      expect([names(cut), cut.more]).toEqual([[`${tag}-q0`, `${tag}-q1`], true]);
      // q2 alone (3 KB) crosses 1 KB: a page holds at least one.
      const alone = await store.listQueuesPage({ after: `${tag}-q1`, limit: 3, maxBytes: 1000 });
      expect([names(alone), alone.more]).toEqual([[`${tag}-q2`], true]);
      expect(alone.rows[0]!.doc).toMatchObject({ description: 'x'.repeat(3000) });
    });
  });
});
