// GET /v1/schedules pages as the other lists do (`limit`, `before`, `{ items, next }`, newest first):
// each schedule's launch may carry an input of 256 KB, so the whole list in one answer had no bound. A
// walk by `next` meets every schedule once, bad paging parameters are refused by name, and the
// configuration export and the library's schedules.list() still hold them all.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';

interface Page {
  items: Array<{ id: string; name: string }>;
  next: string | null;
}

const fields = (body: { errors?: Array<{ field: string }> }): string[] => [...new Set((body.errors ?? []).map((e) => e.field))].sort();
const MANY = 53;

for (const backend of storeHarnesses)
  describe(`${backend.name}: GET /v1/schedules pages`, () => {
    let h: Harness;
    const made: string[] = [];
    const create = async (name: string): Promise<void> => {
      const body = { name, cron: '0 8 1 1 *', timezone: 'UTC', launch: { process: 'yearly', title: name } };
      expect((await h.api('POST', '/v1/schedules', body)).status).toBe(201);
    };

    beforeAll(async () => {
      h = await backend.open({ start: false });
      const steps = [{ name: 'a', kind: 'map', expression: '{ "ok": true }' }];
      expect((await h.api('POST', '/v1/processes', { name: 'yearly', steps })).status).toBe(201);
      for (let i = 0; i < MANY; i++) {
        const name = `s-${String(i).padStart(2, '0')}`;
        await create(name);
        made.push(name);
      }
    });
    afterAll(async () => h?.close());

    it('gives 50 by default, newest first, and a walk by `next` meets every schedule once, one made mid-walk on a fresh walk', async () => {
      const first = (await h.api<Page>('GET', '/v1/schedules')).body;
      expect(first.items).toHaveLength(50);
      expect(first.items[0]!.name).toBe(`s-${MANY - 1}`);
      expect(first.next).toBe(first.items[49]!.id);

      const walk = async (during?: () => Promise<void>): Promise<string[]> => {
        const seen: string[] = [];
        let before: string | null = null;
        do {
          const r: { status: number; body: Page } = await h.api<Page>(
            'GET',
            `/v1/schedules?limit=10${before === null ? '' : `&before=${before}`}`,
          );
          expect(r.status).toBe(200);
          seen.push(...r.body.items.map((s) => s.name));
          before = r.body.next;
          if (seen.length === 20) await during?.();
        } while (before !== null);
        return seen;
      };
      expect(await walk(() => create('made-mid-walk'))).toEqual([...made].reverse());
      expect(await walk()).toEqual(['made-mid-walk', ...[...made].reverse()]);
    });

    it('a bad limit, cursor or parameter is a 422 naming it', async () => {
      for (const q of ['limit=0', 'limit=501', 'limit=2.5', 'limit=ten']) {
        const r = await h.api('GET', `/v1/schedules?${q}`);
        expect([q, r.status, fields(r.body)]).toEqual([q, 422, ['limit']]);
        expect(r.headers['content-type']).toContain('application/problem+json');
      }
      for (const q of ['before=zzz', 'before=', `before=${'0'.repeat(201)}`, 'before=s-10']) {
        const r = await h.api('GET', `/v1/schedules?${q}`);
        expect([q, r.status, fields(r.body)]).toEqual([q, 422, ['before']]);
      }
      const unknown = await h.api('GET', '/v1/schedules?paused=true');
      expect([unknown.status, fields(unknown.body)]).toEqual([422, ['paused']]);
    });

    it('the configuration export still holds every schedule, beyond one page', async () => {
      const exported = (await h.api('GET', '/v1/config/export?format=json')).body as { schedules: Array<{ name: string }> };
      expect(exported.schedules.map((s) => s.name)).toEqual(expect.arrayContaining(made));
      expect(exported.schedules.length).toBeGreaterThan(50);
    });

    it("the library's schedules.list() still gives every schedule, by name, as processes.list() gives every process", async () => {
      const { items } = await h.callout.schedules.list();
      const names = items.map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining(made));
      expect(names).toEqual([...names].sort());
      expect(names.length).toBeGreaterThan(50);
    });
  });
