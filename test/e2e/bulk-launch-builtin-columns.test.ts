// A process's bulk launch whose columns are named like an object's built-ins, over HTTP on both stores.
// constructor and prototype are ordinary keys of the case data, from a CSV body as from JSON rows, and
// may be the title column. __proto__ is refused naming the column, as a JSON body with that key is
// refused: a CSV row used to lose its cells (assigned, they went onto the row's prototype).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';

for (const backend of storeHarnesses)
  describe(`${backend.name}: bulk launch columns named like built-ins`, () => {
    let h: StoreHarnessed;
    beforeAll(async () => {
      h = await backend.open();
      expect((await h.api('POST', '/v1/queues', { name: 'hr' })).status).toBe(201);
      const p = await h.api('POST', '/v1/processes', { name: 'intake', steps: [{ name: 'check', kind: 'manual', queue: 'hr' }] });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
    });
    afterAll(async () => h?.close());

    async function done(id: string): Promise<any> {
      for (let i = 0; ; i++) {
        const r = (await h.api('GET', `/v1/bulk-launches/${id}`)).body;
        if (r.status !== 'running') return r;
        if (i > 400) throw new Error(`bulk launch ${id} still running: ${JSON.stringify(r).slice(0, 300)}`);
        await new Promise((res) => setTimeout(res, 50));
      }
    }
    /** The case data of each row of a finished launch, in row order. */
    async function dataOf(launch: { status: number; body: any }): Promise<unknown[]> {
      expect(launch.status, JSON.stringify(launch.body)).toBe(201);
      const report = await done(launch.body.id);
      expect(report, JSON.stringify(report)).toMatchObject({ refused: 0 });
      return Promise.all(report.rows.map(async (r: { id: string }) => (await h.api('GET', `/v1/cases/${r.id}`)).body));
    }

    const cases = async (): Promise<number> => (await h.api('GET', '/v1/cases?limit=500')).body.items.length;

    it('JSON rows keep constructor and prototype as ordinary keys of the case data, and a CSV the same', async () => {
      const rows = [{ constructor: 'c1', prototype: 't1', name: 'Sam' }];
      const json = await h.api('POST', '/v1/bulk-launches', JSON.stringify({ process: 'intake', rows }), {
        'content-type': 'application/json',
      });
      expect(((await dataOf(json)) as any[]).map((c) => c.data)).toEqual(rows);
      const csv = 'constructor,prototype,name\nc1,t1,Sam\nc2,t2,Amy\n';
      const fromCsv = (await dataOf(await h.api('POST', '/v1/bulk-launches?process=intake', csv, { 'content-type': 'text/csv' }))) as any[];
      expect(fromCsv.map((c) => c.data)).toEqual([...rows, { constructor: 'c2', prototype: 't2', name: 'Amy' }]);
      // Either may be the title column.
      const titled = await h.api('POST', '/v1/bulk-launches?process=intake&titleColumn=constructor', csv, { 'content-type': 'text/csv' });
      expect(((await dataOf(titled)) as any[]).map((c) => [c.title, c.data])).toEqual([
        ['c1', { prototype: 't1', name: 'Sam' }],
        ['c2', { prototype: 't2', name: 'Amy' }],
      ]);
    });

    it('a column named __proto__ is refused with 422 naming the column, as a JSON row with that key is refused; nothing launches', async () => {
      const before = await cases();
      const json = await h.api('POST', '/v1/bulk-launches', '{"process":"intake","rows":[{"__proto__":"p1","name":"Sam"}]}', {
        'content-type': 'application/json',
      });
      expect(json.status).toBe(400);
      expect(json.body.detail).toContain('__proto__');
      for (const query of ['process=intake', 'process=intake&titleColumn=__proto__']) {
        const csv = await h.api('POST', `/v1/bulk-launches?${query}`, 'name,__proto__\nSam,p1\n', { 'content-type': 'text/csv' });
        expect(csv.status, JSON.stringify(csv.body)).toBe(422);
        expect(csv.body.errors).toEqual([{ field: 'header[1]', message: expect.stringContaining('"__proto__" cannot be a column name') }]);
      }
      expect(await cases()).toBe(before);
    });
  });
