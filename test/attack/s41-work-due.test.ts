// Attack on work due times on both stores: hostile and edge dueAt values, each role on the due route,
// the route racing a complete and itself, the overdue filter's SQL against every other filter (on
// SQLite its INDEXED BY hint must never make a query fail), and dueBefore at the edges of time.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';
import { actionType, connector } from '../helpers/harness.ts';

const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);
const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();

describe.each(storeHarnesses)('work due times under attack on $name', (backend) => {
  let h: StoreHarnessed;
  const clock = new FakeClock(T0);
  const as: Record<string, Record<string, string>> = {};
  let kase: string;
  const fields = (r: { body: { errors?: Array<{ field: string }> } }): string[] => (r.body.errors ?? []).map((e) => e.field);
  const key = async (name: string, roles: string[], user?: string): Promise<Record<string, string>> => {
    const r = await h.api('POST', '/v1/api-keys', { name, roles, ...(user ? { user } : {}) });
    return { authorization: `Bearer ${r.body.key as string}` };
  };
  const task = async (title: string, extra: Record<string, unknown> = {}): Promise<string> => {
    const r = await h.api('POST', `/v1/cases/${kase}/tasks`, { title, ...extra }, as.olga);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.id as string;
  };
  const due = (id: string, dueAt: unknown, who = as.olga) => h.api('POST', `/v1/actions/${id}/due`, { dueAt }, who);

  beforeAll(async () => {
    h = await backend.open({ callout: { clock }, start: false });
    for (const u of ['olga', 'pete']) await h.api('POST', '/v1/users', { name: u });
    await h.api('POST', '/v1/queues', { name: 'desk', members: ['olga', 'pete'] });
    as.olga = await key('olga-key', ['operator'], 'olga');
    as.pete = await key('pete-key', ['operator'], 'pete');
    as.builder = await key('builder-key', ['builder'], 'olga');
    as.metrics = await key('scraper', ['metrics']);
    as.integration = await key('System-A', ['integration']);
    kase = (await h.api('POST', '/v1/cases', { title: 'Starter', queue: 'desk' })).body.id as string;
  });
  afterAll(async () => h?.close());

  it('refuses dueAt values at the edges of time and hostile ones by name, changing nothing', async () => {
    const t = await task('edges');
    for (const dueAt of [
      '0001-01-01T00:00:00Z',
      '9999-12-31T23:59:59Z',
      '2026-12-31T23:59:60Z',
      '2026-12-07T24:00:00Z',
      '2026-12-07T09:00:00+24:00',
      '2026-12-07T09:00:00',
      '2026-12-07',
      `2026-12-07T09:00:00${'0'.repeat(70)}Z`,
      "2026-12-07T09:00:00Z' OR 1=1 --",
      '',
      7,
      true,
      {},
      [],
    ]) {
      const r = await due(t, dueAt);
      expect(r.status, JSON.stringify(dueAt)).toBe(422);
      expect(fields(r), JSON.stringify(dueAt)).toEqual(['dueAt']);
    }
    expect((await h.api('GET', `/v1/actions/${t}`)).body.dueAt).toBeNull();
    expect((await h.api('GET', `/v1/actions/${t}/timeline?kind=due_changed`)).body.items).toEqual([]);
    // An offset far from UTC, and more digits than milliseconds, are the instant they say.
    expect((await due(t, '2026-12-08T09:00:00+14:00')).body.dueAt).toBe('2026-12-07T19:00:00.000Z');
    expect((await due(t, '2026-12-08T09:00:00.123456789-12:00')).body.dueAt).toBe('2026-12-08T21:00:00.123Z');
    // At the ten-year bound: in, and a millisecond beyond, out.
    expect((await due(t, iso(T0 + 3650 * 24 * HOUR))).status).toBe(200);
    expect(fields(await due(t, iso(T0 + 3650 * 24 * HOUR + 1)))).toEqual(['dueAt']);
    expect((await due(t, iso(T0 - 3650 * 24 * HOUR))).status).toBe(200);
  });

  it('is an operator’s: builder, metrics and integration keys are refused', async () => {
    const t = await task('roles');
    for (const who of ['builder', 'metrics', 'integration']) expect((await due(t, iso(T0 + HOUR), as[who])).status, who).toBe(403);
    expect((await h.api('GET', `/v1/actions/${t}`)).body.dueAt).toBeNull();
  });

  it('the same due twice writes one entry; at once with a complete, either wins cleanly', async () => {
    const t = await task('twice');
    const at = iso(T0 + 5 * HOUR);
    const rs = await Promise.all([due(t, at), due(t, at), due(t, at)]);
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await h.api('GET', `/v1/actions/${t}/timeline?kind=due_changed`)).body.items).toHaveLength(1);
    for (let i = 0; i < 5; i++) {
      const c = await task(`race ${i}`);
      const [d, done] = await Promise.all([due(c, iso(T0 + HOUR)), h.api('POST', `/v1/actions/${c}/complete`, {}, as.olga)]);
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect([200, 409], JSON.stringify(d.body)).toContain(d.status);
      const a = (await h.api('GET', `/v1/actions/${c}`)).body;
      expect(a.state).toBe('closed');
      expect(a.dueAt).toBe(d.status === 200 ? iso(T0 + HOUR) : null);
    }
    // Different times at once: every one answered, the last written is what is kept.
    const many = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => due(t, iso(T0 + n * HOUR))));
    expect(many.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const kept = (await h.api('GET', `/v1/actions/${t}`)).body.dueAt as string;
    const entries = (await h.api('GET', `/v1/actions/${t}/timeline?kind=due_changed&order=newest`)).body.items;
    expect(entries[0].message).toContain(kept);
  });

  it('a waiting action refuses; In Progress and invalid-input To Do take one', async () => {
    await connector(h);
    const type = await actionType(h, { name: 'later', path: '/ok', fields: { Ref: { required: true } } });
    const later = await h.api('POST', '/v1/actions', { actionType: type, input: { Ref: 'x' }, startAt: iso(T0 + 24 * HOUR) });
    expect((await due(later.body.id, iso(T0))).status).toBe(409);
    const t = await task('held');
    expect((await h.api('POST', `/v1/actions/${t}/pick-up`, undefined, as.pete)).status).toBe(200);
    const r = await due(t, iso(T0 + HOUR));
    expect([r.status, r.body.state, r.body.assignee]).toEqual([200, 'in_progress', 'pete']);
  });

  it('overdue is To Do and In Progress past due, never closed, cleared or waiting work', async () => {
    const c = (await h.api('POST', '/v1/cases', { title: 'Overdue', queue: 'desk' })).body.id as string;
    const add = async (title: string, dueAt?: number): Promise<string> =>
      (await h.api('POST', `/v1/cases/${c}/tasks`, { title, ...(dueAt !== undefined ? { dueAt: iso(dueAt) } : {}) }, as.olga)).body
        .id as string;
    const now = clock.now();
    const todo = await add('todo', now + HOUR);
    const held = await add('held', now + HOUR);
    await h.api('POST', `/v1/actions/${held}/pick-up`, undefined, as.pete);
    const closed = await add('closed', now + HOUR);
    await h.api('POST', `/v1/actions/${closed}/complete`, {}, as.olga);
    const cleared = await add('cleared', now + HOUR);
    await due(cleared, null);
    const notYet = await add('not yet', now + 10 * HOUR);
    await add('none');
    clock.advance(2 * HOUR);
    const ids = async (q: string): Promise<string[]> => {
      const r = await h.api('GET', `/v1/actions?caseId=${c}&${q}`, undefined, as.olga);
      expect(r.status, `${q} ${JSON.stringify(r.body)}`).toBe(200);
      return (r.body.items as Array<{ id: string }>).map((a) => a.id).sort();
    };
    expect(await ids('due=overdue')).toEqual([todo, held].sort());
    expect(await ids('due=overdue&state=in_progress')).toEqual([held]);
    expect(await ids('due=overdue&state=closed')).toEqual([]);
    expect(await ids(`dueBefore=${encodeURIComponent(iso(clock.now()))}`)).toEqual([todo, held, closed].sort());
    expect(await ids(`dueBefore=${encodeURIComponent(iso(now + 11 * HOUR))}`)).toEqual([todo, held, closed, notYet].sort());
    const counts = await h.api('GET', `/v1/actions/counts?caseId=${c}&due=overdue`, undefined, as.olga);
    expect([counts.status, counts.body.states]).toEqual([200, { waiting: 0, todo: 1, in_progress: 1, closed: 0 }]);
  });

  it('dueBefore at the edges of time: far past and future are dates, no zone or a leap second is refused', async () => {
    for (const at of ['0001-01-01T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '2026-12-07T09:00:00+14:00'])
      expect((await h.api('GET', `/v1/actions?dueBefore=${encodeURIComponent(at)}`)).status, at).toBe(200);
    for (const at of ['2026-12-07T09:00:00', '2026-12-31T23:59:60Z', "1' OR '1'='1", 'x'.repeat(65), '+275760-09-13T00:00:00Z', ''])
      expect(fields(await h.api('GET', `/v1/actions?dueBefore=${encodeURIComponent(at)}`)), at).toEqual(['dueBefore']);
    expect((await h.api('GET', '/v1/actions?dueBefore=a&dueBefore=b')).status).toBe(422);
    expect(fields(await h.api('GET', '/v1/actions?due=OVERDUE'))).toEqual(['due']);
  });

  it('every other filter, a text search and paging combine with due filters without an error', async () => {
    await h.api('POST', `/v1/cases/${kase}/tasks`, { title: 'Searched needle', dueAt: iso(clock.now() - 1) }, as.olga);
    const cur = (await h.api('GET', '/v1/actions?limit=1')).body.items[0].id as string;
    const type = 'later';
    const others = [
      'q=needle',
      'q=%25',
      `q=${encodeURIComponent("' OR 1=1 --")}`,
      'q=Starter',
      `before=${cur}`,
      'state=todo',
      'phase=queued',
      'reason=manual',
      'resolution=done_successfully',
      `actionType=${type}`,
      'connector=vendor',
      `caseId=${kase}`,
      'queue=desk',
      'assignee=me',
      'unassigned=true',
      'externalReference=x',
      'escalated=false',
      'limit=1',
      'q=needle&queue=desk&assignee=me&before=' + cur,
    ];
    for (const d of [
      'due=overdue',
      `dueBefore=${encodeURIComponent(iso(clock.now() + HOUR))}`,
      `due=overdue&dueBefore=${encodeURIComponent(iso(clock.now()))}`,
    ])
      for (const o of others) {
        const r = await h.api('GET', `/v1/actions?${d}&${o}`, undefined, as.olga);
        expect(r.status, `${d}&${o}: ${JSON.stringify(r.body)}`).toBe(200);
      }
    const needle = await h.api('GET', '/v1/actions?due=overdue&q=needle', undefined, as.olga);
    expect(needle.body.items.map((a: { input: { title: string } }) => a.input.title)).toEqual(['Searched needle']);
    for (const o of others.filter(
      (x) =>
        !x.startsWith('before') &&
        !x.startsWith('limit') &&
        !x.startsWith('state') &&
        !x.startsWith('phase') &&
        !x.startsWith('reason') &&
        !x.startsWith('resolution') &&
        !x.includes('before='),
    ))
      for (const d of ['due=overdue']) {
        const r = await h.api('GET', `/v1/actions/counts?${d}&${o}`, undefined, as.olga);
        expect(r.status, `counts ${d}&${o}: ${JSON.stringify(r.body)}`).toBe(200);
      }
    // Saved views of due work with other filters are counted (a text search is not counted, by design).
    const q = `due=overdue&dueBefore=${encodeURIComponent(iso(clock.now()))}&caseId=${kase}&unassigned=true&escalated=false`;
    const v = await h.api('POST', '/v1/views', { name: 'Overdue here', screen: 'work', query: q }, as.olga);
    expect(v.status, JSON.stringify(v.body)).toBe(201);
    const listed = (await h.api('GET', `/v1/actions?${q}&limit=500`, undefined, as.olga)).body.items.length;
    expect(listed).toBeGreaterThan(0);
    expect((await h.api('GET', `/v1/views/${v.body.id}/count`, undefined, as.olga)).body.value).toBe(listed);
  });

  it('a manual step’s due at its edges: 0, fractions, the ten-year bound, hostile values', async () => {
    for (const [i, d] of [0, '0', 0.4, '1.5ms', '3650d', ' 4h '].entries()) {
      const p = await h.api('POST', '/v1/processes', {
        name: `due-ok-${i}`,
        steps: [{ name: 'a', kind: 'manual', queue: 'desk', due: d }],
      });
      expect(p.status, `${JSON.stringify(d)} ${JSON.stringify(p.body)}`).toBe(201);
      const c = await h.api('POST', '/v1/cases', { process: `due-ok-${i}` });
      expect(c.status, JSON.stringify(c.body)).toBe(201);
      const [t] = (await h.api('GET', `/v1/actions?caseId=${c.body.id}`)).body.items;
      expect(t?.dueAt, JSON.stringify(d)).toBeTypeOf('string');
    }
    for (const [i, d] of [-1, '3651d', 1e300, '1e3', 'Infinity', true, {}, [], '4 hours', 'x'.repeat(65)].entries()) {
      const p = await h.api('POST', '/v1/processes', { name: `due-bad-${i}`, steps: [{ name: 'a', kind: 'manual', due: d }] });
      expect(p.status, JSON.stringify(d)).toBe(422);
      expect(fields(p)[0], JSON.stringify(d)).toMatch(/^steps\[0\]\.due|^steps\.0\.due|due/);
    }
  });
});
