// GET /v1/cases/{id} returned the case with its newest 500 actions, each with its full input and output,
// with no bound on the answer's size (lists of cases and actions stop a page at about 4 MB): a case with
// many large actions made one GET build and send tens (up to hundreds) of MB. It now stops at about
// 4 MB too, and `actionsNext` says where GET /v1/actions?caseId= goes on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { connector, actionType, type Harness } from '../helpers/harness.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';

const MAX_PAGE_BYTES = 4 * 1024 * 1024;

for (const backend of storeHarnesses)
  describe(`${backend.name}: the size of one case's answer`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await backend.open();
      await connector(h);
      await actionType(h, {
        name: 'upload',
        path: '/ok',
        body: { format: 'json', template: '{"doc": "{{ Doc }}"}' },
      });
    });
    afterAll(async () => h?.close());

    it('GET /v1/cases/{id} stays within the page bound the lists keep', async () => {
      const c = (await h.api('POST', '/v1/cases', { title: 'docs', data: {} })).body;
      const doc = 'x'.repeat(250_000);
      const startAt = new Date(Date.now() + 3600_000).toISOString(); // not sent during the test
      for (let i = 0; i < 40; i++) {
        const r = await h.api('POST', '/v1/actions', { actionType: 'upload', input: { Doc: doc }, caseId: c.id, startAt });
        expect(r.status).toBe(201);
      }
      const list = await request(`${h.url}/v1/actions?caseId=${c.id}&limit=500`, { headers: { authorization: `Bearer ${h.adminKey}` } });
      const listBytes = (await list.body.text()).length;
      const one = await request(`${h.url}/v1/cases/${c.id}`, { headers: { authorization: `Bearer ${h.adminKey}` } });
      const caseBytes = (await one.body.text()).length;
      expect(listBytes).toBeLessThanOrEqual(MAX_PAGE_BYTES + 300_000);
      expect(caseBytes).toBeLessThanOrEqual(MAX_PAGE_BYTES + 300_000);
      // The answer says actions were left out, and the action list by case gives the rest: all 40, once each.
      const got = (await h.api('GET', `/v1/cases/${c.id}`)).body;
      expect(got.actionsNext).toEqual(expect.any(String));
      const ids: string[] = got.actions.map((a: any) => a.id);
      for (let before = got.actionsNext; before;) {
        const page = await h.api('GET', `/v1/actions?caseId=${c.id}&before=${encodeURIComponent(before)}`);
        ids.push(...page.body.items.map((a: any) => a.id));
        before = page.body.next;
      }
      expect(new Set(ids).size).toBe(40);
      expect(ids).toHaveLength(40);
    });

    it('a case whose actions all fit says none were left out', async () => {
      const c = (await h.api('POST', '/v1/cases', { title: 'small', data: {} })).body;
      expect(c.actionsNext).toBeNull();
      const startAt = new Date(Date.now() + 3600_000).toISOString();
      await h.api('POST', '/v1/actions', { actionType: 'upload', input: { Doc: 'a' }, caseId: c.id, startAt });
      const got = (await h.api('GET', `/v1/cases/${c.id}`)).body;
      expect({ n: got.actions.length, next: got.actionsNext }).toEqual({ n: 1, next: null });
    });
  });
