// Queue names people cannot tell apart, over HTTP on both stores: "hr", "HR" and "hr " are one name.
// A name with a space at either end is refused naming the field; one that equals a queue's ignoring
// case is refused naming that queue, through the API and through an imported file; and a store that
// already holds such lookalikes (from before the rule) still migrates and opens.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';

type Problem = { field: string; message: string };
const problems = (body: { errors?: Problem[] }): Problem[] => body.errors ?? [];

for (const backend of storeHarnesses)
  describe(`${backend.name}: queue names`, () => {
    let h: StoreHarnessed;
    const sql = (text: string): Promise<void> => h.sql(text);
    beforeAll(async () => {
      h = await backend.open();
    });
    afterAll(async () => h?.close());

    it('a name with a space at either end is refused, naming the field', async () => {
      for (const name of ['hr ', ' hr', 'hr\t']) {
        const r = await h.api('POST', '/v1/queues', { name });
        expect(r.status, JSON.stringify(name)).toBe(422);
        expect(problems(r.body).map((p) => p.field)).toEqual(['name']);
      }
      expect(problems((await h.api('POST', '/v1/queues', { name: 'hr ' })).body)[0]!.message).toMatch(/space/);
      expect((await h.api('GET', '/v1/queues')).body.items).toEqual([]);
    });

    it("a name equal to a queue's ignoring case is refused, naming that queue", async () => {
      expect((await h.api('POST', '/v1/queues', { name: 'hr' })).status).toBe(201);
      for (const name of ['HR', 'Hr']) {
        const r = await h.api('POST', '/v1/queues', { name });
        expect(r.status).toBe(409);
        expect(r.body.detail).toContain('"hr"');
        expect(problems(r.body)).toEqual([{ field: 'name', message: expect.stringContaining('"hr"') }]);
      }
      expect((await h.api('POST', '/v1/queues', { name: 'hr' })).status).toBe(409);
      expect((await h.api('GET', '/v1/queues')).body.items.map((q: { name: string }) => q.name)).toEqual(['hr']);
    });

    it('an imported file may not add a lookalike of a stored queue, nor give one twice', async () => {
      const stored = await h.api('POST', '/v1/config/import', { queues: [{ name: 'HR' }] });
      expect(stored.status).toBe(422);
      expect(problems(stored.body)).toEqual([{ field: 'queues[0].name', message: expect.stringContaining('"hr"') }]);
      const twice = await h.api('POST', '/v1/config/import', { queues: [{ name: 'ops' }, { name: 'OPS' }] });
      expect(twice.status).toBe(422);
      expect(problems(twice.body).map((p) => p.field)).toEqual(['queues[1].name']);
      const spaced = await h.api('POST', '/v1/config/import', { queues: [{ name: 'ops ' }] });
      expect(spaced.status).toBe(422);
      expect(problems(spaced.body).map((p) => p.field)).toEqual(['queues[0].name']);
      // The stored queue itself, as exported, still imports (unchanged).
      expect((await h.api('POST', '/v1/config/import', { queues: [{ name: 'hr' }] })).status).toBe(200);
      expect((await h.api('GET', '/v1/queues')).body.items.map((q: { name: string }) => q.name)).toEqual(['hr']);
    });

    it('a store that already holds lookalikes migrates and opens; the oldest keeps the name', async () => {
      // As before migration 018: no folded index, and lookalikes written then.
      await sql('DROP INDEX queues_name_folded');
      await sql('ALTER TABLE queues DROP COLUMN name_lookalike');
      await sql('DELETE FROM callout_migrations WHERE version = 18');
      await sql(`INSERT INTO queues (name, doc, revision, created_at, updated_at) VALUES ('HR', '{"name":"HR"}', 1, 1, 1)`);
      await sql(`INSERT INTO queues (name, doc, revision, created_at, updated_at) VALUES ('hr ', '{"name":"hr "}', 1, 3, 3)`);
      expect(await h.callout.store.migrate()).toEqual(['018_queue_names_folded.sql']);
      expect((await h.api('GET', '/v1/queues')).body.items.map((q: { name: string }) => q.name).sort()).toEqual(['HR', 'hr', 'hr ']);
      const r = await h.api('POST', '/v1/queues', { name: 'hR' });
      expect(r.status).toBe(409);
      expect(r.body.detail).toContain('"HR"');
      // The lookalikes kept keep working.
      expect((await h.api('GET', '/v1/queues/hr%20')).body).toMatchObject({ name: 'hr ' });
    });

    it('the queues kept from before the rule (a lookalike, a name ending in a space) can still be changed', async () => {
      // (After the test above: 'hr', its lookalike 'HR' and 'hr ' are stored.)
      for (const name of ['HR', 'hr ']) {
        const r = await h.api('PATCH', `/v1/queues/${encodeURIComponent(name)}`, { description: `the ${name} desk` });
        expect(r.status, `${name}: ${JSON.stringify(r.body)}`).toBe(200);
        expect(r.body).toMatchObject({ name, description: `the ${name} desk` });
      }
    });

    it('the export of a store holding such queues imports into it again, each queue its own', async () => {
      const file = (await h.api('GET', '/v1/config/export?format=json')).body;
      expect(file.queues.map((q: { name: string }) => q.name).sort()).toEqual(['HR', 'hr', 'hr ']);
      const again = await h.api('POST', '/v1/config/import', file);
      expect(again.status, JSON.stringify(again.body)).toBe(200);
      expect(again.body.queues.unchanged.sort()).toEqual(['HR', 'hr', 'hr ']);
      // A new lookalike beside them is still refused.
      const more = await h.api('POST', '/v1/config/import', { queues: [...file.queues, { name: 'Hr' }] });
      expect(more.status).toBe(422);
      expect(problems(more.body).map((p) => p.field)).toEqual([`queues[${file.queues.length}].name`]);
    });
  });
