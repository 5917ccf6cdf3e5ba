// "__proto__" in a process, over HTTP on both stores: a step may be named so (the name pattern allows
// it). The expressions' scope was built by assignment, so `steps.__proto__` of a later step read nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';
import { waitForCase } from '../helpers/cases.ts';

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
  });
