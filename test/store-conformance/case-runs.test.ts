// Store conformance: cases that run processes and the case outbox, on both stores.

import { beforeEach, describe, expect, it } from 'vitest';
import { eachStore, launched, write, T0, SECOND, type TestDatabase } from './stores.ts';
import { ConflictError } from '../../src/errors.ts';
import type { CaseRow, Store } from '../../src/store/types.ts';
import { compileProcess } from '../../src/processes/definition.ts';
import { newCaseRun } from '../../src/processes/runner.ts';
import type { Effect } from '../../src/lifecycle/transition.ts';

const definition = compileProcess({ name: 'p', steps: [{ name: 'a', kind: 'manual', queue: 'hr' }] });
const processCase = (id: string, over: Partial<CaseRow> = {}): CaseRow => ({
  id,
  data: { n: 1 },
  owner: 'olga',
  createdAt: T0,
  updatedAt: T0,
  process: 'proc-1',
  definition,
  title: `Case ${id}`,
  steps: newCaseRun(definition, {}).steps,
  ...over,
});
const closedEffect: Effect = {
  type: 'state_changed',
  from: { state: 'waiting', reason: null, resolution: null },
  to: { state: 'closed', reason: null, resolution: 'done_successfully' },
};
const started = { type: 'case_started' } as const;

eachStore((ctx) => {
  let db: TestDatabase;
  let store: Store;
  beforeEach(() => {
    ({ db, store } = ctx());
  });

  describe('cases that run processes', () => {
    it('a case and its first event are written together; a taken launch key is a conflict and writes neither', async () => {
      await store.createCase(processCase('c1'), { launchKey: 'k1', launchHash: 'h1', startEvent: started });
      expect(await store.getCase('c1')).toEqual(processCase('c1'));
      expect(await store.getCaseByLaunchKey('k1')).toEqual({ row: processCase('c1'), launchHash: 'h1' });
      await expect(store.createCase(processCase('c2'), { launchKey: 'k1', launchHash: 'h2', startEvent: started })).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect(await store.getCase('c2')).toBeUndefined();
      expect(await db.count('case_outbox')).toBe(1);
    });

    it('claims the oldest event of each case only, leases it, and gives it out again when the lease ends', async () => {
      await store.createCase(processCase('c1'), { startEvent: started });
      await store.createCase(processCase('c2'), { startEvent: started });
      // A second event of c1, as an action write would add it.
      const a = launched({ caseId: 'c1' });
      await store.insertActions([a]);
      await store.writeActions([write(a.action, { state: 'closed', resolution: 'done_successfully', phase: null }, [], [closedEffect])]);
      expect(await db.count('case_outbox')).toBe(3);

      const first = await store.claimCaseEvents({ now: T0, leaseUntil: T0 + 10 * SECOND, limit: 10 });
      expect(first.map((r) => [r.caseId, r.event.type])).toEqual([
        ['c1', 'case_started'],
        ['c2', 'case_started'],
      ]);
      expect(await store.claimCaseEvents({ now: T0 + SECOND, leaseUntil: T0 + 20 * SECOND, limit: 10 })).toEqual([]);
      // The holder dies: after its lease the events are claimable again, still one per case.
      const again = await store.claimCaseEvents({ now: T0 + 10 * SECOND, leaseUntil: T0 + 30 * SECOND, limit: 10, caseId: 'c1' });
      expect(again.map((r) => r.seq)).toEqual([first[0]!.seq]);

      // Applying c1's first event (a guarded case write) removes it; then its action's event is next.
      expect(await store.updateCase({ id: 'c1', expectedVersion: 1, at: T0, status: 'open', appliedEvent: first[0]!.seq })).toBe(true);
      const next = await store.claimCaseEvents({ now: T0 + 40 * SECOND, leaseUntil: T0 + 50 * SECOND, limit: 10 });
      expect(next.map((r) => [r.caseId, r.event])).toEqual([
        ['c2', started],
        [
          'c1',
          {
            type: 'action_changed',
            step: '',
            actionId: a.action.id,
            state: 'closed',
            reason: null,
            resolution: 'done_successfully',
            escalated: false,
          },
        ],
      ]);
    });

    it("gives a claimed event back only under its holder's own lease, claimable again from the time it names", async () => {
      await store.createCase(processCase('c1'), { startEvent: started });
      const [held] = await store.claimCaseEvents({ now: T0, leaseUntil: T0 + 30 * SECOND, limit: 10 });
      expect(await store.releaseCaseEvent(held!.seq, T0 + 30 * SECOND, T0 + 2 * SECOND)).toBe(true);
      expect(await store.claimCaseEvents({ now: T0 + SECOND, leaseUntil: T0 + 31 * SECOND, limit: 10 })).toEqual([]);
      const again = await store.claimCaseEvents({ now: T0 + 2 * SECOND, leaseUntil: T0 + 32 * SECOND, limit: 10 });
      expect(again.map((r) => r.seq)).toEqual([held!.seq]);
      // The first holder's lease is no longer the event's: its give-back changes nothing, and the second holder keeps it.
      expect(await store.releaseCaseEvent(held!.seq, T0 + 30 * SECOND, T0 + 3 * SECOND)).toBe(false);
      expect(await store.claimCaseEvents({ now: T0 + 4 * SECOND, leaseUntil: T0 + 40 * SECOND, limit: 10 })).toEqual([]);
      expect(await store.releaseCaseEvent(held!.seq + 1000, T0 + 32 * SECOND, T0)).toBe(false);
    });

    it('two nodes claiming at once never take the same event', async () => {
      for (let i = 0; i < 40; i++) await store.createCase(processCase(`c${i}`), { startEvent: started });
      const other = db.open();
      const claim = (s: Store) => s.claimCaseEvents({ now: T0, leaseUntil: T0 + 10 * SECOND, limit: 15 });
      const [x, y, z] = await Promise.all([claim(store), claim(other), claim(store)]);
      const seqs = [...x!, ...y!, ...z!].map((r) => r.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(seqs.length).toBe(40);
    });

    it("an action write records its case's event only for a case that runs a process, and only when applied", async () => {
      await store.createCase(processCase('with-process'));
      await store.insertCase({ id: 'plain', data: {}, owner: null, createdAt: T0, updatedAt: T0 });
      const a = launched({ caseId: 'with-process' });
      const b = launched({ caseId: 'plain' });
      await store.insertActions([a, b]);
      const closing = { state: 'closed' as const, resolution: 'done_successfully' as const, phase: null };
      const stale = { ...write(a.action, closing, [], [closedEffect]), expectedVersion: 7 };
      expect(await store.writeActions([stale, write(b.action, closing, [], [closedEffect])])).toEqual([false, true]);
      expect(await db.count('case_outbox')).toBe(0);
      expect(await store.writeActions([write(a.action, closing, [], [closedEffect])])).toEqual([true]);
      expect(await db.count('case_outbox')).toBe(1);
    });

    it('a case write is guarded by its version and merges data shallowly', async () => {
      await store.createCase(processCase('c1', { data: { keep: 1, nested: { a: 1 } } }));
      expect(await store.updateCase({ id: 'c1', expectedVersion: 2, at: T0 + 1, title: 'stale' })).toBe(false);
      const steps = [{ ...processCase('c1').steps![0]!, status: 'done' as const }];
      expect(
        await store.updateCase({
          id: 'c1',
          expectedVersion: 1,
          at: T0 + 2,
          status: 'closed',
          closedAt: T0 + 2,
          escalated: true,
          steps,
          dataPatch: { nested: { b: 2 } },
        }),
      ).toBe(true);
      expect(await store.getCase('c1')).toEqual({
        ...processCase('c1'),
        data: { keep: 1, nested: { b: 2 } },
        status: 'closed',
        closedAt: T0 + 2,
        escalated: true,
        steps,
        version: 2,
        updatedAt: T0 + 2,
      });
    });

    it('lists cases newest first, filtered by status, owner, process, queue and text, a page at a time', async () => {
      await store.createCase(processCase('01-a', { title: 'Laptop for Sam', data: { city: 'Utrecht' } }));
      await store.createCase(processCase('02-b', { owner: 'rita', process: 'proc-2', data: { note: '50% off_sale' } }));
      await store.insertCase({ id: '03-c', data: { city: 'utrecht' }, owner: 'olga', createdAt: T0, updatedAt: T0 });
      const task = launched({ caseId: '01-a', state: 'todo', reason: 'manual', phase: null, dueAt: null, actionTypeId: null, queue: 'hr' });
      await store.insertActions([task]);
      expect((await store.getAction(task.action.id))?.actionTypeId).toBeNull();
      const ids = async (f: Omit<Parameters<Store['listCases']>[0], 'limit'>, limit = 10) =>
        (await store.listCases({ ...f, limit })).cases.map((c) => c.id);
      expect(await ids({})).toEqual(['03-c', '02-b', '01-a']);
      expect(await ids({ owner: 'olga' })).toEqual(['03-c', '01-a']);
      expect(await ids({ process: 'proc-2' })).toEqual(['02-b']);
      expect(await ids({ queue: 'hr' })).toEqual(['01-a']);
      expect(await ids({ q: 'UTRECHT' })).toEqual(['03-c', '01-a']);
      expect(await ids({ q: 'laptop' })).toEqual(['01-a']);
      expect(await ids({ q: '0% off_' })).toEqual(['02-b']);
      expect(await ids({ q: '_' })).toEqual(['02-b']);
      expect(await ids({ status: 'closed' })).toEqual([]);
      expect(await ids({}, 2)).toEqual(['03-c', '02-b']);
      expect(await ids({ before: '02-b' })).toEqual(['01-a']);
      // A byte budget of data and steps ends a page early, after the case that crosses it, and says there is more.
      expect(await store.listCases({ limit: 10, maxBytes: 1 }).then((r) => ({ ids: r.cases.map((c) => c.id), more: r.more }))).toEqual({
        ids: ['03-c'],
        more: true,
      });
      expect(await store.listCases({ limit: 10, maxBytes: 1_000_000 }).then((r) => r.more)).toBe(false);
      expect(await store.listCases({ limit: 3 }).then((r) => r.more)).toBe(true);
    });

    it("a case's own queue is stored, changed and cleared by a guarded write, and the queue filter finds it", async () => {
      await store.createCase(processCase('q1', { queue: 'it' }));
      await store.insertCase({ id: 'q2', data: {}, owner: null, createdAt: T0, updatedAt: T0 });
      expect((await store.getCase('q1'))?.queue).toBe('it');
      expect((await store.getCase('q2'))?.queue).toBeUndefined();
      expect((await store.listCases({ queue: 'it', limit: 10 })).cases.map((c) => c.id)).toEqual(['q1']);
      expect(await store.updateCase({ id: 'q2', expectedVersion: 1, at: T0 + 1, queue: 'it' })).toBe(true);
      expect((await store.listCases({ queue: 'it', limit: 10 })).cases.map((c) => c.id)).toEqual(['q2', 'q1']);
      expect(await store.updateCase({ id: 'q1', expectedVersion: 1, at: T0 + 1, queue: null })).toBe(true);
      expect((await store.getCase('q1'))?.queue).toBeUndefined();
      expect((await store.listCases({ queue: 'it', limit: 10 })).cases.map((c) => c.id)).toEqual(['q2']);
    });

    it("an action of a case that lands in To Do on no queue and with no one goes to its case's queue; one with a queue stays", async () => {
      await store.insertQueue({ name: 'it', doc: { members: [], allocation: 'none' }, revision: 1, createdAt: T0, updatedAt: T0 });
      await store.createCase(processCase('m1', { queue: 'it' }));
      await store.createCase(processCase('m2'));
      const todo = { state: 'todo' as const, reason: 'request_rejected' as const, phase: null, dueAt: null };
      const toTodo: Effect = {
        type: 'state_changed',
        from: { state: 'waiting', reason: null, resolution: null },
        to: { state: 'todo', reason: 'request_rejected', resolution: null },
      };
      const onCase = launched({ caseId: 'm1' });
      const own = launched({ caseId: 'm1', createdAt: T0 + 1 });
      const noQueue = launched({ caseId: 'm2', createdAt: T0 + 2 });
      await store.insertActions([onCase, own, noQueue]);
      expect(
        await store.writeActions([
          write(onCase.action, todo, [], [toTodo]),
          write(own.action, { ...todo, queue: 'hr' }, [], [toTodo]),
          write(noQueue.action, todo, [], [toTodo]),
        ]),
      ).toEqual([true, true, true]);
      const moved = await store.getAction(onCase.action.id);
      expect(moved).toMatchObject({ queue: 'it', assignee: null, version: onCase.action.version + 2 });
      expect(JSON.stringify(await store.listTimeline(onCase.action.id))).toContain("its case's queue");
      expect((await store.getAction(own.action.id))?.queue).toBe('hr');
      expect((await store.getAction(noQueue.action.id))?.queue).toBeNull();
    });
  });
});
