// Round 47, outside review ("the same request twice, and ten of them at once"): PATCH /v1/webhooks/{id}
// without If-Match, and POST /v1/webhooks/{id}/rotate-secret, sent ten at once. Each change is made on
// what is stored, read again when another write won; the loop gave up after five losses with no pause
// between them, so three or four of ten answered 409 "kept changing; try again" to a request that set
// no precondition. Now they are spread apart and tried as often as the other stored changes are.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.ts';
import { nodeSetups } from '../helpers/store-harnesses.ts';

describe.each(nodeSetups)('ten changes of one webhook at once on $name', (setup) => {
  let nodes: Harness[];
  let close: () => Promise<void>;
  let id: string;
  beforeAll(async () => {
    ({ nodes, close } = await setup.open());
    const w = await nodes[0]!.api('POST', '/v1/webhooks', { url: 'https://example.com/hook', events: ['case.created'] });
    expect(w.status).toBe(201);
    id = w.body.id;
  });
  afterAll(async () => close?.());
  const ten = (method: string, path: string, body: (i: number) => unknown) =>
    Promise.all(Array.from({ length: 10 }, (_, i) => nodes[i % nodes.length]!.api(method, path, body(i))));

  it('ten rotations: each answered 200 with a secret of its own', async () => {
    for (let round = 0; round < 3; round++) {
      const rs = await ten('POST', `/v1/webhooks/${id}/rotate-secret`, () => ({}));
      expect(
        rs.map((r) => r.status),
        JSON.stringify(rs.find((r) => r.status !== 200)?.body),
      ).toEqual(Array(10).fill(200));
      expect(new Set(rs.map((r) => r.body.secret)).size).toBe(10);
    }
  });

  it('ten PATCHes without If-Match: each answered 200, one of them stored', async () => {
    for (let round = 0; round < 3; round++) {
      const urls = Array.from({ length: 10 }, (_, i) => `https://example.com/hook/${round}/${i}`);
      const rs = await ten('PATCH', `/v1/webhooks/${id}`, (i) => ({ url: urls[i] }));
      expect(
        rs.map((r) => r.status),
        JSON.stringify(rs.find((r) => r.status !== 200)?.body),
      ).toEqual(Array(10).fill(200));
      expect(urls).toContain((await nodes[0]!.api('GET', `/v1/webhooks/${id}`)).body.url);
    }
  });
});
