// Two nodes on one PostgreSQL: a user disabled or a key revoked through one node is refused by the
// other at its next request (each request reads the key and its user from the store).

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.ts';
import { postgresNodes } from '../helpers/store-harnesses.ts';

let two: Awaited<ReturnType<typeof postgresNodes>>;
let a: Harness;
let b: Harness;
beforeAll(async () => {
  two = await postgresNodes(2, { start: false });
  [a, b] = two.nodes as [Harness, Harness];
});
afterAll(async () => two?.close());

it('a user disabled, or a key revoked, on one node is refused by the other at once', async () => {
  expect((await a.api('POST', '/v1/users', { name: 'dana' })).status).toBe(201);
  const made = await a.api('POST', '/v1/api-keys', { name: 'dana-phone', roles: ['operator'], user: 'dana' });
  const as = { authorization: `Bearer ${made.body.key}` };
  expect((await b.api('GET', '/v1/users/me', undefined, as)).body.name).toBe('dana');

  await a.api('PATCH', '/v1/users/dana', { disabled: true });
  expect((await b.api('GET', '/v1/notifications', undefined, as)).status).toBe(401);
  await b.api('PATCH', '/v1/users/dana', { disabled: false });
  expect((await a.api('GET', '/v1/notifications', undefined, as)).status).toBe(200);

  expect((await a.api('DELETE', `/v1/api-keys/${made.body.id}`)).status).toBe(200);
  expect((await b.api('GET', '/v1/notifications', undefined, as)).status).toBe(401);
});
