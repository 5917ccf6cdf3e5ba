// A process read with GET saves back unchanged with PATCH (or as a new one with POST): the view gives
// a step's absent `when`, `input` and `useBodyOf` as null, and the routes refused null (422), so the
// UI's process editor could not save any existing process.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connector, actionType, type Harness } from '../helpers/harness.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';

for (const backend of storeHarnesses)
  describe(`${backend.name}: a process read and saved back`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await backend.open();
      await connector(h);
      await actionType(h, { name: 'order', path: '/ok', fields: { Title: { type: 'string' } } });
      expect((await h.api('POST', '/v1/queues', { name: 'hr' })).status).toBe(201);
    });
    afterAll(async () => h?.close());

    it('is accepted unchanged, nulls and all, and stays the same process', async () => {
      const created = await h.api('POST', '/v1/processes', {
        name: 'onboard',
        steps: [
          { name: 'approve', kind: 'manual', queue: 'hr' },
          { name: 'shape', kind: 'map', expression: '{ "Title": case.data.name }' },
          { name: 'ticket', kind: 'external', actionType: 'order', useBodyOf: 'shape' },
          { name: 'note', kind: 'external', actionType: 'order', input: '{ "Title": "x" }', when: 'case.data.vip' },
        ],
      });
      expect(created.status).toBe(201);
      const read = (await h.api('GET', '/v1/processes/onboard')).body;
      expect(read.steps[0].when).toBeNull();
      expect(read.steps[2].input).toBeNull();
      expect(read.steps[3].useBodyOf).toBeNull();
      const saved = await h.api('PATCH', '/v1/processes/onboard', { description: 'edited', steps: read.steps });
      expect([saved.status, saved.body.errors]).toEqual([200, undefined]);
      expect(saved.body.steps).toEqual(read.steps);
      expect(saved.body.description).toBe('edited');
      const copy = await h.api('POST', '/v1/processes', { name: 'onboard-copy', steps: read.steps });
      expect([copy.status, copy.body.steps]).toEqual([201, read.steps]);
      // A wrong type is still refused, naming the field.
      const bad = await h.api('PATCH', '/v1/processes/onboard', { steps: [{ ...read.steps[0], when: 5 }] });
      expect([bad.status, bad.body.errors?.[0]?.field]).toEqual([422, 'steps[0].when']);
    });
  });
