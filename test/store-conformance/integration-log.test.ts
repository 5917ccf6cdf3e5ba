// Store conformance: a task's change on an integrated queue, its integration-log entry and the action
// it launches commit together or not at all, on both stores; a stale version or a launch key already
// taken writes nothing (so a retry after a crash or a race can never send a Submit Request twice).

import { beforeEach, expect, it } from 'vitest';
import { eachStore, T0, SECOND, launched, write } from './stores.ts';
import type { Store } from '../../src/store/types.ts';
import type { IntegrationLogEntry } from '../../src/integrated-queues/rules.ts';
import type { Effect } from '../../src/lifecycle/transition.ts';
import { ConflictError } from '../../src/errors.ts';

const entry = (over: Partial<IntegrationLogEntry> = {}): IntegrationLogEntry => ({
  requestType: 'Submit Request',
  direction: 'Out',
  at: T0 + SECOND,
  payload: { TaskId: 't', Title: 'Printer', CaseData: { nested: { n: 1 } } },
  result: 'Launched submit',
  actionId: null,
  queue: 'vendor-desk',
  ...over,
});

eachStore((ctx) => {
  let store: Store;
  beforeEach(() => {
    ({ store } = ctx());
  });

  async function task() {
    const t = launched({ state: 'todo', phase: null, dueAt: null, queue: 'desk' });
    await store.insertActions([t]);
    return t.action;
  }

  it('writes the task, the log entry and the launched action in one transaction', async () => {
    const t = await task();
    const l = launched({ createdAt: T0 + SECOND }, { launchKey: `integration:${t.id}:1`, launchHash: 'integration' });
    const ok = await store.writeIntegration({
      write: write(t, { state: 'waiting', phase: 'awaiting_callback', queue: 'vendor-desk', updatedAt: T0 + SECOND }),
      entry: entry({ actionId: l.action.id }),
      launch: l,
    });
    expect(ok).toBe(true);
    expect(await store.getAction(t.id)).toMatchObject({ state: 'waiting', queue: 'vendor-desk', version: t.version + 1 });
    expect((await store.getActionByLaunchKey(`integration:${t.id}:1`))?.action.id).toBe(l.action.id);
    expect(await store.listIntegrationLog(t.id)).toEqual([entry({ actionId: l.action.id })]);
    expect(await store.integrationTaskOf(l.action.id)).toBe(t.id);
    expect(await store.integrationTaskOf(t.id)).toBeUndefined();
    // Inbound entries have no launch; entries come back oldest first.
    const cur = (await store.getAction(t.id))!;
    const ack = entry({ requestType: 'Acknowledgement', direction: 'In', payload: { externalReference: 'R-1' }, result: 'Accepted' });
    expect(await store.writeIntegration({ write: write(cur, { externalReference: 'R-1' }), entry: ack, launch: null })).toBe(true);
    expect((await store.listIntegrationLog(t.id)).map((e) => e.requestType)).toEqual(['Submit Request', 'Acknowledgement']);
  });

  it('a stale version writes nothing: no log entry, no launch', async () => {
    const t = await task();
    const l = launched({ createdAt: T0 + SECOND }, { launchKey: `integration:${t.id}:1`, launchHash: 'integration' });
    const stale = { ...t, version: t.version + 7 };
    const ok = await store.writeIntegration({
      write: write(stale, { state: 'waiting' }),
      entry: entry({ actionId: l.action.id }),
      launch: l,
    });
    expect(ok).toBe(false);
    expect(await store.getAction(t.id)).toEqual(t);
    expect(await store.getAction(l.action.id)).toBeUndefined();
    expect(await store.listIntegrationLog(t.id)).toEqual([]);
  });

  it('a launch key already taken fails the whole write: the task and its log stay as they were', async () => {
    const t = await task();
    const key = { launchKey: `integration:${t.id}:1`, launchHash: 'integration' };
    const first = launched({ createdAt: T0 + SECOND }, key);
    await store.insertActions([first]);
    const second = launched({ createdAt: T0 + 2 * SECOND }, key);
    await expect(
      store.writeIntegration({ write: write(t, { state: 'waiting' }), entry: entry({ actionId: second.action.id }), launch: second }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(await store.getAction(t.id)).toEqual(t);
    expect(await store.getAction(second.action.id)).toBeUndefined();
    expect(await store.listIntegrationLog(t.id)).toEqual([]);
  });
});

eachStore((ctx) => {
  let store: Store;
  beforeEach(() => {
    ({ store } = ctx());
  });

  /** A task with the provider and the Submit Request action launched for it, logged. */
  async function submitted() {
    const t = launched({ state: 'todo', phase: null, dueAt: null, queue: 'desk' });
    await store.insertActions([t]);
    const l = launched({ createdAt: T0 + SECOND }, { launchKey: `integration:${t.action.id}:1`, launchHash: 'integration' });
    const w = write(t.action, { state: 'waiting', phase: 'awaiting_callback', queue: 'vendor-desk', updatedAt: T0 + SECOND });
    expect(await store.writeIntegration({ write: w, entry: entry({ actionId: l.action.id }), launch: l })).toBe(true);
    return { task: w.action, action: (await store.getAction(l.action.id))! };
  }

  it("an exchange's outcome: its entry's result and outcome, the task's change and the action's, all together; once", async () => {
    const { task, action } = await submitted();
    const failed = { ...action, state: 'todo' as const, phase: null, reason: 'request_rejected' as const, dueAt: null };
    expect(await store.writeIntegration({ write: null, entry: null, launch: null, also: write(action, failed) })).toBe(true);
    expect(await store.listUnsettledIntegrationActions(10)).toEqual([action.id]);
    const cur = (await store.getAction(action.id))!;
    const settle = { actionId: action.id, result: 'Submission failed: HTTP 400', outcome: 'failed' as const, from: null };
    const w = {
      write: write(task, { state: 'todo', phase: null, reason: 'request_rejected' }),
      entry: null,
      launch: null,
      settle,
      also: write(cur, { queue: 'vendor-desk' }),
    };
    expect(await store.writeIntegration(w)).toBe(true);
    expect(await store.getAction(task.id)).toMatchObject({ state: 'todo', version: task.version + 1 });
    expect(await store.getAction(action.id)).toMatchObject({ queue: 'vendor-desk', version: cur.version + 1 });
    expect(await store.listIntegrationLog(task.id)).toEqual([
      entry({ actionId: action.id, result: 'Submission failed: HTTP 400', outcome: 'failed' }),
    ]);
    expect(await store.listUnsettledIntegrationActions(10)).toEqual([]);
    // Recorded already (another node got there first): nothing of the second write stays.
    const t2 = (await store.getAction(task.id))!;
    const again = { write: write(t2, { state: 'waiting' }), entry: null, launch: null, settle };
    expect(await store.writeIntegration(again)).toBe(false);
    expect(await store.getAction(task.id)).toEqual(t2);
  });

  it('an outcome whose action moved meanwhile writes nothing: not the task, not the entry', async () => {
    const { task, action } = await submitted();
    const settle = { actionId: action.id, result: 'Submission failed: HTTP 400', outcome: 'failed' as const, from: null };
    const stale = { ...action, version: action.version + 3 };
    const w = { write: write(task, { state: 'todo' }), entry: null, launch: null, settle, also: write(stale, { queue: 'vendor-desk' }) };
    expect(await store.writeIntegration(w)).toBe(false);
    expect(await store.getAction(task.id)).toEqual(task);
    expect(await store.listIntegrationLog(task.id)).toEqual([entry({ actionId: action.id })]);
  });
});

eachStore((ctx) => {
  let store: Store;
  beforeEach(() => {
    ({ store } = ctx());
  });
  const integrated = { members: [], allocation: 'none', integration: { connector: 'c', onAssign: 'submit' } };

  it('a task that lands on an integrated queue by its allocation is left pending a submission, in the same transaction; once only, and never for a task that had an exchange or a plain queue', async () => {
    await store.insertQueue({ name: 'pend-desk', doc: integrated, revision: 1, createdAt: T0, updatedAt: T0 });
    await store.insertQueue({ name: 'pend-plain', doc: { members: [], allocation: 'none' }, revision: 1, createdAt: T0, updatedAt: T0 });
    // Inserted To Do on the queue (a launch refused onto its type's queue), and one on a plain queue.
    const a = launched({ state: 'todo', phase: null, dueAt: null, queue: 'pend-desk', updatedAt: T0 + 1 });
    const b = launched({ state: 'todo', phase: null, dueAt: null, queue: 'pend-plain' });
    await store.insertActions([a, b]);
    expect(await store.listPendingSubmissions(10, a.action.id)).toEqual([
      { actionId: a.action.id, queue: 'pend-desk', at: T0 + 1, assignee: null },
    ]);
    expect(await store.listPendingSubmissions(10, b.action.id)).toEqual([]);
    // Allocated again: still one.
    await store.allocateTask(a.action.id, T0 + 2);
    expect(await store.listPendingSubmissions(10, a.action.id)).toHaveLength(1);
    // A write into To Do on the queue (a failed action) leaves one too.
    const c = launched({ updatedAt: T0 + 3 });
    await store.insertActions([c]);
    const toDo: Effect = {
      type: 'state_changed',
      from: { state: 'waiting', reason: null, resolution: null },
      to: { state: 'todo', reason: 'request_rejected', resolution: null },
    };
    const failed = write(
      c.action,
      { state: 'todo', reason: 'request_rejected', phase: null, dueAt: null, queue: 'pend-desk', updatedAt: T0 + 4 },
      [],
      [toDo],
    );
    expect(await store.writeActions([failed])).toEqual([true]);
    expect((await store.listPendingSubmissions(10)).map((p) => p.actionId)).toEqual([a.action.id, c.action.id]);
    expect((await store.listPendingSubmissions(1)).map((p) => p.actionId)).toEqual([a.action.id]);
    // Done with: gone, and dropping again is no error.
    await store.dropPendingSubmission(a.action.id);
    await store.dropPendingSubmission(a.action.id);
    expect((await store.listPendingSubmissions(10)).map((p) => p.actionId)).toEqual([c.action.id]);
    await store.dropPendingSubmission(c.action.id);

    // The request an integration write launches, refused at launch onto that queue, and the task that
    // stays To Do there: both are exchanges with a provider already, neither is left pending.
    const t = launched({ state: 'todo', phase: null, dueAt: null, queue: 'pend-plain' });
    await store.insertActions([t]);
    const refused = launched(
      { state: 'todo', phase: null, dueAt: null, queue: 'pend-desk', createdAt: T0 + SECOND },
      { launchKey: `integration:${t.action.id}:1`, launchHash: 'integration' },
    );
    const ok = await store.writeIntegration({
      write: write(t.action, { queue: 'pend-desk', updatedAt: T0 + SECOND }),
      entry: entry({ actionId: refused.action.id, queue: 'pend-desk', outcome: 'not_sent' }),
      launch: refused,
    });
    expect(ok).toBe(true);
    expect(await store.listPendingSubmissions(10)).toEqual([]);
  });

  it('a task that lands again before it was sent is pending on the queue it landed on last; a drop of the landing read earlier leaves it', async () => {
    await store.insertQueue({ name: 'again-a', doc: integrated, revision: 1, createdAt: T0, updatedAt: T0 });
    await store.insertQueue({ name: 'again-b', doc: integrated, revision: 1, createdAt: T0, updatedAt: T0 });
    const a = launched({ state: 'todo', phase: null, dueAt: null, queue: 'again-a', updatedAt: T0 + 1 });
    await store.insertActions([a]);
    const [first] = await store.listPendingSubmissions(10, a.action.id);
    expect(first).toEqual({ actionId: a.action.id, queue: 'again-a', at: T0 + 1, assignee: null });
    // Put on the other queue with no one (as a release does) and allocated there.
    const cur = (await store.getAction(a.action.id))!;
    expect(await store.writeActions([write(cur, { queue: 'again-b', updatedAt: T0 + 2 })])).toEqual([true]);
    await store.allocateTask(a.action.id, T0 + 2);
    expect(await store.listPendingSubmissions(10, a.action.id)).toEqual([
      { actionId: a.action.id, queue: 'again-b', at: T0 + 2, assignee: null },
    ]);
    // Whoever read the first landing is done with that one only.
    await store.dropPendingSubmission(a.action.id, { queue: first!.queue, at: first!.at });
    expect(await store.listPendingSubmissions(10, a.action.id)).toHaveLength(1);
    await store.dropPendingSubmission(a.action.id, { queue: 'again-b', at: T0 + 2 });
    expect(await store.listPendingSubmissions(10, a.action.id)).toEqual([]);
  });
});
