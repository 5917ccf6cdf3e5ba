// Bug (issue 11): an action type that gains a required field after an action was queued sent that
// action with the value empty (path `/ok/x/`). The stored input is checked against the action
// type's current fields when it is sent: a missing or mistyped value turns it To Do, Invalid Input,
// naming the field, and nothing goes out; a new field with a default is sent with the default; a
// field the action type no longer has is simply not used. On both stores.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { createLogger } from '../../src/logger.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';

const quiet = createLogger({ level: 'silent' });
const backends: Array<{ name: string; start: () => Promise<{ h: Harness; cleanup: () => Promise<void> }> }> = [
  {
    name: 'SQLite',
    start: async () => ({ h: await startHarness({ start: false, mock: { keepBodies: true } }), cleanup: async () => undefined }),
  },
  {
    name: 'PostgreSQL',
    start: async () => {
      const schema = freshSchema('input_at_send');
      const store = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4, logger: quiet });
      const h = await startHarness({
        callout: { store, secretKey: randomBytes(32).toString('hex') },
        start: false,
        mock: { keepBodies: true },
      });
      return { h, cleanup: () => dropSchema(schema) };
    },
  },
];

for (const backend of backends)
  describe(backend.name, () => {
    let h: Harness;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ h, cleanup } = await backend.start());
      await connector(h);
    });
    afterAll(async () => {
      await h.close();
      await cleanup();
    });

    it('fields changed after launch are checked at send time', async () => {
      await actionType(h, { name: 'grows', path: '/ok/x/', fields: { Old: { required: false } }, headers: { 'X-Old': '{{ Old }}' } });
      await actionType(h, { name: 'typed', path: '/ok/t/{{ N }}', fields: { N: { type: 'string' } } });
      await actionType(h, { name: 'defaulted', path: '/ok' });
      const launch = async (type: string, input: Record<string, unknown>): Promise<string> => {
        const r = await h.api('POST', '/v1/actions', { actionType: type, input });
        expect(r.status).toBe(201);
        return r.body.id;
      };
      const missing = await launch('grows', { Old: 'o' });
      const mistyped = await launch('typed', { N: '7' });
      const withDefault = await launch('defaulted', {});
      expect(
        (await h.api('PATCH', '/v1/action-types/grows', { path: '/ok/x/{{ Ref }}', fields: { Ref: { required: true } }, headers: {} }))
          .status,
      ).toBe(200);
      expect((await h.api('PATCH', '/v1/action-types/typed', { fields: { N: { type: 'integer' } } })).status).toBe(200);
      expect(
        (
          await h.api('PATCH', '/v1/action-types/defaulted', {
            body: { format: 'json', template: '{"lang": "{{ Lang }}"}' },
            fields: { Lang: { required: true, default: 'en' } },
          })
        ).status,
      ).toBe(200);
      h.callout.start();

      const a = await h.waitFor(missing, (x) => x.state !== 'waiting');
      expect(a).toMatchObject({ state: 'todo', reason: 'invalid_input', rejectedReason: 'Ref: is required' }); // Old, no longer a field, is not used (nor refused)
      const b = await h.waitFor(mistyped, (x) => x.state !== 'waiting');
      expect(b).toMatchObject({ state: 'todo', reason: 'invalid_input', rejectedReason: expect.stringContaining('N: ') });
      expect(h.mock.log.filter((e) => e.key === missing || e.key === mistyped)).toHaveLength(0);

      const c = await h.waitFor(withDefault, (x) => x.state !== 'waiting');
      expect(c).toMatchObject({ state: 'closed', resolution: 'done_successfully' });
      expect(h.mock.log.filter((e) => e.key === withDefault).map((e) => e.body)).toEqual([{ lang: 'en' }]);
    });
  });
