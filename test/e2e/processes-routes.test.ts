// The process and case routes tried hostile: no key, the wrong role, bad, huge and deep bodies, the
// same request twice. Every refusal is problem+json naming the field, and changes nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connector, actionType, type Harness } from '../helpers/harness.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';

const fields = (body: { errors?: Array<{ field: string }> }): string[] => [...new Set((body.errors ?? []).map((e) => e.field))].sort();
const ID = '01900000-0000-7000-8000-000000000000';

for (const backend of storeHarnesses)
  describe(`${backend.name}: process and case routes under attack`, () => {
    let h: Harness;
    const key: Record<string, string> = {};
    const as = (role: string) => ({ authorization: `Bearer ${key[role]}` });
    const counts = async () => ({
      processes: (await h.api('GET', '/v1/processes')).body.items.length,
      cases: (await h.callout.store.listCases({ limit: 1000 })).cases.length,
    });

    beforeAll(async () => {
      h = await backend.open();
      await connector(h);
      await actionType(h, { name: 'order', path: '/ok', fields: { Title: { type: 'string' } } });
      for (const role of ['builder', 'operator', 'integration'])
        key[role] = (await h.callout.apiKeys.create({ name: `k-${role}`, roles: [role] })).key;
    });
    afterAll(async () => h?.close());

    it('every new route needs a key, and the right role to write', async () => {
      const routes: Array<[string, string]> = [
        ['POST', '/v1/processes'],
        ['GET', '/v1/processes'],
        ['GET', `/v1/processes/${ID}`],
        ['PATCH', `/v1/processes/${ID}`],
        ['POST', '/v1/cases'],
        ['GET', '/v1/cases'],
        ['GET', `/v1/cases/${ID}`],
        ['PATCH', `/v1/cases/${ID}`],
        ['POST', `/v1/cases/${ID}/close`],
      ];
      for (const [method, path] of routes) {
        const r = await h.api(method, path, method === 'GET' ? undefined : {}, { authorization: '' });
        expect([method, path, r.status]).toEqual([method, path, 401]);
        expect(r.headers['content-type']).toContain('application/problem+json');
      }
      const process = { name: 'p-roles', steps: [{ name: 'a', kind: 'manual', queue: 'hr' }] };
      expect((await h.api('POST', '/v1/processes', process, as('operator'))).status).toBe(403);
      expect((await h.api('POST', '/v1/processes', process, as('integration'))).status).toBe(403);
      expect((await h.api('POST', '/v1/processes', process, as('builder'))).status).toBe(201);
      expect((await h.api('PATCH', '/v1/processes/p-roles', { description: 'x' }, as('operator'))).status).toBe(403);
      expect((await h.api('GET', '/v1/processes/p-roles', undefined, as('operator'))).status).toBe(200);
      expect((await h.api('POST', '/v1/cases', { process: 'p-roles' }, as('builder'))).status).toBe(403);
      const c = await h.api('POST', '/v1/cases', { process: 'p-roles' }, as('integration'));
      expect(c.status).toBe(201);
      expect((await h.api('GET', `/v1/cases/${c.body.id}`, undefined, as('builder'))).status).toBe(200);
      expect((await h.api('POST', `/v1/cases/${c.body.id}/close`, undefined, as('builder'))).status).toBe(403);
      expect((await h.api('PATCH', `/v1/cases/${c.body.id}`, { title: 'x' }, as('builder'))).status).toBe(403);
    });

    it('a bad process is refused naming every field, and nothing is stored', async () => {
      const before = await counts();
      const bad = await h.api('POST', '/v1/processes', {
        name: 'bad',
        steps: [
          { name: 'send', kind: 'external', actionType: 'nope', input: '{ "a": ' },
          { name: 'send', kind: 'map', expression: '{}', useBodyOf: 'x' },
        ],
      });
      expect(bad.status).toBe(422);
      expect(bad.headers['content-type']).toContain('application/problem+json');
      // Reported against the shape the step chose (map), not against all three kinds.
      expect(bad.body.errors).toEqual([{ field: 'steps[1].useBodyOf', message: 'is not a known field' }]);
      const semantic = await h.api('POST', '/v1/processes', {
        name: 'bad',
        steps: [
          { name: 'send', kind: 'external', actionType: 'nope', input: '{ "a": ' },
          { name: 'send', kind: 'manual', queue: 'hr' },
        ],
      });
      expect(semantic.status).toBe(422);
      expect(fields(semantic.body)).toEqual(['steps[0].actionType', 'steps[0].input', 'steps[1].name']);
      expect((await h.api('POST', '/v1/processes', { name: 'x', steps: [] })).status).toBe(422);
      expect(
        (await h.api('POST', '/v1/processes', { name: 'x', steps: [{ name: 'a', kind: 'manual', queue: 'hr' }], extra: 1 })).status,
      ).toBe(422);
      const deep = `{"name":"deep","steps":[{"name":"a","kind":"manual","queue":"hr","title":${'['.repeat(100)}${']'.repeat(100)}}]}`;
      expect((await h.api('POST', '/v1/processes', deep)).status).toBe(422);
      const huge = { name: 'huge', steps: [{ name: 'a', kind: 'map', expression: `{ "a": "${'x'.repeat(20_000)}" }` }] };
      const hugeR = await h.api('POST', '/v1/processes', huge);
      expect(hugeR.status).toBe(422);
      expect(await counts()).toEqual(before);
    });

    it('the same process twice is a conflict; a PATCH that breaks it is refused and keeps the old one', async () => {
      const p = { name: 'twice', steps: [{ name: 'a', kind: 'external', actionType: 'order', input: '{ "Title": case.t }' }] };
      expect((await h.api('POST', '/v1/processes', p)).status).toBe(201);
      expect((await h.api('POST', '/v1/processes', p)).status).toBe(409);
      const broken = await h.api('PATCH', '/v1/processes/twice', { steps: [{ name: 'a', kind: 'external', actionType: 'gone' }] });
      expect(broken.status).toBe(422);
      expect(fields(broken.body)).toEqual(['steps[0].actionType']);
      expect((await h.api('GET', '/v1/processes/twice')).body).toMatchObject({
        revision: 1,
        steps: [{ actionType: expect.any(String), input: '{ "Title": case.t }' }],
      });
      expect((await h.api('GET', '/v1/processes/none')).status).toBe(404);
    });

    it('a bad case is refused naming the field, and no case is made', async () => {
      const before = await counts();
      const unknown = await h.api('POST', '/v1/cases', { process: 'no-such-process', data: {} });
      expect(unknown.status).toBe(422);
      expect(fields(unknown.body)).toEqual(['process']);
      const big = await h.api('POST', '/v1/cases', { data: { blob: 'x'.repeat(300 * 1024) } });
      expect(big.status).toBe(422);
      expect(fields(big.body)).toEqual(['data']);
      const wrong = await h.api('POST', '/v1/cases', { title: '', status: 'closed', data: 'x' });
      expect(wrong.status).toBe(422);
      expect(fields(wrong.body)).toEqual(['data', 'status', 'title']);
      const badKey = await h.api('POST', '/v1/cases', {}, { 'idempotency-key': 'k'.repeat(201) });
      expect(fields(badKey.body)).toEqual(['Idempotency-Key']);
      expect(await counts()).toEqual(before);
      expect((await h.api('GET', `/v1/cases/${ID}`)).status).toBe(404);
      expect((await h.api('PATCH', `/v1/cases/${ID}`, { title: 'x' })).status).toBe(404);
      expect((await h.api('GET', '/v1/cases?limit=0')).status).toBe(422);
      const badCursor = await h.api('GET', '/v1/cases?before=zzz');
      expect(badCursor.status).toBe(422);
      expect(fields(badCursor.body)).toEqual(['before']);
    });
  });
