// "__proto__" in a process, over HTTP on both stores: a step may be named so (the name pattern allows
// it), and a map step may yield it as a key. Either used to be lost on the way: the expressions'
// scope was built by assignment, so `steps.__proto__` of a later step read nothing; and the case
// worker gathered a map step's keys by assignment too, so the key the step reported merged (and later
// steps saw) was never written to the case data, where an action's output with it is.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';
import { stepOf, waitForCase } from '../helpers/cases.ts';

const own = (o: object, key: string): unknown => Object.getOwnPropertyDescriptor(o, key)?.value;

for (const backend of storeHarnesses)
  describe(`${backend.name}: "__proto__" in a process`, () => {
    let h: StoreHarnessed;
    beforeAll(async () => {
      h = await backend.open();
    });
    afterAll(async () => h?.close());

    const run = async (name: string, steps: unknown[]): Promise<any> => {
      const p = await h.api('POST', '/v1/processes', { name, steps });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
      const c = await h.api('POST', '/v1/cases', { process: name, data: { a: 1 } });
      expect(c.status, JSON.stringify(c.body)).toBe(201);
      return waitForCase(h, c.body.id, (x) => x.status === 'closed' || x.steps.some((s: any) => s.status === 'failed'));
    };

    it('a step named __proto__ is read by a later step as steps.__proto__, as any other name', async () => {
      const c = await run('proto-step', [
        { name: '__proto__', kind: 'map', expression: '{ "made": 7 }' },
        { name: 'reader', kind: 'map', expression: '{ "seen": steps.__proto__.status, "made": steps.__proto__.output.made + 1 }' },
      ]);
      expect(c.status).toBe('closed');
      expect(c.steps.map((s: any) => s.status)).toEqual(['done', 'done']);
      expect(c.data).toEqual({ a: 1, seen: 'done', made: 8 });
    });

    it('a map step yielding a "__proto__" key merges it into the case data, as the later steps saw it', async () => {
      const c = await run('proto-key', [
        { name: 'shape', kind: 'map', expression: '{ "__proto__": { "x": 1 }, "b": 2 }' },
        { name: 'reader', kind: 'map', expression: '{ "keys": $keys(case) }' },
      ]);
      expect(c.status).toBe('closed');
      expect(stepOf(c, 'shape').status).toBe('done');
      expect(Object.keys(c.data).sort()).toEqual(['__proto__', 'a', 'b', 'keys']);
      expect(own(c.data, '__proto__')).toEqual({ x: 1 });
      expect([...c.data.keys].sort()).toEqual(['__proto__', 'a', 'b']);
      // Read again from the store, not only as the worker's write answered.
      const again = (await h.api('GET', `/v1/cases/${c.id}`)).body;
      expect(own(again.data, '__proto__')).toEqual({ x: 1 });
      // Nothing outside the case changed.
      expect(({} as Record<string, unknown>).x).toBeUndefined();
    });
  });
