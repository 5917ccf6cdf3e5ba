// Round 47, outside review ("the same request twice, and ten of them at once"): PATCH
// /v1/schedules/{id} without If-Match sent ten at once (Pause clicked again and again, a client's
// retries). Each change is made on what is stored, read again when another write won; the loop gave up
// after five losses with no pause between them and answered 409 "kept changing; try again" to requests
// that set no precondition. Now they are spread apart and tried as often as the other stored changes are.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, type Harness } from '../helpers/harness.ts';
import { nodeSetups } from '../helpers/store-harnesses.ts';

describe.each(nodeSetups)('ten changes of one schedule at once on $name', (setup) => {
  let nodes: Harness[];
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ nodes, close } = await setup.open());
    await connector(nodes[0]!);
    await actionType(nodes[0]!, { name: 'plain', path: '/ok' });
  });
  afterAll(async () => close?.());

  it('ten pauses, then ten different cron lines: each answered 200', async () => {
    for (let round = 0; round < 3; round++) {
      const s = await nodes[0]!.api('POST', '/v1/schedules', {
        name: `s${round}`,
        cron: '0 8 * * 1-5',
        timezone: 'UTC',
        launch: { actionType: 'plain', input: {} },
      });
      expect(s.status).toBe(201);
      for (const body of [() => ({ paused: true }), (i: number) => ({ cron: `${i} 9 * * *` })]) {
        const rs = await Promise.all(
          Array.from({ length: 10 }, (_, i) => nodes[i % nodes.length]!.api('PATCH', `/v1/schedules/${s.body.id}`, body(i))),
        );
        expect(
          rs.map((r) => r.status),
          JSON.stringify(rs.find((r) => r.status !== 200)?.body),
        ).toEqual(Array(10).fill(200));
      }
    }
  });
});
