// The configuration lists page as GET /v1/processes does (`limit` 1-500, default 50; `before` = the
// `next` of the page before; `{ items, next }`): connectors, action types, webhooks and API keys newest
// first, users and queues (keyed by name) by name. A walk meets every item once, bad paging parameters
// are refused by name, and the library's list() still gives them all.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';

type Item = { id?: string; name?: string; url?: string };
interface Page {
  items: Item[];
  next: string | null;
}

const fields = (body: { errors?: Array<{ field: string }> }): string[] => [...new Set((body.errors ?? []).map((e) => e.field))].sort();
const MADE = 7;

interface List {
  path: string;
  /** Creates the i-th item; answers what the list shows of it (its name, or a webhook's url). */
  create(h: Harness, i: number): Promise<string>;
  label(x: Item): string;
  /** Users and queues page by name; the others newest first. */
  byName: boolean;
  /** Every item, as the library gives them. */
  library(h: Harness): Promise<Item[]>;
}

const created = async (h: Harness, path: string, body: object): Promise<void> => {
  const r = await h.api('POST', path, body);
  expect([path, r.status]).toEqual([path, 201]);
};

const lists: List[] = [
  {
    path: '/v1/connectors',
    byName: false,
    label: (x) => x.name!,
    library: (h) => h.callout.connectors.list(),
    async create(h, i) {
      const name = `c-${i}`;
      await created(h, '/v1/connectors', { name, baseUrl: h.mock.url, timeout: '2s' });
      return name;
    },
  },
  {
    path: '/v1/action-types',
    byName: false,
    label: (x) => x.name!,
    library: (h) => h.callout.actionTypes.list(),
    async create(h, i) {
      if (i === 0) await created(h, '/v1/connectors', { name: 'vendor', baseUrl: h.mock.url, timeout: '2s' });
      const name = `t-${i}`;
      await created(h, '/v1/action-types', { name, connector: 'vendor', method: 'POST', path: '/x' });
      return name;
    },
  },
  {
    path: '/v1/webhooks',
    byName: false,
    label: (x) => x.url!,
    library: (h) => h.callout.webhooks.list(),
    async create(h, i) {
      const url = `${h.mock.url}/hook-${i}`;
      await created(h, '/v1/webhooks', { url, events: ['case.created'] });
      return url;
    },
  },
  {
    path: '/v1/api-keys',
    byName: false,
    label: (x) => x.name!,
    library: (h) => h.callout.apiKeys.list(),
    async create(h, i) {
      const name = `k-${i}`;
      await created(h, '/v1/api-keys', { name, roles: ['operator'] });
      return name;
    },
  },
  {
    path: '/v1/users',
    byName: true,
    label: (x) => x.name!,
    library: (h) => h.callout.users.list(),
    async create(h, i) {
      // Made out of name order, so by name is not by creation.
      const name = `u-${(i * 3) % MADE}`;
      await created(h, '/v1/users', { name });
      return name;
    },
  },
  {
    path: '/v1/queues',
    byName: true,
    label: (x) => x.name!,
    library: (h) => h.callout.queues.list(),
    async create(h, i) {
      const name = `Q ${(i * 3) % MADE}`;
      await created(h, '/v1/queues', { name });
      return name;
    },
  },
];

for (const backend of storeHarnesses)
  describe(`${backend.name}: the configuration lists page`, () => {
    let h: Harness;
    const made = new Map<string, string[]>();

    beforeAll(async () => {
      h = await backend.open({ start: false });
      for (const l of lists) {
        const names: string[] = [];
        for (let i = 0; i < MADE; i++) names.push(await l.create(h, i));
        made.set(l.path, names);
      }
    });
    afterAll(async () => h?.close());

    const walk = async (path: string, limit: number): Promise<{ sizes: number[]; items: Item[] }> => {
      const sizes: number[] = [];
      const items: Item[] = [];
      let before: string | null = null;
      do {
        const q: string = `limit=${limit}${before === null ? '' : `&before=${encodeURIComponent(before)}`}`;
        const r: { status: number; body: Page } = await h.api<Page>('GET', `${path}?${q}`);
        expect([path, q, r.status]).toEqual([path, q, 200]);
        sizes.push(r.body.items.length);
        items.push(...r.body.items);
        expect(r.body.next === null || typeof r.body.next === 'string').toBe(true);
        before = r.body.next;
        expect(sizes.length).toBeLessThan(50);
      } while (before !== null);
      return { sizes, items };
    };

    for (const l of lists)
      it(`${l.path}: pages of 3 meet every item once, in order, and the last says there is no more`, async () => {
        const names = made.get(l.path)!;
        const whole = (await h.api<Page>('GET', `${l.path}?limit=500`)).body;
        expect(whole.next).toBeNull();
        const { sizes, items } = await walk(l.path, 3);
        // The harness's own admin key is on the list of keys too.
        const others = whole.items.length - MADE;
        expect(sizes).toEqual(others === 0 ? [3, 3, 1] : sizes.map((_, i) => (i < sizes.length - 1 ? 3 : sizes.at(-1)!)));
        expect(items.map(l.label)).toEqual(whole.items.map(l.label));
        expect(new Set(items.map(l.label)).size).toBe(items.length);
        expect(items.map(l.label)).toEqual(expect.arrayContaining(names));
        const mine = items.map(l.label).filter((x) => names.includes(x));
        expect(mine).toEqual(l.byName ? [...names].sort() : [...names].reverse());
        // The default page holds them all here (50), and the library still lists every one.
        expect((await h.api<Page>('GET', l.path)).body.items.map(l.label)).toEqual(whole.items.map(l.label));
        expect((await l.library(h)).map(l.label).sort()).toEqual(whole.items.map(l.label).sort());
      });

    for (const l of lists)
      it(`${l.path}: a bad limit or cursor is a 422 naming it; a good one is a page`, async () => {
        const one = (await h.api<Page>('GET', `${l.path}?limit=1`)).body;
        expect(one.items).toHaveLength(1);
        expect(typeof one.next).toBe('string');
        for (const q of ['limit=0', 'limit=501', 'limit=2.5', 'limit=ten', 'limit=5&limit=6']) {
          const r = await h.api('GET', `${l.path}?${q}`);
          expect([q, r.status, fields(r.body)]).toEqual([q, 422, ['limit']]);
          expect(r.headers['content-type']).toContain('application/problem+json');
        }
        const badCursors = l.byName ? ['before=', `before=${'x'.repeat(201)}`] : ['before=zzz', 'before=', "before=' OR 1=1 --"];
        if (l.path === '/v1/users') badCursors.push('before=Not%20A%20User');
        for (const q of badCursors) {
          const r = await h.api('GET', `${l.path}?${encodeURI(q)}`);
          expect([q, r.status, fields(r.body)]).toEqual([q, 422, ['before']]);
        }
        const unknown = await h.api('GET', `${l.path}?after=x`);
        expect([unknown.status, fields(unknown.body)]).toEqual([422, ['after']]);
      });

    it('the OpenAPI document gives each list its paging parameters and the page', async () => {
      const doc = (await h.api('GET', '/openapi.json', undefined, { authorization: '' })).body;
      for (const l of lists) {
        const op = doc.paths[l.path].get;
        expect([l.path, op.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)]).toEqual([
          l.path,
          ['query:before', 'query:limit'],
        ]);
        expect(op.parameters[1].schema).toMatchObject({ minimum: 1, maximum: 500, default: 50 });
        expect(op.responses['200'].content['application/json'].schema.required).toEqual(['items', 'next']);
      }
    });
  });
