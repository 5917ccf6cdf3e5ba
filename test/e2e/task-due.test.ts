// Due times of work items on both stores: a task's `dueAt` set when it is added by hand or by a manual
// step's `due`, changed or cleared by an operator (on the timeline, by name), and found by the work
// list's `due=overdue` and `dueBefore` and by a saved "Overdue" view, all timed by the injected clock.
// The API's `dueAt` is never the engine's own timer (a launch for later is due to the engine, not to a person).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';
import { actionType, connector } from '../helpers/harness.ts';

const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);
const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();

describe.each(storeHarnesses)('work due times on $name', (backend) => {
  let h: StoreHarnessed;
  const clock = new FakeClock(T0);
  let olga: Record<string, string>;
  let kase: string;
  const ids = (r: { body: { items: Array<{ id: string }> } }): string[] => r.body.items.map((a) => a.id).sort();
  const fields = (r: { body: { errors?: Array<{ field: string }> } }): string[] => (r.body.errors ?? []).map((e) => e.field);

  beforeAll(async () => {
    h = await backend.open({ callout: { clock }, start: false });
    await h.api('POST', '/v1/users', { name: 'olga' });
    await h.api('POST', '/v1/queues', { name: 'desk', members: ['olga'] });
    const key = await h.api('POST', '/v1/api-keys', { name: 'olga-key', roles: ['operator'], user: 'olga' });
    olga = { authorization: `Bearer ${key.body.key as string}` };
    kase = (await h.api('POST', '/v1/cases', { title: 'Starter', queue: 'desk' })).body.id as string;
  });
  afterAll(async () => h?.close());

  it('takes a task’s dueAt when it is added, and refuses one that is no date-time, adding nothing', async () => {
    const r = await h.api('POST', `/v1/cases/${kase}/tasks`, { title: 'Call back', dueAt: '2026-12-07T12:30:00+01:00' }, olga);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.dueAt).toBe('2026-12-07T11:30:00.000Z');
    expect((await h.api('GET', `/v1/actions/${r.body.id}`)).body.dueAt).toBe('2026-12-07T11:30:00.000Z');
    const none = await h.api('POST', `/v1/cases/${kase}/tasks`, { title: 'No rush' }, olga);
    expect(none.body.dueAt).toBeNull();
    const before = (await h.api('GET', `/v1/actions?caseId=${kase}`)).body.items.length;
    for (const dueAt of ['tomorrow', '2026-12-07T12:30:00', '2026-02-31T09:00:00Z', '9999-01-01T00:00:00Z', 7])
      expect(fields(await h.api('POST', `/v1/cases/${kase}/tasks`, { title: 'Bad', dueAt }, olga)), String(dueAt)).toEqual(['dueAt']);
    expect((await h.api('GET', `/v1/actions?caseId=${kase}`)).body.items.length).toBe(before);
  });

  it('gives a manual step’s task the step’s due after its creation, and refuses a due that is no duration', async () => {
    const bad = await h.api('POST', '/v1/processes', { name: 'bad-due', steps: [{ name: 'a', kind: 'manual', due: 'soon' }] });
    expect([bad.status, fields(bad)]).toEqual([422, ['steps[0].due']]);
    const p = await h.api('POST', '/v1/processes', { name: 'onboard', steps: [{ name: 'a', kind: 'manual', queue: 'desk', due: '4h' }] });
    expect(p.status, JSON.stringify(p.body)).toBe(201);
    expect(p.body.steps[0].due).toBe('4h');
    clock.advance(60_000);
    const c = (await h.api('POST', '/v1/cases', { process: 'onboard' })).body.id as string;
    const [task] = (await h.api('GET', `/v1/actions?caseId=${c}`)).body.items;
    expect(task.dueAt).toBe(iso(T0 + 60_000 + 4 * HOUR));
  });

  it('lets an operator set and clear it on open work, on the timeline by name; closed work refuses', async () => {
    const t = (await h.api('POST', `/v1/cases/${kase}/tasks`, { title: 'Sign' }, olga)).body.id as string;
    const set = await h.api('POST', `/v1/actions/${t}/due`, { dueAt: '2026-12-08T09:00:00Z' }, olga);
    expect([set.status, set.body.dueAt]).toEqual([200, '2026-12-08T09:00:00.000Z']);
    const cleared = await h.api('POST', `/v1/actions/${t}/due`, { dueAt: null }, olga);
    expect([cleared.status, cleared.body.dueAt]).toEqual([200, null]);
    const notes = (await h.api('GET', `/v1/actions/${t}/timeline?kind=due_changed`)).body.items;
    expect(notes.map((e: { actor: string; message: string }) => [e.actor, e.message])).toEqual([
      ['user:olga', 'Due date set to 2026-12-08T09:00:00.000Z by olga'],
      ['user:olga', 'Due date cleared by olga'],
    ]);
    for (const body of [{ dueAt: 'next week' }, {}, { dueAt: '2026-12-08T09:00:00Z', extra: 1 }])
      expect((await h.api('POST', `/v1/actions/${t}/due`, body, olga)).status, JSON.stringify(body)).toBe(422);
    expect(fields(await h.api('POST', `/v1/actions/${t}/due`, { dueAt: 'next week' }, olga))).toEqual(['dueAt']);
    expect((await h.api('GET', `/v1/actions/${t}`)).body.dueAt).toBeNull();
    await h.api('POST', `/v1/actions/${t}/complete`, {}, olga);
    expect((await h.api('POST', `/v1/actions/${t}/due`, { dueAt: '2026-12-08T09:00:00Z' }, olga)).status).toBe(409);
    expect((await h.api('POST', '/v1/actions/nope/due', { dueAt: null }, olga)).status).toBe(404);
  });

  it('never shows the engine’s timer as dueAt', async () => {
    await connector(h);
    const type = await actionType(h, { name: 'later', path: '/ok' });
    const a = await h.api('POST', '/v1/actions', { actionType: type, startAt: iso(T0 + 24 * HOUR) });
    expect(a.body.startAt).toBe(iso(T0 + 24 * HOUR));
    expect(a.body.dueAt).toBeNull();
    expect((await h.api('POST', `/v1/actions/${a.body.id}/due`, { dueAt: iso(T0) }, olga)).status).toBe(409);
  });

  it('lists overdue open work by the clock, and work due before a time; a bad filter is refused by name', async () => {
    const add = async (title: string, dueAt?: string): Promise<string> =>
      (await h.api('POST', `/v1/cases/${kase}/tasks`, { title, ...(dueAt ? { dueAt } : {}) }, olga)).body.id as string;
    const soon = await add('soon', iso(clock.now() + HOUR));
    const later = await add('later', iso(clock.now() + 3 * HOUR));
    const done = await add('done', iso(clock.now() + HOUR));
    await h.api('POST', `/v1/actions/${done}/complete`, {}, olga);
    const overdue = async (): Promise<string[]> => ids(await h.api('GET', `/v1/actions?due=overdue&caseId=${kase}`, undefined, olga));
    expect(await overdue()).toEqual([]);
    clock.advance(2.5 * HOUR);
    // At 11:31, 'Call back' (due 11:30) and 'soon' (10:01) have passed; 'later' (12:01) has not, and the closed one is no work.
    const callBack = (await h.api('GET', `/v1/actions?caseId=${kase}&limit=500`)).body.items.find(
      (a: { input: { title: string } }) => a.input.title === 'Call back',
    ).id as string;
    expect(await overdue()).toEqual([callBack, soon].sort());
    const before = await h.api('GET', `/v1/actions?caseId=${kase}&dueBefore=${encodeURIComponent(iso(clock.now() + HOUR))}`);
    expect(ids(before)).toEqual([callBack, soon, later, done].sort());
    for (const [q, field] of [
      ['due=late', 'due'],
      ['dueBefore=tomorrow', 'dueBefore'],
      ['dueBefore=2026-12-07T09:00:00', 'dueBefore'],
    ])
      expect(fields(await h.api('GET', `/v1/actions?${q}`)), q).toEqual([field]);
  });

  it('saves "Overdue" as a view with a live count, and refuses a view with a bad dueBefore', async () => {
    const v = await h.api('POST', '/v1/views', { name: 'Overdue', screen: 'work', query: 'due=overdue&queue=desk' }, olga);
    expect(v.status, JSON.stringify(v.body)).toBe(201);
    const count = async (): Promise<unknown> => (await h.api('GET', `/v1/views/${v.body.id}/count`, undefined, olga)).body.value;
    const n = (await h.api('GET', '/v1/actions?due=overdue&queue=desk')).body.items.length;
    expect(await count()).toBe(n);
    // At 14:31, 'later' and the step's task (due 4 h after 09:01) have passed too.
    clock.advance(3 * HOUR);
    expect(await count()).toBe(n + 2);
    const bad = await h.api('POST', '/v1/views', { name: 'Bad', screen: 'work', query: 'dueBefore=soon' }, olga);
    expect([bad.status, fields(bad)]).toEqual([422, ['query.dueBefore']]);
    expect(fields(await h.api('POST', '/v1/views', { name: 'Bad', screen: 'work', query: 'due=late' }, olga))).toEqual(['query.due']);
  });

  it('sorts work by due time (sort=due): only what has one, the earliest first, paged on by its cursor; filters and a saved view keep it', async () => {
    const sorted = (await h.api('POST', '/v1/cases', { title: 'Sorted', queue: 'desk' })).body.id as string;
    const add = async (title: string, dueInHours?: number): Promise<string> =>
      (
        await h.api(
          'POST',
          `/v1/cases/${sorted}/tasks`,
          { title, ...(dueInHours !== undefined ? { dueAt: iso(clock.now() + dueInHours * HOUR) } : {}) },
          olga,
        )
      ).body.id as string;
    // Added out of order, two due at the same time (then by id), one with none.
    const third = await add('third', 5);
    const first = await add('first', -1);
    await add('no due time');
    const fourth = await add('fourth', 5);
    const second = await add('second', 2);
    const want = [first, second, ...[third, fourth].sort()];
    const page = (q: string) => h.api('GET', `/v1/actions?caseId=${sorted}&sort=due&limit=2${q}`, undefined, olga);
    const seen: string[] = [];
    let r = await page('');
    for (;;) {
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      seen.push(...r.body.items.map((a: { id: string }) => a.id));
      if (r.body.next === null) break;
      r = await page(`&before=${encodeURIComponent(r.body.next as string)}`);
    }
    expect(seen).toEqual(want);
    // A text search in that order (on the embedded store, a scan of the due index in windows), paged too.
    const searched = await h.api('GET', `/v1/actions?caseId=${sorted}&sort=due&q=th&limit=1`);
    expect(searched.body.items.map((a: { id: string }) => a.id)).toEqual([[third, fourth].sort()[0]]);
    const searchedOn = await h.api('GET', `/v1/actions?caseId=${sorted}&sort=due&q=th&before=${encodeURIComponent(searched.body.next)}`);
    expect(searchedOn.body.items.map((a: { id: string }) => a.id)).toEqual([[third, fourth].sort()[1]]);
    // Filters apply as ever: the open ones past their time, the earliest first.
    const overdue = await h.api('GET', `/v1/actions?caseId=${sorted}&sort=due&due=overdue`);
    expect(overdue.body.items.map((a: { id: string }) => a.id)).toEqual([first]);
    // The default is newest first, and a cursor of one order is refused by the other, by name.
    const newest = await h.api('GET', `/v1/actions?caseId=${sorted}&limit=2`);
    expect(fields(await h.api('GET', `/v1/actions?caseId=${sorted}&sort=due&before=${newest.body.next}`))).toEqual(['before']);
    const byDue = await page('');
    expect(fields(await h.api('GET', `/v1/actions?caseId=${sorted}&before=${encodeURIComponent(byDue.body.next)}`))).toEqual(['before']);
    expect(fields(await h.api('GET', `/v1/actions?sort=oldest`))).toEqual(['sort']);
    // Counts count what the list holds (only work with a due time); a saved view keeps the order, and its count agrees.
    const counts = async (q: string) => (await h.api('GET', `/v1/actions/counts?caseId=${sorted}${q}`)).body.states;
    expect(await counts('&sort=due')).toMatchObject({ todo: 4, waiting: 0, closed: 0 });
    expect(await counts('')).toMatchObject({ todo: 5 });
    const v = await h.api('POST', '/v1/views', { name: 'By due', screen: 'work', query: `caseId=${sorted}&sort=due` }, olga);
    expect([v.status, v.body.query]).toEqual([201, `caseId=${sorted}&sort=due`]);
    expect((await h.api('GET', `/v1/views/${v.body.id}/count`, undefined, olga)).body).toMatchObject({ value: 4 });
  });
});
