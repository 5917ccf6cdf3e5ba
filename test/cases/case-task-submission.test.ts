// A process's manual step on a queue integrated with a provider: its task is submitted to the provider
// (SPEC 7) even when that submission fails the first time, or the node dies right after the case write
// that created the task. The task is inserted in the case's write; its submission must not hang on
// the memory of the node that made that write.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, type Harness } from '../helpers/harness.ts';
import { waitForCase } from '../helpers/cases.ts';
import { PROVIDER_FIELDS, storeHarnesses } from '../helpers/store-harnesses.ts';

// A short case-event lease: an event whose work failed is tried again soon.
const cases = { leaseMs: 300 };
for (const backend of storeHarnesses)
  describe(`${backend.name}: a process's task on an integrated queue`, () => {
    let h: Harness;

    beforeAll(async () => {
      h = await backend.open({ callout: { cases } });
      await connector(h);
      for (const name of ['submit', 'update', 'close', 'reject'])
        await actionType(h, { name: `prv-${name}`, path: '/ok', fields: PROVIDER_FIELDS });
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
