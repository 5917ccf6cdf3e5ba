// Round 47, outside review ("the same request twice, and ten of them at once"): DELETE /v1/views/{id}
// sent ten times at once (a double click, a client's retries) on PostgreSQL, on one node or on two
// sharing the database. The deletes that lost the race answered 409 "was changed by someone else
// meanwhile; read it again" (412 with If-Match) for a view nobody changed: it was gone. They now answer
// as a delete of a view that is not there does, 404.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.ts';
import { nodeSetups } from '../helpers/store-harnesses.ts';

describe.each(nodeSetups)('a saved view deleted ten times at once on $name', (setup) => {
  let nodes: Harness[];
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ nodes, close } = await setup.open());
  });
  afterAll(async () => close?.());

  for (const withIfMatch of [false, true])
    it(`one 204, the rest 404${withIfMatch ? ' (each with the If-Match it read)' : ''}`, async () => {
      for (let round = 0; round < 3; round++) {
        const v = await nodes[0]!.api('POST', '/v1/views', { name: `gone-${withIfMatch}-${round}`, screen: 'work', query: 'state=todo' });
        expect(v.status).toBe(201);
        const headers: Record<string, string> = withIfMatch ? { 'if-match': v.headers.etag as string } : {};
        const rs = await Promise.all(
          Array.from({ length: 10 }, (_, i) => nodes[i % nodes.length]!.api('DELETE', `/v1/views/${v.body.id}`, undefined, headers)),
        );
        const statuses = rs.map((r) => r.status).sort();
        expect(statuses, JSON.stringify(rs.find((r) => r.status !== 204 && r.status !== 404)?.body)).toEqual([
          204, 404, 404, 404, 404, 404, 404, 404, 404, 404,
        ]);
      }
    });
});
