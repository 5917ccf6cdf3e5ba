// Round 47, outside review ("the same request twice, and ten of them at once"): a bulk launch sent ten
// times at once with one Idempotency-Key to two engine nodes sharing one PostgreSQL database (a client
// behind a load balancer). The repeats the other node answered gave the launch as it was half done
// ("running", finishedAt null, rows missing) while those on the first's node waited for its answer.
// SPEC 10.1: "A bulk launch repeated with the same Idempotency-Key returns the first report".

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, type Harness } from '../helpers/harness.ts';
import { postgresNodes } from '../helpers/store-harnesses.ts';

describe('a bulk launch repeated at once on two nodes', () => {
  let nodes: Harness[];
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ nodes, close } = await postgresNodes(2));
    await connector(nodes[0]!);
    await actionType(nodes[0]!, { name: 'ticket', path: '/ok', fields: { Priority: { type: 'integer' } } });
    expect((await nodes[0]!.api('POST', '/v1/processes', { name: 'p', steps: [{ name: 'a', kind: 'manual', title: 'x' }] })).status).toBe(
      201,
    );
    // The other node knows the action type and the process (its caches refresh on a poll).
    for (let i = 0; i < 50 && (await nodes[1]!.api('GET', '/v1/processes/p')).status !== 200; i++)
      await new Promise((r) => setTimeout(r, 100));
  });
  afterAll(async () => close?.());

  for (const [target, rows] of [
    ['actionType', Array.from({ length: 200 }, (_, i) => ({ Priority: i }))],
    ['process', Array.from({ length: 200 }, (_, i) => ({ n: i }))],
  ] as const)
    it(`every answer is the first report, whole, with one launch of each row (${target})`, async () => {
      const body = { [target]: target === 'process' ? 'p' : 'ticket', rows };
      const rs = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          nodes[i % 2]!.api('POST', '/v1/bulk-launches', body, { 'idempotency-key': `twice-${target}` }),
        ),
      );
      expect(rs.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
      const first = rs.find((r) => r.status === 201)!.body;
      expect(first.status).toBe('done');
      expect(first.launched).toBe(200);
      for (const r of rs) expect(r.body).toEqual(first);
    });
});
