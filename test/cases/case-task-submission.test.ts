// A process's manual step on a queue integrated with a provider: its task is submitted to the provider
// (SPEC 7) even when that submission fails the first time, or the node dies right after the case write
// that created the task. The task is inserted in the case's write; its submission must not hang on
// the memory of the node that made that write.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';
import { waitForCase } from '../helpers/cases.ts';

// A short case-event lease: an event whose work failed is tried again soon.
const cases = { leaseMs: 300 };
const backends: Array<{ name: string; open(): Promise<Harness> }> = [
  { name: 'SQLite', open: () => startHarness({ callout: { cases } }) },
  {
    name: 'PostgreSQL',
    async open() {
      const schema = freshSchema('tasksubmit');
      const store = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, logger: createLogger({ level: 'silent' }) });
      const h = await startHarness({ callout: { store, cases, secretKey: randomBytes(32).toString('hex') } });
      const close = h.close.bind(h);
      return { ...h, close: async () => (await close(), await dropSchema(schema)) };
    },
  },
];

const fields = {
  TaskId: { type: 'string' },
  Title: { type: 'string' },
  Note: { type: 'string', required: false },
  ExternalReference: { type: 'string', required: false },
  CaseData: { type: 'json', required: false },
};

for (const backend of backends)
  describe(`${backend.name}: a process's task on an integrated queue`, () => {
    let h: Harness;

    beforeAll(async () => {
      h = await backend.open();
      await connector(h);
      for (const name of ['submit', 'update', 'close', 'reject']) await actionType(h, { name: `prv-${name}`, path: '/ok', fields });
      expect((await h.api('POST', '/v1/users', { name: 'olga' })).status).toBe(201);
      const integration = {
        connector: 'vendor',
        onAssign: 'prv-submit',
        onUpdate: 'prv-update',
        onClose: 'prv-close',
        onResolutionRejected: 'prv-reject',
      };
      expect((await h.api('POST', '/v1/queues', { name: 'vendor-desk', members: ['olga'], integration })).status).toBe(201);
      const p = await h.api('POST', '/v1/processes', {
        name: 'to-provider',
        steps: [{ name: 'fix', kind: 'manual', title: 'Fix it', queue: 'vendor-desk' }],
      });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
    });
    afterAll(async () => h?.close());

    it('is submitted to the provider although the first try after the case write failed', async () => {
      const integrations = h.callout.engine.integrations!;
      const original = integrations.taskCreated.bind(integrations);
      let failures = 0;
      integrations.taskCreated = async (task) => {
        if (failures === 0) {
          failures++;
          throw new Error('the node stopped here (or its store blinked)');
        }
        return original(task);
      };
      try {
        const c = (await h.api('POST', '/v1/cases', { process: 'to-provider', title: 'Broken printer' })).body;
        const taskId = (await waitForCase(h, c.id, (x) => x.steps[0].actionId !== null)).steps[0].actionId as string;
        const deadline = Date.now() + 10_000;
        let log: Array<{ requestType: string }> = [];
        while (Date.now() < deadline) {
          log = (await h.api('GET', `/v1/actions/${taskId}/integration-log`)).body.items;
          if (log.length > 0) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(failures).toBe(1);
        expect(log.map((e) => e.requestType)).toEqual(['Submit Request']);
        expect((await h.api('GET', `/v1/actions/${taskId}`)).body).toMatchObject({ queue: 'vendor-desk', state: 'waiting' });
      } finally {
        integrations.taskCreated = original;
      }
    });
  });
