// Saved views on both stores: each person's own and the shared ones, checked against the filters
// their screen's list accepts, bounded, counted up to 1,000, and private where they are personal.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeHarnesses } from '../helpers/store-harnesses.ts';
import type { Harness } from '../helpers/harness.ts';

describe.each(storeHarnesses)('saved views on $name', (backend) => {
  let h: Harness;
  const as: Record<string, Record<string, string>> = {};
  const key = async (name: string, roles: string[], user?: string): Promise<Record<string, string>> => {
    const r = await h.api('POST', '/v1/api-keys', { name, roles, ...(user ? { user } : {}) });
    return { authorization: `Bearer ${r.body.key as string}` };
  };
  beforeAll(async () => {
    h = await backend.open();
    for (const u of ['olga', 'pete', 'bea']) await h.api('POST', '/v1/users', { name: u });
    await h.api('POST', '/v1/queues', { name: 'desk', members: ['olga', 'pete'] });
    as.olga = await key('olga-key', ['operator'], 'olga');
    as.pete = await key('pete-key', ['operator'], 'pete');
    as.bea = await key('bea-key', ['builder'], 'bea');
    as.scraper = await key('scraper', ['metrics']);
    await h.api('POST', '/v1/processes', { name: 'two-tasks', steps: [{ name: 'a', kind: 'manual', queue: 'desk' }] });
    for (let i = 0; i < 3; i++) await h.api('POST', '/v1/cases', { process: 'two-tasks' });
  });
  afterAll(async () => h?.close());

  it('saves a view, lists it with its live count, and opens it by id with its ETag', async () => {
    const r = await h.api('POST', '/v1/views', { name: 'Desk to do', screen: 'work', query: '?state=todo&queue=desk' }, as.olga);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ name: 'Desk to do', screen: 'work', query: 'state=todo&queue=desk', shared: false, owner: 'olga' });
    expect(r.headers.location).toBe(`/v1/views/${r.body.id}`);
    expect(r.headers.etag).toBe('"1"');
    const list = await h.api('GET', '/v1/views?screen=work&counts=true', undefined, as.olga);
    expect(list.body.items.map((v: { name: string; count: unknown }) => [v.name, v.count])).toEqual([
      ['Desk to do', { value: 3, more: false }],
    ]);
    // The count is live: a task closed leaves it.
    const todo = (await h.api('GET', '/v1/actions?state=todo&queue=desk')).body.items as Array<{ id: string }>;
    await h.api('POST', `/v1/actions/${todo[0]!.id}/complete`, {}, as.olga);
    expect((await h.api('GET', `/v1/views/${r.body.id}/count`, undefined, as.olga)).body).toEqual({ value: 2, more: false });
    const got = await h.api('GET', `/v1/views/${r.body.id}`, undefined, as.olga);
    expect([got.status, got.headers.etag, got.body.name]).toEqual([200, '"1"', 'Desk to do']);
  });

  it("counts assignee=me as the viewer's work, and a text search not at all", async () => {
    const todo = (await h.api('GET', '/v1/actions?state=todo&queue=desk')).body.items as Array<{ id: string }>;
    await h.api('POST', `/v1/actions/${todo[0]!.id}/assign`, { assignee: 'me' }, as.pete);
    const mine = await h.api('POST', '/v1/views', { name: 'Mine', screen: 'work', query: 'assignee=me', shared: true }, as.pete);
    expect((await h.api('GET', `/v1/views/${mine.body.id}/count`, undefined, as.pete)).body.value).toBe(1);
    expect((await h.api('GET', `/v1/views/${mine.body.id}/count`, undefined, as.olga)).body.value).toBe(0);
    const text = await h.api('POST', '/v1/views', { name: 'Jane', screen: 'cases', query: 'q=Jane' }, as.pete);
    expect((await h.api('GET', `/v1/views/${text.body.id}/count`, undefined, as.pete)).body).toMatchObject({ value: null, more: false });
  });

  it("shows others' shared views but never their personal ones, and lets only the owner or an admin change a shared one", async () => {
    const personal = await h.api('POST', '/v1/views', { name: 'Private', screen: 'cases', query: 'status=open' }, as.pete);
    const shared = await h.api('POST', '/v1/views', { name: 'Escalated', screen: 'cases', query: 'escalated=true', shared: true }, as.pete);
    const seen = (await h.api('GET', '/v1/views?screen=cases', undefined, as.olga)).body.items as Array<{ name: string; owner: string }>;
    expect(seen.map((v) => `${v.owner}:${v.name}`)).toEqual(['pete:Escalated']);
    // Another's personal view is not there at all, to read, count, change or delete: 404, the admin too.
    for (const [method, path, body] of [
      ['GET', `/v1/views/${personal.body.id}`],
      ['GET', `/v1/views/${personal.body.id}/count`],
      ['PATCH', `/v1/views/${personal.body.id}`, { name: 'mine now' }],
      ['DELETE', `/v1/views/${personal.body.id}`],
    ] as const) {
      expect((await h.api(method, path, body, as.olga)).status, `${method} ${path}`).toBe(404);
      expect((await h.api(method, path, body)).status, `admin ${method} ${path}`).toBe(404);
    }
    // A shared one is read by all, changed only by its owner or an admin.
    expect((await h.api('PATCH', `/v1/views/${shared.body.id}`, { name: 'Olga’s' }, as.olga)).status).toBe(403);
    expect((await h.api('DELETE', `/v1/views/${shared.body.id}`, undefined, as.olga)).status).toBe(403);
    const renamed = await h.api('PATCH', `/v1/views/${shared.body.id}`, { name: 'Escalated cases' });
    expect([renamed.status, renamed.body.name, renamed.body.owner, renamed.headers.etag]).toEqual([200, 'Escalated cases', 'pete', '"2"']);
    // If-Match: a change made on an old read is refused, and changes nothing.
    const stale = await h.api('PATCH', `/v1/views/${shared.body.id}`, { shared: false }, { ...as.pete, 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    expect((await h.api('DELETE', `/v1/views/${shared.body.id}`, undefined, { ...as.pete, 'if-match': '"1"' })).status).toBe(412);
    const unshared = await h.api('PATCH', `/v1/views/${shared.body.id}`, { shared: false }, { ...as.pete, 'if-match': '"2"' });
    expect([unshared.status, unshared.body.shared]).toEqual([200, false]);
    expect((await h.api('GET', `/v1/views/${shared.body.id}`, undefined, as.olga)).status).toBe(404);
    expect((await h.api('DELETE', `/v1/views/${shared.body.id}`, undefined, as.pete)).status).toBe(204);
    expect((await h.api('GET', `/v1/views/${shared.body.id}`, undefined, as.pete)).status).toBe(404);
  });

  it('refuses hostile and wrong input by field, changing nothing', async () => {
    const before = (await h.api('GET', '/v1/views', undefined, as.bea)).body.items.length;
    const refused: Array<[Record<string, unknown>, number, string]> = [
      [{ name: 'x', screen: 'work', query: `q=${'a'.repeat(2100)}` }, 422, 'query'],
      [{ name: 'x', screen: 'work', query: 'colour=red' }, 422, 'query.colour'],
      [{ name: 'x', screen: 'work', query: 'state=exploded' }, 422, 'query.state'],
      [{ name: 'x', screen: 'work', query: 'unassigned=maybe' }, 422, 'query.unassigned'],
      [{ name: 'x', screen: 'work', query: 'state=todo&state=waiting' }, 422, 'query.state'],
      [{ name: 'x', screen: 'work', query: 'before=01900000-0000-7000-8000-000000000000' }, 422, 'query.before'],
      [{ name: 'x', screen: 'work', query: 'actionType=nothing-like-it' }, 422, 'query.actionType'],
      [{ name: 'x', screen: 'cases', query: 'status=pending' }, 422, 'query.status'],
      [{ name: 'x', screen: 'cases', query: 'reason=manual' }, 422, 'query.reason'],
      [{ name: 'x', screen: 'reports', query: '' }, 422, 'screen'],
      [{ name: '   ', screen: 'work', query: '' }, 422, 'name'],
      [{ name: 'a\nb', screen: 'work', query: '' }, 422, 'name'],
      [{ name: 'n'.repeat(101), screen: 'work', query: '' }, 422, 'name'],
      [{ name: 'x', screen: 'work', query: '', owner: 'olga' }, 422, 'owner'],
    ];
    for (const [body, status, field] of refused) {
      const r = await h.api('POST', '/v1/views', body, as.bea);
      expect([r.status, (r.body.errors as Array<{ field: string }>)?.map((e) => e.field)], JSON.stringify(body).slice(0, 80)).toEqual([
        status,
        [field],
      ]);
    }
    // The same POST twice: the second is a conflict, as is the same name in another case.
    expect((await h.api('POST', '/v1/views', { name: 'Open', screen: 'cases', query: 'status=open' }, as.bea)).status).toBe(201);
    expect((await h.api('POST', '/v1/views', { name: 'Open', screen: 'cases', query: 'status=open' }, as.bea)).status).toBe(409);
    expect((await h.api('POST', '/v1/views', { name: ' OPEN ', screen: 'cases', query: '' }, as.bea)).status).toBe(409);
    // Another screen, another person: the name is free.
    expect((await h.api('POST', '/v1/views', { name: 'Open', screen: 'work', query: '' }, as.bea)).status).toBe(201);
    expect((await h.api('POST', '/v1/views', { name: 'Open', screen: 'cases', query: '' }, as.olga)).status).toBe(201);
    expect((await h.api('GET', '/v1/views', undefined, as.bea)).body.items.length).toBe(before + 2);
    // A scraper's key reads no lists, so keeps no views; an external system's may not read the work
    // list's counts (a view's), nor name a shared view on every person's work list.
    expect((await h.api('GET', '/v1/views', undefined, as.scraper)).status).toBe(403);
    expect((await h.api('POST', '/v1/views', { name: 'm', screen: 'work', query: '' }, as.scraper)).status).toBe(403);
    const system = await key('crm', ['integration']);
    const shared = { name: 'Call us', screen: 'work', query: 'queue=hr', shared: true };
    expect((await h.api('POST', '/v1/views', shared, system)).status).toBe(403);
    expect((await h.api('GET', '/v1/views?counts=true', undefined, system)).status).toBe(403);
    const olgas = (await h.api('GET', '/v1/views', undefined, as.olga)).body.items as Array<{ id: string }>;
    expect((await h.api('GET', `/v1/views/${olgas[0]!.id}/count`, undefined, system)).status).toBe(403);
  });

  it('keeps at most 100 views a person, and counts no further than 1,000', async () => {
    const hoarder = await key('hoarder', ['operator']);
    const made = await Promise.all(
      Array.from({ length: 100 }, (_, i) => h.api('POST', '/v1/views', { name: `v${i}`, screen: 'cases', query: '' }, hoarder)),
    );
    expect(made.map((r) => r.status)).toEqual(Array(100).fill(201));
    const over = await h.api('POST', '/v1/views', { name: 'one more', screen: 'cases', query: '' }, hoarder);
    expect(over.status).toBe(409);
    // A key made without a user keeps its views under the name it acts as.
    expect(made[0]!.body.owner).toBe('key:hoarder');
    for (let i = 0; i < 1001; i += 50)
      await Promise.all(Array.from({ length: Math.min(50, 1001 - i) }, () => h.api('POST', '/v1/cases', { data: {} })));
    expect((await h.api('GET', `/v1/views/${made[0]!.body.id}/count`, undefined, hoarder)).body).toEqual({ value: 1000, more: true });
  }, 60_000);
});
