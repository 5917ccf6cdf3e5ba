// Case data accepted as within 256 KB at creation: an action's small output then merges into it on both
// stores alike. PostgreSQL measured the merged data as jsonb::text, which writes ": " and ", " where the
// API's measure (and SQLite's) counts compact JSON, so the same case refused every merge there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connector, actionType, type Harness } from '../helpers/harness.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';

const data: Record<string, string> = {};
for (let i = 0; i < 17_000; i++) data[`k${String(i).padStart(5, '0')}`] = 'vv';

for (const backend of storeHarnesses)
  describe(`${backend.name}: an output merging into case data near the limit`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await backend.open();
      await connector(h);
      await actionType(h, { name: 'order', path: '/ok', response: { output: '{ "ticket": id }' } });
    });
    afterAll(async () => h?.close());

    it('a case created with data the API accepts takes a 30-byte output', async () => {
      const compact = Buffer.byteLength(JSON.stringify(data));
      expect(compact).toBeLessThan(256 * 1024 - 1024); // well within the limit as JSON
      const c = await h.api('POST', '/v1/cases', { title: 'big', data });
      expect(c.status).toBe(201);
      const a = await h.api('POST', '/v1/actions', { actionType: 'order', input: {}, caseId: c.body.id });
      expect(a.status).toBe(201);
      await h.waitFor(a.body.id, (x) => x.state === 'closed');
      const after = (await h.api('GET', `/v1/cases/${c.body.id}`)).body;
      const tl = (await h.api('GET', `/v1/actions/${a.body.id}/timeline`)).body.items.filter((e: any) =>
        /not merged/.test(e.message ?? ''),
      );
      expect({ compactBytes: compact, ticket: after.data.ticket, refusedNote: tl.map((e: any) => e.message) }).toEqual({
        compactBytes: compact,
        ticket: expect.stringMatching(/^EXT-/),
        refusedNote: [],
      });
    });
  });
