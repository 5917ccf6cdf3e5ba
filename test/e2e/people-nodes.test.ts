// Two nodes on one PostgreSQL: a user disabled or a key revoked through one node is refused by the
// other at its next request (each request reads the key and its user from the store).

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';

const schema = freshSchema('people_nodes');
const secretKey = randomBytes(32).toString('hex');
let a: Harness;
let b: Harness;
const node = (): Promise<Harness> =>
  startHarness({
    start: false,
    callout: {
      store: new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, logger: createLogger({ level: 'silent' }) }),
      secretKey,
    },
  });

beforeAll(async () => {
  a = await node();
  b = await node();
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await dropSchema(schema);
});

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
