// GET /v1/processes pages as the other lists do (`limit`, `before`, `{ items, next }`, newest first):
// 200 processes of 100 steps were one 31 MB answer. A walk by `next` meets every process once, bad
// paging parameters are refused by name, and the configuration export still holds them all.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';

interface Page {
  items: Array<{ id: string; name: string }>;
  next: string | null;
}

const fields = (body: { errors?: Array<{ field: string }> }): string[] => [...new Set((body.errors ?? []).map((e) => e.field))].sort();
const step = [{ name: 'a', kind: 'map', expression: '{ "ok": true }' }];
const MANY = 55;

for (const backend of storeHarnesses)
  describe(`${backend.name}: GET /v1/processes pages`, () => {
    let h: Harness;
    const made: string[] = [];
    const create = async (name: string): Promise<void> => {
      expect((await h.api('POST', '/v1/processes', { name, steps: step })).status).toBe(201);
    };

    beforeAll(async () => {
      h = await backend.open({ start: false });
      for (let i = 0; i < MANY; i++) {
        const name = `p-${String(i).padStart(2, '0')}`;
        await create(name);
        made.push(name);
      }
    });
    afterAll(async () => h?.close());

    it('gives 50 by default, newest first, and a walk by `next` meets every process once, one created mid-walk on a fresh walk', async () => {
      const first = (await h.api<Page>('GET', '/v1/processes')).body;
      expect(first.items).toHaveLength(50);
      expect(first.items[0]!.name).toBe(`p-${MANY - 1}`);
      expect(first.next).toBe(first.items[49]!.id);
      const rest = (await h.api<Page>('GET', `/v1/processes?before=${first.next}`)).body;
      expect([...first.items, ...rest.items].map((p) => p.name)).toEqual([...made].reverse());

      const walk = async (during?: () => Promise<void>): Promise<Page['items']> => {
        const seen: Page['items'] = [];
        let before: string | null = null;
        do {
          const r: { status: number; body: Page } = await h.api<Page>(
            'GET',
            `/v1/processes?limit=7${before === null ? '' : `&before=${before}`}`,
          );
          expect(r.status).toBe(200);
          expect(r.body.items.length).toBeLessThanOrEqual(7);
          seen.push(...r.body.items);
          before = r.body.next;
          if (seen.length === 14) await during?.();
        } while (before !== null);
        return seen;
      };
      const seen = await walk(() => create('made-mid-walk'));
      // Every one that was there, once, newest first; the newer one is above where the walk began.
      expect(seen.map((p) => p.name)).toEqual([...made].reverse());
      expect(new Set(seen.map((p) => p.id)).size).toBe(MANY);
      expect(seen.map((p) => p.id)).toEqual(
        seen
          .map((p) => p.id)
          .slice()
          .sort()
          .reverse(),
      );
      const again = await walk();
      expect(again.map((p) => p.name)).toEqual(['made-mid-walk', ...[...made].reverse()]);
    });

    it('a bad limit, cursor or parameter is a 422 naming it', async () => {
      for (const q of ['limit=0', 'limit=501', 'limit=2.5', 'limit=ten', 'limit=-1']) {
        const r = await h.api('GET', `/v1/processes?${q}`);
        expect([q, r.status, fields(r.body)]).toEqual([q, 422, ['limit']]);
        expect(r.headers['content-type']).toContain('application/problem+json');
      }
      for (const q of ['before=zzz', 'before=', `before=${'0'.repeat(201)}`, 'before=p-10', "before=' OR 1=1 --"]) {
        const r = await h.api('GET', `/v1/processes?${encodeURI(q)}`);
        expect([q, r.status, fields(r.body)]).toEqual([q, 422, ['before']]);
      }
      // Given twice, a parameter is not a value: refused by name, not a 500.
      for (const [q, field] of [
        ['limit=5&limit=6', 'limit'],
        ['before=00000000-0000-7000-8000-000000000000&before=00000000-0000-7000-8000-000000000001', 'before'],
      ] as const) {
        const r = await h.api('GET', `/v1/processes?${q}`);
        expect([q, r.status, fields(r.body)]).toEqual([q, 422, [field]]);
      }
      const unknown = await h.api('GET', '/v1/processes?after=x');
      expect([unknown.status, fields(unknown.body)]).toEqual([422, ['after']]);
      // An id that is no process's still reads on from where it sorts: the ones older than it (here none).
      expect((await h.api<Page>('GET', '/v1/processes?before=00000000-0000-7000-8000-000000000000')).body).toEqual({
        items: [],
        next: null,
      });
    });

    it('the OpenAPI document gives the paging parameters and the page', async () => {
      const doc = (await h.api('GET', '/openapi.json', undefined, { authorization: '' })).body;
      const list = doc.paths['/v1/processes'].get;
      expect(list.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(['query:before', 'query:limit']);
      expect(list.parameters[1].schema).toMatchObject({ minimum: 1, maximum: 500, default: 50 });
      expect(list.responses['200'].content['application/json'].schema.required).toEqual(['items', 'next']);
    });

    it('GET /v1/process-names pages the names alone, as GET /v1/processes pages the processes', async () => {
      const names: Array<{ id: string; name: string }> = [];
      const sizes: number[] = [];
      let before: string | null = null;
      do {
        const r: { status: number; body: Page } = await h.api<Page>(
          'GET',
          `/v1/process-names?limit=20${before === null ? '' : `&before=${before}`}`,
        );
        expect(r.status).toBe(200);
        sizes.push(r.body.items.length);
        names.push(...r.body.items);
        before = r.body.next;
      } while (before !== null);
      const full: Page['items'] = [];
      for (let b: string | null = null, first = true; first || b !== null; first = false) {
        const page: Page = (await h.api<Page>('GET', `/v1/processes?limit=500${b === null ? '' : `&before=${b}`}`)).body;
        full.push(...page.items);
        b = page.next;
      }
      expect(sizes.slice(0, -1).every((n) => n === 20)).toBe(true);
      expect(names).toEqual(full.map(({ id, name }) => ({ id, name })));
      // The names alone: no definition, nothing but the id and the name.
      expect(Object.keys(names[0]!).sort()).toEqual(['id', 'name']);
      const bad = await h.api('GET', '/v1/process-names?limit=0&before=zzz');
      expect([bad.status, fields(bad.body)]).toEqual([422, ['limit']]);
      const badCursor = await h.api('GET', '/v1/process-names?before=zzz');
      expect([badCursor.status, fields(badCursor.body)]).toEqual([422, ['before']]);
      // Read by any key that reads processes: an operator's too (a new case offers them).
      const op = (await h.api('POST', '/v1/api-keys', { name: 'names-op', roles: ['operator'] })).body.key as string;
      expect((await h.api('GET', '/v1/process-names?limit=1', undefined, { authorization: `Bearer ${op}` })).status).toBe(200);
    });

    it('the configuration export still holds every process, beyond one page', async () => {
      const exported = (await h.api('GET', '/v1/config/export?format=json')).body as { processes: Array<{ name: string }> };
      expect(exported.processes.map((p) => p.name)).toEqual(expect.arrayContaining(made));
      expect(exported.processes.length).toBeGreaterThan(50);
    });
  });
