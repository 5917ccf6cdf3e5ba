// Case data (and launch input) are limited to 256 KB "as JSON". Numbers were counted as 24 bytes each,
// so small data full of small numbers was refused as larger than 256 KB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness } from '../helpers/harness.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';

for (const backend of storeHarnesses.slice(0, 1))
  describe(`${backend.name}: the size of case data`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await backend.open();
    });
    afterAll(async () => h?.close());

    it('a case whose data is 22 KB of JSON is accepted', async () => {
      const data = { readings: Array.from({ length: 11_000 }, (_, i) => i % 10) };
      const bytes = Buffer.byteLength(JSON.stringify(data));
      const r = await h.api('POST', '/v1/cases', { title: 'meter', data });
      expect({ bytes, status: r.status, detail: r.body.detail }).toEqual({ bytes, status: 201, detail: undefined });
    });

    it('case data of exactly 256 KB of JSON is accepted; one byte more is a 422 naming data, and no case is made', async () => {
      const readings = Array.from({ length: 11_000 }, (_, i) => i % 10);
      const pad = 256 * 1024 - Buffer.byteLength(JSON.stringify({ readings, pad: '' }));
      const at = await h.api('POST', '/v1/cases', { title: 'at', data: { readings, pad: 'x'.repeat(pad) } });
      expect(at.status).toBe(201);
      const before = (await h.api('GET', '/v1/cases')).body.items.length;
      const over = await h.api('POST', '/v1/cases', { title: 'over', data: { readings, pad: 'x'.repeat(pad + 1) } });
      expect({ status: over.status, detail: over.body.detail }).toEqual({ status: 422, detail: 'data is larger than 256 KB as JSON' });
      expect((await h.api('GET', '/v1/cases')).body.items.length).toBe(before);
    });
  });
