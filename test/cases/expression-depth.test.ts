// An expression nested deeper than the evaluator goes, on both stores: a `when` of 199 conditions
// joined by "or" (or 200 parentheses) compiled, so the process was saved, and then every case that
// reached the step failed it ("exceeded the depth limit of 200 nested evaluations"). It is refused
// where the process is saved, naming the field, as a syntax error is; one just within the limit runs.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.ts';
import { stepOf, waitForCase } from '../helpers/cases.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';

const orChain = (n: number): string => Array.from({ length: n }, (_, i) => `case.country = "C${i}"`).join(' or ');

for (const backend of storeHarnesses)
  describe(`${backend.name}: an expression nested deeper than it can be evaluated`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await backend.open();
    });
    afterAll(async () => h?.close());

    it('is refused when the process is saved, naming the field, and nothing is stored', async () => {
      const tooDeep = [
        { field: 'steps[0].when', step: { name: 'gate', kind: 'manual', queue: 'hr', when: orChain(199) } },
        {
          field: 'steps[0].expression',
          step: { name: 'shape', kind: 'map', expression: `{ "x": ${'('.repeat(200)}1${')'.repeat(200)} }` },
        },
      ];
      for (const { field, step } of tooDeep) {
        const r = await h.api('POST', '/v1/processes', { name: 'deep', steps: [step] });
        expect(r.status, JSON.stringify(r.body)).toBe(422);
        expect(r.body.errors).toEqual([{ field, message: expect.stringMatching(/nests 20[12] levels deep.*at most 200/) }]);
      }
      expect((await h.api('GET', '/v1/processes/deep')).status).toBe(404);
      // A PATCH that would make it so is refused too, and the process stays as it was.
      expect(
        (await h.api('POST', '/v1/processes', { name: 'gated', steps: [{ name: 'gate', kind: 'map', expression: '{ "ok": true }' }] }))
          .status,
      ).toBe(201);
      const patch = await h.api('PATCH', '/v1/processes/gated', { steps: [tooDeep[0]!.step] });
      expect(patch.status).toBe(422);
      expect((await h.api('GET', '/v1/processes/gated')).body.revision).toBe(1);
    });

    it('nested predicates are counted as the evaluator counts them: one level each', async () => {
      // 100 of them run; they were counted three levels each and refused as 301 deep.
      const nested = `case.a${'[b'.repeat(100)}${']'.repeat(100)}`;
      const r = await h.api('POST', '/v1/processes', {
        name: 'filters',
        steps: [{ name: 'shape', kind: 'map', expression: `{ "found": $exists(${nested}) }` }],
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const c = await h.api('POST', '/v1/cases', { process: 'filters', data: { a: { b: 1 } } });
      const done = await waitForCase(h, c.body.id, (x) => x.status === 'closed' || stepOf(x, 'shape').status === 'failed');
      expect(stepOf(done, 'shape')).toMatchObject({ status: 'done', error: null });
      expect(done.data).toEqual({ a: { b: 1 }, found: false });
      // 200 of them are still refused.
      const deeper = `case.a${'[b'.repeat(200)}${']'.repeat(200)}`;
      const refused = await h.api('POST', '/v1/processes', {
        name: 'filters2',
        steps: [{ name: 'shape', kind: 'map', expression: `{ "x": ${deeper} }` }],
      });
      expect(refused.status).toBe(422);
    });

    it('one just within the limit is saved and runs', async () => {
      const r = await h.api('POST', '/v1/processes', {
        name: 'wide',
        steps: [{ name: 'shape', kind: 'map', when: orChain(198), expression: '{ "matched": true }' }],
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const c = await h.api('POST', '/v1/cases', { process: 'wide', data: { country: 'C197' } });
      const done = await waitForCase(h, c.body.id, (x) => x.status === 'closed' || stepOf(x, 'shape').status === 'failed');
      expect(stepOf(done, 'shape')).toMatchObject({ status: 'done', error: null });
      expect(done.data).toEqual({ country: 'C197', matched: true });
    });
  });
