// Cases that survive failure, on both stores: an event applied again after the node died between
// launching a step's action and writing the case launches nothing twice; exhausted retries escalate
// the case and notify its owner.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { connector, actionType, startHarness, type Harness } from '../helpers/harness.ts';
import { actionOf, stepOf, waitForCase } from '../helpers/cases.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { createLogger } from '../../src/logger.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';
import type { CaseWrite } from '../../src/store/types.ts';

// A short lease, so an event whose node "died" is taken up again within the test.
const cases = { leaseMs: 300, pollIntervalMs: 100 };
const backends = [
  { name: 'SQLite', open: () => startHarness({ callout: { cases } }) },
  {
    name: 'PostgreSQL',
    async open(): Promise<Harness> {
      const schema = freshSchema('durable');
      const store = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, logger: createLogger({ level: 'silent' }) });
      const h = await startHarness({ callout: { store, cases, secretKey: randomBytes(32).toString('hex') } });
      const close = h.close.bind(h);
      return { ...h, close: async () => (await close(), await dropSchema(schema)) };
    },
  },
];

for (const backend of backends)
  describe(`${backend.name}: cases through failures`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await backend.open();
      await connector(h);
      await actionType(h, { name: 'order', path: '/ok' });
      await actionType(h, { name: 'down', path: '/status/503', retry: { maxRetries: 1, interval: '20ms' } });
    });
    afterAll(async () => h?.close());

    it('an event applied again after the case write failed finds the action it launched: one action, one send', async () => {
      await h.api('POST', '/v1/processes', {
        name: 'replayed',
        steps: [
          { name: 'order', kind: 'external', actionType: 'order' },
          { name: 'check', kind: 'manual', queue: 'desk' },
        ],
      });
      const store = h.callout.store;
      const write = store.updateCase.bind(store);
      let died = 0;
      // The node "dies" after launching the step's action, before the case write that records it.
      store.updateCase = async (w: CaseWrite) => {
        if (w.appliedEvent !== undefined && died === 0) {
          died++;
          throw new Error('the node died here');
        }
        return write(w);
      };
      try {
        const r = await h.api('POST', '/v1/cases', { process: 'replayed', data: {} });
        expect(r.status).toBe(201);
        expect(died).toBe(1);
        const c = await waitForCase(h, r.body.id, (x) => stepOf(x, 'check').status === 'waiting_for_person');
        expect(stepOf(c, 'order')).toMatchObject({ status: 'done', outcome: 'ACTION_HANDLED_SUCCESSFUL' });
        expect(c.actions).toHaveLength(2);
        const order = actionOf(c, 'order');
        expect(h.mock.log.filter((e) => e.key === order)).toHaveLength(1);
        const launched = (await h.api('GET', `/v1/actions/${order}/timeline`)).body.items.filter((e: any) => e.kind === 'launched');
        expect(launched).toHaveLength(1);
      } finally {
        store.updateCase = write;
      }
    });

    it('exhausted retries close the step failed, mark the case escalated and notify its owner', async () => {
      const owner = await h.callout.apiKeys.create({ name: `owner-${backend.name}`, roles: ['operator'] });
      await h.api('POST', '/v1/processes', {
        name: 'escalating',
        steps: [
          { name: 'call', kind: 'external', actionType: 'down' },
          { name: 'after', kind: 'manual', queue: 'desk' },
        ],
      });
      const r = await h.api('POST', '/v1/cases', { process: 'escalating', owner: owner.name, data: {} });
      // The action's write marks the case escalated at once; the case worker then closes the step.
      const c = await waitForCase(h, r.body.id, (x) => x.escalated === true && stepOf(x, 'call').status === 'failed');
      expect(stepOf(c, 'call')).toMatchObject({ status: 'failed', outcome: 'ACTION_HANDLED_FAILED' });
      expect(stepOf(c, 'after')).toMatchObject({ status: 'pending', actionId: null });
      expect(c.status).toBe('open');
      const mine = await h.api('GET', '/v1/notifications', undefined, { authorization: `Bearer ${owner.key}` });
      expect(mine.body.items).toEqual([expect.objectContaining({ kind: 'action.escalated', caseId: c.id, actionId: actionOf(c, 'call') })]);
    });

    it('a manual task has nothing to retry, and a process changed later does not change a running case', async () => {
      await h.api('POST', '/v1/processes', { name: 'changing', steps: [{ name: 'first', kind: 'manual', queue: 'desk' }] });
      const r = await h.api('POST', '/v1/cases', { process: 'changing', data: {} });
      const c = await waitForCase(h, r.body.id, (x) => stepOf(x, 'first').actionId !== null);
      const task = actionOf(c, 'first');
      await h.api('POST', `/v1/actions/${task}/complete`, { resolution: 'not_done_successfully' });
      const retry = await h.api('POST', `/v1/actions/${task}/retry`);
      expect(retry.status).toBe(409);
      expect(retry.body.detail).toContain('nothing to retry');
      const patched = await h.api('PATCH', '/v1/processes/changing', {
        steps: [
          { name: 'first', kind: 'manual', queue: 'desk' },
          { name: 'second', kind: 'manual', queue: 'desk' },
        ],
      });
      expect(patched.body).toMatchObject({ revision: 2, steps: [{ name: 'first' }, { name: 'second' }] });
      const after = await waitForCase(h, c.id, (x) => stepOf(x, 'first').status === 'failed');
      expect(after.steps.map((s: any) => s.name)).toEqual(['first']);
    });
  });
