// Attack on saved views (/v1/views) on both stores: hostile names and queries, the same name twice at
// once, another person's views, each role, and the chunk route of the UI bundle.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeHarnesses } from '../helpers/store-harnesses.ts';
import type { Harness } from '../helpers/harness.ts';

describe.each(storeHarnesses)('saved views under attack on $name', (backend) => {
  let h: Harness;
  const as: Record<string, Record<string, string>> = {};
  const key = async (name: string, roles: string[], user?: string): Promise<Record<string, string>> => {
    const r = await h.api('POST', '/v1/api-keys', { name, roles, ...(user ? { user } : {}) });
    return { authorization: `Bearer ${r.body.key as string}` };
  };
  beforeAll(async () => {
    h = await backend.open();
    for (const u of ['olga', 'pete']) await h.api('POST', '/v1/users', { name: u });
    as.olga = await key('olga-key', ['operator'], 'olga');
    as.pete = await key('pete-key', ['operator'], 'pete');
    as.metrics = await key('scraper', ['metrics']);
    as.integration = await key('crm', ['integration']);
    as.keyOnly = await key('System-A', ['operator']);
  });
  afterAll(async () => h?.close());
  const view = (body: Record<string, unknown>, who = as.olga) => h.api('POST', '/v1/views', { screen: 'work', query: '', ...body }, who);

  it('a name that would not stay on one line, or could reorder what others read, is refused', async () => {
    for (const name of ['a\u2028b', 'a\u2029b', 'Desk \u202egnissim', 'x\u2066y', 'tab\there', 'nul\u0000']) {
      const r = await view({ name, shared: true });
      expect(r.status, JSON.stringify(name)).toBe(422);
      expect(r.body.errors[0].field).toBe('name');
    }
    // Other scripts and emoji are names like any other.
    expect((await view({ name: 'Очередь 😀 日本' })).status).toBe(201);
  });

  it('hostile queries are refused by filter, never stored or run', async () => {
    for (const query of [
      '__proto__=1',
      'constructor=x',
      'state=todo&state=closed',
      "state=todo'--",
      'limit=5',
      'escalated=maybe',
      `q=${'x'.repeat(300)}`,
    ]) {
      const r = await view({ name: `q ${query.slice(0, 20)}`, query });
      expect(r.status, query).toBe(422);
      expect(r.body.errors[0].field, query).toMatch(/^query/);
    }
    expect(({} as Record<string, unknown>)['1']).toBeUndefined();
    // SQL-ish and NUL text in a value is only a value: saved, and counted as matching nothing.
    const sqlish = await view({ name: 'sqlish', query: `queue=${encodeURIComponent("x' OR 1=1 --\u0000")}` });
    expect(sqlish.status).toBe(201);
    expect((await h.api('GET', `/v1/views/${sqlish.body.id}/count`, undefined, as.olga)).body).toEqual({ value: 0, more: false });
  });

  it('the same name twice at once: one view, one clear conflict; case and accents fold as one name', async () => {
    const rs = await Promise.all([view({ name: 'Twice' }), view({ name: 'twice' })]);
    expect(rs.map((r) => r.status).sort()).toEqual([201, 409]);
    expect((await view({ name: 'ÉCOLE' })).status).toBe(201);
    expect((await view({ name: 'école' })).status).toBe(409);
  });

  it("another person's views: a personal one is not there, a shared one is read but not changed; roles", async () => {
    const mine = (await view({ name: 'Olga private' })).body;
    const shared = (await view({ name: 'Olga shared', shared: true })).body;
    for (const [m, path] of [
      ['GET', `/v1/views/${mine.id}`],
      ['GET', `/v1/views/${mine.id}/count`],
      ['PATCH', `/v1/views/${mine.id}`],
      ['DELETE', `/v1/views/${mine.id}`],
    ] as const)
      expect((await h.api(m, path, m === 'PATCH' ? { name: 'mine now' } : undefined, as.pete)).status, `${m} ${path}`).toBe(404);
    expect((await h.api('GET', `/v1/views/${shared.id}`, undefined, as.pete)).status).toBe(200);
    expect((await h.api('PATCH', `/v1/views/${shared.id}`, { shared: false }, as.pete)).status).toBe(403);
    expect((await h.api('DELETE', `/v1/views/${shared.id}`, undefined, as.pete)).status).toBe(403);
    expect((await h.api('GET', '/v1/views', undefined, as.metrics)).status).toBe(403);
    // A key without a user keeps its views under its own name, apart from every person's; an external
    // system's key keeps none (a view's count is the work list's counts, refused to it).
    const sys = await view({ name: 'Olga private' }, as.keyOnly);
    expect([sys.status, sys.body.owner]).toEqual([201, 'System-A']);
    expect((await h.api('GET', `/v1/views/${mine.id}`, undefined, as.keyOnly)).status).toBe(404);
    expect((await view({ name: 'From the CRM' }, as.integration)).status).toBe(403);
    // The admin changes a shared view of another, and still does not see a personal one.
    expect((await h.api('PATCH', `/v1/views/${shared.id}`, { name: 'Renamed by admin' })).status).toBe(200);
    expect((await h.api('GET', `/v1/views/${mine.id}`)).status).toBe(404);
  });

  it('the UI chunk route serves the bundle’s chunks only: no traversal, immutable, JavaScript, with the CSP', async () => {
    const page = await h.api('GET', '/ui/work');
    const html = String(page.body);
    const app = /\/ui\/assets\/(app-[\w-]+\.js)/.exec(html)![1]!;
    const appJs = String((await h.api('GET', `/ui/assets/${app}`)).body);
    const chunk = /chunk-[\w-]+\.js/.exec(appJs)![0];
    const r = await h.api('GET', `/ui/assets/${chunk}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.headers['content-security-policy']).toBe(page.headers['content-security-policy']);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    for (const bad of [
      `..%2f..%2fpackage.json`,
      `chunk-..%2f..%2fpackage.json`,
      `${chunk}%00.css`,
      chunk.toUpperCase(),
      '__proto__',
      'constructor',
    ]) {
      const b = await h.api('GET', `/ui/assets/${bad}`);
      expect(b.status, bad).toBe(404);
      expect(String(b.headers['content-type']), bad).toContain('problem+json');
    }
  });
});
