// An external step whose action exhausted its retries (closed Not Done, escalated) is retried by an
// operator (the error bar's Retry link) and then succeeds: the case moves on past the step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connector, actionType, type Harness } from '../helpers/harness.ts';
import { actionOf, stepOf, waitForCase } from '../helpers/cases.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';

for (const backend of storeHarnesses)
  describe(`${backend.name}: Retry of an escalated step action`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await backend.open();
      await connector(h);
      // fails twice (the attempt and its one retry), then answers 200
      await actionType(h, { name: 'flaky2', path: '/fail-then-ok?times=2', retry: { maxRetries: 1, interval: '20ms' } });
      await h.api('POST', '/v1/processes', {
        name: 'retried',
        steps: [
          { name: 'call', kind: 'external', actionType: 'flaky2' },
          { name: 'after', kind: 'manual', queue: 'desk' },
        ],
      });
    });
    afterAll(async () => h?.close());

    it('the retried action succeeds, so the case goes on to its next step', async () => {
      const r = await h.api('POST', '/v1/cases', { process: 'retried', data: {} });
      const c = await waitForCase(h, r.body.id, (x) => stepOf(x, 'call').status === 'failed');
      const id = actionOf(c, 'call');
      const retry = await h.api('POST', `/v1/actions/${id}/retry`);
      expect(retry.status).toBe(200);
      const a = await h.waitFor(id, (x) => x.state === 'closed');
      expect(a.resolution).toBe('done_successfully');
      // The action is Done Successfully; the step should be done and the next step started.
      const after = await waitForCase(h, c.id, (x) => stepOf(x, 'after').status !== 'pending', 4000).catch((e) => e as Error);
      const now = (await h.api('GET', `/v1/cases/${c.id}`)).body;
      expect({ call: stepOf(now, 'call'), after: stepOf(now, 'after') }).toMatchObject({
        call: { status: 'done' },
        after: { status: 'waiting_for_person' },
      });
      expect(after).not.toBeInstanceOf(Error);
    });
  });
