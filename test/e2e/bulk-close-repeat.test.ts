// A bulk close repeated while its first run goes on (a client that timed out and sent it again) must
// not count the first run's closes as its own: the repeat of `complete` that answers 200 is for a
// person's request on the route, not for the bulk close that uses the same service.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await connector(h);
  await actionType(h, { name: 'rej', path: '/reject' });
});
afterAll(async () => h?.close());

it('two bulk closes of the same actions at once: each action is done once in all, the rest skipped', async () => {
  const auth = { authorization: `Bearer ${(await h.callout.apiKeys.create({ name: 'ops', roles: ['operator'] })).key}` };
  const ids = await Promise.all(
    Array.from({ length: 40 }, async () => (await h.waitFor((await launch(h, 'rej')).id, (x) => x.state === 'todo')).id),
  );
  const body = { operation: 'close', resolution: 'not_done_successfully', filter: { state: 'todo', actionType: 'rej' } };
  const [r1, r2] = await Promise.all([h.api('POST', '/v1/bulk-replays', body, auth), h.api('POST', '/v1/bulk-replays', body, auth)]);
  expect([r1.status, r2.status]).toEqual([200, 200]);
  expect(r1.body.done + r2.body.done).toBe(ids.length);
});
