// PATCHes sent at once, on both stores: without If-Match each applies to what is stored (made again on
// what won the race), so all are answered 200 and the revision counts every one; with the same If-Match
// exactly one applies and the rest get 412. An outside review sent two at once to two PostgreSQL nodes:
// one of them was answered 409 "changed by someone else meanwhile", though it named no revision; of 30
// case PATCHes at once, 5 gave up.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, type Harness } from '../helpers/harness.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';

const AT_ONCE = 8;

for (const backend of storeHarnesses) {
  describe(`${backend.name}: PATCHes at once`, () => {
    let h: Harness;
    let viewPath = '';
    beforeAll(async () => {
      h = await backend.open();
      await connector(h, { name: 'racer' });
      await actionType(h, { name: 'race-type', connector: 'racer', path: '/ok' });
      expect((await h.api('POST', '/v1/queues', { name: 'race-q', members: [] })).status).toBe(201);
      const p = await h.api('POST', '/v1/processes', {
        name: 'race-p',
        steps: [{ name: 'a', kind: 'manual', title: 'A', queue: 'race-q' }],
      });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
      const v = await h.api('POST', '/v1/views', { name: 'race-v', screen: 'work', query: 'state=todo' });
      expect(v.status, JSON.stringify(v.body)).toBe(201);
      viewPath = `/v1/views/${v.body.id as string}`;
    });
    afterAll(async () => h?.close());

    const resources = (): Array<[string, (n: number) => Record<string, unknown>]> => [
      ['/v1/connectors/racer', (n) => ({ timeout: `${n + 1}s` })],
      ['/v1/action-types/race-type', (n) => ({ path: `/ok/${n}` })],
      ['/v1/processes/race-p', (n) => ({ description: `v${n}` })],
      ['/v1/queues/race-q', (n) => ({ description: `v${n}` })],
      [viewPath, (n) => ({ query: `state=todo&q=n${n}` })],
    ];

    it('without If-Match every one applies', async () => {
      for (const [path, change] of resources()) {
        const before = (await h.api('GET', path)).body.revision as number;
        const all = await Promise.all(Array.from({ length: AT_ONCE }, (_, n) => h.api('PATCH', path, change(n))));
        expect(
          all.map((r) => r.status),
          `${path}: ${JSON.stringify(all.find((r) => r.status !== 200)?.body)}`,
        ).toEqual(Array(AT_ONCE).fill(200));
        expect((await h.api('GET', path)).body.revision, path).toBe(before + AT_ONCE);
      }
    });

    it("a case's data merged by 30 PATCHes at once keeps every key, each answered 200", async () => {
      const c = (await h.api('POST', '/v1/cases', { title: 'raced', data: {} })).body.id as string;
      const all = await Promise.all(Array.from({ length: 30 }, (_, n) => h.api('PATCH', `/v1/cases/${c}`, { data: { [`k${n}`]: n } })));
      expect(all.map((r) => r.status)).toEqual(Array(30).fill(200));
      expect(Object.keys((await h.api('GET', `/v1/cases/${c}`)).body.data).length).toBe(30);
    });

    it('with the same If-Match one applies and the rest get 412', async () => {
      for (const [path, change] of resources()) {
        const read = await h.api('GET', path);
        const all = await Promise.all(
          Array.from({ length: AT_ONCE }, (_, n) => h.api('PATCH', path, change(100 + n), { 'if-match': read.headers.etag as string })),
        );
        expect(all.map((r) => r.status).sort(), path).toEqual([200, ...Array(AT_ONCE - 1).fill(412)]);
        expect((await h.api('GET', path)).body.revision, path).toBe(read.body.revision + 1);
      }
    });
  });
}
