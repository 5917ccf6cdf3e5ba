// A case is escalated while one of its actions is: when the last escalated one is retried (or
// completed Done Successfully), the case is escalated no more. It used to stay escalated for ever, so
// a case whose problem an operator had fixed still showed, and was listed, as needing attention.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { actionType, type Harness } from '../helpers/harness.ts';
import { stepOf, waitForCase } from '../helpers/cases.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';
import type { ActionView } from '../../src/actions/views.ts';

/** The external system: down (503) until the test says it is fixed. */
let up = false;
let server: Server;
let baseUrl: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    res.writeHead(up ? 200 : 503, { 'content-type': 'application/json' }).end(up ? '{"ok":true}' : '{"error":"down"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => new Promise((resolve) => server.close(resolve)));

const escalatedAndClosed = (a: ActionView): boolean => a.state === 'closed' && a.escalated;
const done = (a: ActionView): boolean => a.state === 'closed' && a.resolution === 'done_successfully';

for (const backend of storeHarnesses)
  describe(`${backend.name}: a case's escalation ends with its actions'`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await backend.open();
      expect((await h.api('POST', '/v1/connectors', { name: 'flip', baseUrl, circuitBreaker: false, timeout: '2s' })).status).toBe(201);
      await actionType(h, { name: 'flip-it', connector: 'flip', path: '/x', retry: { maxRetries: 0, interval: '1s' } });
      expect((await h.api('POST', '/v1/users', { name: 'olga' })).status).toBe(201);
      const step = { name: 'order', kind: 'external', actionType: 'flip-it' };
      expect((await h.api('POST', '/v1/processes', { name: 'flip-order', steps: [step] })).status).toBe(201);
    });
    afterAll(async () => h?.close());

    const caseOf = async (id: string): Promise<{ escalated: boolean }> => (await h.api('GET', `/v1/cases/${id}`)).body;
    const launch = async (caseId: string): Promise<string> => {
      const r = await h.api('POST', '/v1/actions', { actionType: 'flip-it', caseId, input: {} });
      expect(r.status).toBe(201);
      return r.body.id;
    };

    it('stays escalated while another action is, and is not once the last one is retried and done', async () => {
      up = false;
      const kase = (await h.api('POST', '/v1/cases', { title: 'two failures', owner: 'olga' })).body.id as string;
      const [a1, a2] = [await launch(kase), await launch(kase)];
      await h.waitFor(a1, escalatedAndClosed, 10_000);
      await h.waitFor(a2, escalatedAndClosed, 10_000);
      expect(await caseOf(kase)).toMatchObject({ escalated: true });

      up = true;
      expect((await h.api('POST', `/v1/actions/${a1}/retry`)).status).toBe(200);
      expect(await h.waitFor(a1, done, 10_000)).toMatchObject({ escalated: false });
      expect(await caseOf(kase)).toMatchObject({ escalated: true }); // a2 still is
      expect((await h.api('GET', '/v1/cases?escalated=true&limit=100')).body.items.map((c: { id: string }) => c.id)).toContain(kase);

      expect((await h.api('POST', `/v1/actions/${a2}/retry`)).status).toBe(200);
      await h.waitFor(a2, done, 10_000);
      expect(await caseOf(kase)).toMatchObject({ escalated: false });
      expect((await h.api('GET', '/v1/cases?escalated=true&limit=100')).body.items.map((c: { id: string }) => c.id)).not.toContain(kase);

      // Escalated again when an action of it is.
      up = false;
      await h.waitFor(await launch(kase), escalatedAndClosed, 10_000);
      expect(await caseOf(kase)).toMatchObject({ escalated: true });
    });

    it("a process's case: its failed step retried and done leaves it escalated no more", async () => {
      up = false;
      const created = (await h.api('POST', '/v1/cases', { process: 'flip-order', owner: 'olga', data: {} })).body.id as string;
      // The case worker has heard of the failure (the step says so) before the operator retries it.
      const failed = await waitForCase(h, created, (c) => c.escalated && stepOf(c, 'order').status === 'failed');
      up = true;
      expect((await h.api('POST', `/v1/actions/${stepOf(failed, 'order').actionId}/retry`)).status).toBe(200);
      const closed = await waitForCase(h, created, (c) => c.status === 'closed');
      expect(closed).toMatchObject({ escalated: false });
      expect(stepOf(closed, 'order').status).toBe('done');
    });
  });
