// Titles that show nothing, over HTTP on both stores: a case's title (create and PATCH), a task added
// to a case, a manual step's title and a queue's description made only of invisible characters (a
// zero-width space, a BOM, a word joiner) or of spaces of any kind are refused with 422 naming the
// field, and nothing changes. Text with something visible beside them is taken as given.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';

type Problem = { field: string; message: string };
const problems = (body: { errors?: Problem[] }): Problem[] => body.errors ?? [];
const blankOf = (field: string): Problem[] => [{ field, message: expect.stringMatching(/must not be blank/) as unknown as string }];

/** Each shows nothing: U+200B, U+FEFF, U+2060, a no-break space, an ideographic space, a mix with tabs. */
const BLANKS = ['\u200B', '\uFEFF', '\u2060', '\u00A0', '\u3000', ' \u200B\t\u2060 ', '\u200C\u200D'];

for (const backend of storeHarnesses)
  describe(`${backend.name}: titles that show nothing`, () => {
    let h: StoreHarnessed;
    let caseId: string;
    beforeAll(async () => {
      h = await backend.open();
      expect((await h.api('POST', '/v1/queues', { name: 'hr' })).status).toBe(201);
      const c = await h.api('POST', '/v1/cases', { title: 'Laptop', queue: 'hr' });
      expect(c.status, JSON.stringify(c.body)).toBe(201);
      caseId = c.body.id as string;
    });
    afterAll(async () => h?.close());

    const caseCount = async (): Promise<number> => (await h.api('GET', '/v1/cases?limit=500')).body.items.length;

    it("a case's title is refused on create and on PATCH, naming the field; nothing is stored or changed", async () => {
      const before = await caseCount();
      for (const title of BLANKS) {
        const created = await h.api('POST', '/v1/cases', { title, queue: 'hr' });
        expect(created.status, JSON.stringify(title)).toBe(422);
        expect(problems(created.body)).toEqual(blankOf('title'));
        const patched = await h.api('PATCH', `/v1/cases/${caseId}`, { title });
        expect(patched.status, JSON.stringify(title)).toBe(422);
        expect(problems(patched.body)).toEqual(blankOf('title'));
      }
      expect(await caseCount()).toBe(before);
      expect((await h.api('GET', `/v1/cases/${caseId}`)).body.title).toBe('Laptop');
      // Something visible beside them: kept as given.
      expect((await h.api('PATCH', `/v1/cases/${caseId}`, { title: '\u200BLaptop 2' })).body.title).toBe('\u200BLaptop 2');
    });

    it('a task added to a case is refused when its title (or note) shows nothing; the case gets no task', async () => {
      const tasksOf = async (): Promise<number> => (await h.api('GET', `/v1/cases/${caseId}`)).body.actions.length;
      const before = await tasksOf();
      for (const title of BLANKS) {
        const r = await h.api('POST', `/v1/cases/${caseId}/tasks`, { title });
        expect(r.status, JSON.stringify(title)).toBe(422);
        expect(problems(r.body)).toEqual(blankOf('title'));
      }
      const note = await h.api('POST', `/v1/cases/${caseId}/tasks`, { title: 'Ship it', note: '\u200B' });
      expect(note.status).toBe(422);
      expect(problems(note.body)).toEqual(blankOf('note'));
      expect(await tasksOf()).toBe(before);
    });

    it("a manual step's title is refused naming the step's field; absent it is the step's name", async () => {
      for (const title of BLANKS) {
        const r = await h.api('POST', '/v1/processes', { name: 'p', steps: [{ name: 'approve', kind: 'manual', queue: 'hr', title }] });
        expect(r.status, JSON.stringify(title)).toBe(422);
        expect(problems(r.body)).toEqual(blankOf('steps[0].title'));
      }
      expect((await h.api('GET', '/v1/processes/p')).status).toBe(404);
      const ok = await h.api('POST', '/v1/processes', { name: 'p', steps: [{ name: 'approve', kind: 'manual', queue: 'hr' }] });
      expect(ok.status, JSON.stringify(ok.body)).toBe(201);
      expect(ok.body.steps[0].title).toBe('approve');
    });

    it("a queue's description is refused naming the field (null removes it); one stored blank before stays changeable", async () => {
      for (const description of BLANKS) {
        const created = await h.api('POST', '/v1/queues', { name: 'it', description });
        expect(created.status, JSON.stringify(description)).toBe(422);
        expect(problems(created.body)).toEqual(blankOf('description'));
        const patched = await h.api('PATCH', '/v1/queues/hr', { description });
        expect(patched.status).toBe(422);
        expect(problems(patched.body)).toEqual(blankOf('description'));
      }
      expect((await h.api('GET', '/v1/queues/it')).status).toBe(404);
      expect((await h.api('GET', '/v1/queues/hr')).body).toMatchObject({ description: null, revision: 1 });
      // As an older version stored it: a later change to another field is not refused for it.
      await h.sql(`UPDATE queues SET doc = '{"description":"\u200B","members":[],"allocation":"none"}' WHERE name = 'hr'`);
      const later = await h.api('PATCH', '/v1/queues/hr', { allocation: 'round_robin' });
      expect(later.status, JSON.stringify(later.body)).toBe(200);
      expect(later.body).toMatchObject({ allocation: 'round_robin', description: null });
    });
  });
