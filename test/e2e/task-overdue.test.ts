// A task past its due time tells its person, once per due time, on both stores: a `task.overdue`
// notification, an `overdue` timeline entry and a `task.overdue` webhook event, from the task sweep
// every node runs. Closed work and work not yet due tell nobody; a due time moved later tells again
// when it passes. Timed by the injected clock.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';

const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);
const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();

describe.each(storeHarnesses)('overdue tasks on $name', (backend) => {
  let h: StoreHarnessed;
  const clock = new FakeClock(T0);
  let olga: Record<string, string>;
  let kase: string;
  let hook: string;
  let peteKey: string;
  const task = async (body: Record<string, unknown>): Promise<{ id: string; assignee: string | null }> => {
    const r = await h.api('POST', `/v1/cases/${kase}/tasks`, { title: 'Call back', ...body }, olga);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body;
  };
  const notices = async (): Promise<Array<{ kind: string; message: string; actionId: string }>> =>
    (await h.api('GET', '/v1/notifications', undefined, olga)).body.items;
  const overdueNotes = async (id: string): Promise<Array<{ actor: string; message: string; data: unknown }>> =>
    (await h.api('GET', `/v1/actions/${id}/timeline?kind=overdue`)).body.items;
  const overdueEvents = async (): Promise<number> =>
    (await h.api('GET', `/v1/webhooks/${hook}/deliveries`)).body.items.filter((d: { eventType: string }) => d.eventType === 'task.overdue')
      .length;

  beforeAll(async () => {
    h = await backend.open({ callout: { clock }, start: false });
    await h.api('POST', '/v1/users', { name: 'olga' });
    await h.api('POST', '/v1/users', { name: 'pete' });
    await h.api('POST', '/v1/queues', { name: 'desk', members: ['olga', 'pete'] });
    const key = await h.api('POST', '/v1/api-keys', { name: 'olga-key', roles: ['operator'], user: 'olga' });
    olga = { authorization: `Bearer ${key.body.key as string}` };
    peteKey = (await h.api('POST', '/v1/api-keys', { name: 'pete-key', roles: ['operator'], user: 'pete' })).body.key as string;
    kase = (await h.api('POST', '/v1/cases', { title: 'Starter', queue: 'desk' })).body.id as string;
    hook = (await h.api('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['task.*'] })).body.id as string;
  });
  afterAll(async () => h?.close());

  it('tells the person once when the due time passes, on the timeline and as a webhook event', async () => {
    const t = await task({ dueAt: iso(T0 + HOUR), assignee: 'olga' });
    expect(t.assignee).toBe('olga');
    const before = (await notices()).length;
    expect(await h.callout.tasks.sweepOverdue()).toEqual({ told: 0, full: false });
    clock.advance(HOUR + 1);
    expect(await h.callout.tasks.sweepOverdue()).toEqual({ told: 1, full: false });
    const told = (await notices()).slice(0, (await notices()).length - before);
    expect(told.map((n) => [n.kind, n.actionId])).toEqual([['task.overdue', t.id]]);
    expect(told[0]!.message).toBe(`Task ${t.id} on queue desk is overdue: it was due at ${iso(T0 + HOUR)}`);
    const notes = await overdueNotes(t.id);
    expect(notes.map((e) => [e.actor, e.message, e.data])).toEqual([
      ['system', `Overdue, olga told: due at ${iso(T0 + HOUR)}`, { dueAt: iso(T0 + HOUR) }],
    ]);
    expect(await overdueEvents()).toBe(1);
    // Once: the next sweeps find nothing to tell.
    clock.advance(HOUR);
    expect(await h.callout.tasks.sweepOverdue()).toEqual({ told: 0, full: false });
    expect((await notices()).length).toBe(before + 1);
    expect(await overdueNotes(t.id)).toHaveLength(1);
    expect(await overdueEvents()).toBe(1);
  });

  it('tells again when a due time moved later passes; closed work and work not due tell nobody', async () => {
    const moved = await task({ dueAt: iso(clock.now() + 60_000), assignee: 'olga' });
    const closed = await task({ dueAt: iso(clock.now() + 60_000), assignee: 'olga' });
    const later = await task({ dueAt: iso(clock.now() + 2 * HOUR), assignee: 'olga' });
    expect((await h.api('POST', `/v1/actions/${closed.id}/complete`, {}, olga)).status).toBe(200);
    clock.advance(60_001);
    expect(await h.callout.tasks.sweepOverdue()).toEqual({ told: 1, full: false });
    expect(await overdueNotes(moved.id)).toHaveLength(1);
    expect(await overdueNotes(closed.id)).toHaveLength(0);
    expect(await overdueNotes(later.id)).toHaveLength(0);
    // Moved an hour on: nothing until then, then told again.
    expect((await h.api('POST', `/v1/actions/${moved.id}/due`, { dueAt: iso(clock.now() + HOUR) }, olga)).status).toBe(200);
    expect(await h.callout.tasks.sweepOverdue()).toEqual({ told: 0, full: false });
    clock.advance(HOUR);
    expect(await h.callout.tasks.sweepOverdue()).toEqual({ told: 1, full: false });
    expect(await overdueNotes(moved.id)).toHaveLength(2);
    // A time already past is told at the next sweep; the same time again (a double click) is no
    // change: nobody is told twice of one due time.
    const again = await h.api('POST', `/v1/actions/${moved.id}/due`, { dueAt: iso(clock.now() - 1000) }, olga);
    expect(again.status).toBe(200);
    await h.api('POST', `/v1/actions/${moved.id}/due`, { dueAt: again.body.dueAt }, olga);
    expect(await h.callout.tasks.sweepOverdue()).toEqual({ told: 1, full: false });
    expect(await h.callout.tasks.sweepOverdue()).toEqual({ told: 0, full: false });
    expect(await overdueNotes(moved.id)).toHaveLength(3);
  });

  it('an unassigned task: the timeline and the webhook event, no one to notify', async () => {
    await h.api('POST', '/v1/queues', { name: 'empty', members: [] });
    const t = await task({ dueAt: iso(clock.now() + 1000), queue: 'empty' });
    expect(t.assignee).toBeNull();
    const before = [(await notices()).length, await overdueEvents()];
    clock.advance(1001);
    expect(await h.callout.tasks.sweepOverdue()).toEqual({ told: 1, full: false });
    expect((await overdueNotes(t.id)).map((e) => e.message)).toEqual([`Overdue: due at ${iso(clock.now() - 1)}`]);
    expect([(await notices()).length, await overdueEvents()]).toEqual([before[0], before[1]! + 1]);
  });

  it('a task given to someone else once overdue tells them so with the assignment (its overdue notice went to the person it had)', async () => {
    const t = await task({ dueAt: iso(clock.now() + 1000), assignee: 'olga' });
    clock.advance(1001);
    expect(await h.callout.tasks.sweepOverdue()).toEqual({ told: 1, full: false });
    expect((await h.api('POST', `/v1/actions/${t.id}/assign`, { assignee: 'pete' })).status).toBe(200);
    const pete = (await h.api('GET', `/v1/notifications`, undefined, { authorization: `Bearer ${peteKey}` })).body.items;
    expect(pete.find((n: { actionId: string }) => n.actionId === t.id)).toMatchObject({
      kind: 'task.assigned',
      message: expect.stringContaining(`; it is overdue: it was due at ${iso(clock.now() - 1)}`),
    });
    // Told once: the sweep does not tell again of the same due time.
    expect(await h.callout.tasks.sweepOverdue()).toEqual({ told: 0, full: false });
  });

  it('a task added already overdue for someone tells them so with the assignment', async () => {
    const t = await task({ dueAt: iso(clock.now() - 60_000), assignee: 'pete' });
    const pete = (await h.api('GET', `/v1/notifications`, undefined, { authorization: `Bearer ${peteKey}` })).body.items;
    expect(pete.find((n: { actionId: string }) => n.actionId === t.id)).toMatchObject({
      kind: 'task.assigned',
      message: expect.stringContaining(`; it is overdue: it was due at ${iso(clock.now() - 60_000)}`),
    });
  });

  it('the running sweep tells within its interval, without being asked', async () => {
    const t = await task({ dueAt: iso(clock.now() + 10_000), assignee: 'olga' });
    h.callout.tasks.start();
    try {
      clock.advance(15_000);
      await expect.poll(async () => (await overdueNotes(t.id)).length).toBe(1);
    } finally {
      await h.callout.tasks.stop();
    }
  });
});
