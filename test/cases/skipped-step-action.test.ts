// An operator skipped a failed step whose action failed: nothing waits for that action any more, so
// its retry (POST /v1/actions/{id}/retry) is refused rather than sent to the external system for no
// one. A retry and a skip of the same step that meet: whichever lands second is refused, on both stores.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connector, actionType, type Harness } from '../helpers/harness.ts';
import { actionOf, stepOf, waitForCase } from '../helpers/cases.ts';
import { postgresNodes, storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';
import type { ActionWrite } from '../../src/store/types.ts';

async function setUp(h: Harness): Promise<Record<string, string>> {
  // Its failures are the point: they must not open the circuit and hold the next sends.
  await connector(h, { circuitBreaker: false });
  // Every attempt answers 500 and none is retried: the action closes Not Done, the step fails, the case stops.
  await actionType(h, { name: 'down', path: '/status/500', retry: { maxRetries: 0 } });
  const p = await h.api('POST', '/v1/processes', {
    name: 'sending',
    steps: [
      { name: 'call', kind: 'external', actionType: 'down' },
      { name: 'after', kind: 'manual', queue: 'desk' },
    ],
  });
  expect(p.status, JSON.stringify(p.body)).toBe(201);
  await h.api('POST', '/v1/users', { name: 'olga' });
  const k = await h.api('POST', '/v1/api-keys', { name: 'olga', roles: ['operator'], user: 'olga' });
  return { authorization: `Bearer ${k.body.key}` };
}

const failedCase = async (h: Harness): Promise<any> => {
  const r = await h.api('POST', '/v1/cases', { process: 'sending' });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return waitForCase(h, r.body.id, (x) => stepOf(x, 'call').status === 'failed');
};

const sends = (h: Harness): number => h.mock.log.filter((e) => e.path === '/status/500').length;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const backend of storeHarnesses)
  describe(`${backend.name}: the action of a skipped step`, () => {
    let h: StoreHarnessed;
    let operator: Record<string, string>;
    beforeAll(async () => {
      h = await backend.open();
      operator = await setUp(h);
    });
    afterAll(async () => h?.close());

    const skip = (caseId: string) => h.api('POST', `/v1/cases/${caseId}/steps/call/skip`, { note: 'done by phone' }, operator);
    const retry = (actionId: string, body?: unknown) => h.api('POST', `/v1/actions/${actionId}/retry`, body, operator);

    it('is not retried: a 409 naming the step, the case and who skipped it; the external system hears nothing more', async () => {
      const c = await failedCase(h);
      const id = actionOf(c, 'call');
      expect('stepSkipped' in (await h.api('GET', `/v1/actions/${id}`)).body).toBe(false);
      expect((await skip(c.id)).status).toBe(200);
      // Its read says why it takes no retry (the card offers none).
      expect((await h.api('GET', `/v1/actions/${id}`)).body.stepSkipped).toEqual({ step: 'call', by: 'olga', at: expect.any(String) });
      const before = sends(h);
      for (const r of [await retry(id), await retry(id, { input: {} })]) {
        expect(r.status, JSON.stringify(r.body)).toBe(409);
        expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(r.body.detail).toContain(`step "call" of case ${c.id} was skipped by olga`);
      }
      await pause(300);
      expect(sends(h)).toBe(before);
      const a = (await h.api('GET', `/v1/actions/${id}`)).body;
      expect(a).toMatchObject({ state: 'closed', resolution: 'not_done_successfully' });
      expect(stepOf((await h.api('GET', `/v1/cases/${c.id}`)).body, 'call').status).toBe('skipped');
    });

    it('the OpenAPI document says so, on the retry and on the skip', async () => {
      const doc = (await h.api('GET', '/openapi.json')).body;
      expect(doc.paths['/v1/actions/{id}/retry'].post.description).toMatch(/409: .*step an operator skipped/);
      const skipOp = doc.paths['/v1/cases/{id}/steps/{name}/skip'].post.description;
      expect(skipOp).toMatch(/is not retried any more/);
      expect(skipOp).toMatch(/409: .*its action was retried since it failed/);
    });

    it('a retry written before the skip, its case not yet told: the skip is refused (409), the step runs again', async () => {
      const c = await failedCase(h);
      const id = actionOf(c, 'call');
      // The case worker hears nothing for now: the retry's event waits in the case's outbox.
      const store = h.callout.store;
      const claim = store.claimCaseEvents.bind(store);
      let held = true;
      store.claimCaseEvents = async (p) => (held ? [] : claim(p));
      try {
        const before = sends(h);
        expect((await retry(id)).status).toBe(200);
        await expect.poll(() => sends(h)).toBe(before + 1);
        const s = await skip(c.id);
        expect(s.status, JSON.stringify(s.body)).toBe(409);
        expect(s.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(s.body.detail).toMatch(new RegExp(`step "call" is running again: its action ${id} was retried`, 'i'));
        const now = (await h.api('GET', `/v1/cases/${c.id}`)).body;
        expect(stepOf(now, 'call')).toMatchObject({ status: 'failed' });
        expect('skipped' in stepOf(now, 'call')).toBe(false);
      } finally {
        held = false;
        store.claimCaseEvents = claim;
      }
      // The case hears of the retry (it failed again): the step ran again and failed, and is skipped now.
      await waitForCase(h, c.id, (x) => stepOf(x, 'call').status === 'failed' && x.updatedAt !== c.updatedAt);
      const again = await skip(c.id);
      expect(again.status, JSON.stringify(again.body)).toBe(200);
      expect(stepOf(again.body, 'after').status).toBe('waiting_for_person');
    });

    it('a skip landing between a retry and its write: the retry is refused (409) and nothing is sent', async () => {
      const c = await failedCase(h);
      const id = actionOf(c, 'call');
      const store = h.callout.store;
      const write = store.writeActions.bind(store);
      let skipped: Awaited<ReturnType<typeof skip>> | undefined;
      // The skip is applied when the retry's write reaches the store, before it is written.
      store.writeActions = async (ws: ActionWrite[]) => {
        if (!skipped && ws.some((w) => w.action.id === id && w.action.state === 'waiting')) skipped = await skip(c.id);
        return write(ws);
      };
      const before = sends(h);
      let r;
      try {
        r = await retry(id);
      } finally {
        store.writeActions = write;
      }
      expect(skipped?.status, JSON.stringify(skipped?.body)).toBe(200);
      expect(r.status, JSON.stringify(r.body)).toBe(409);
      expect(r.body.detail).toContain(`step "call" of case ${c.id} was skipped by olga`);
      await pause(300);
      expect(sends(h)).toBe(before);
      expect((await h.api('GET', `/v1/actions/${id}`)).body.state).toBe('closed');
      const now = (await h.api('GET', `/v1/cases/${c.id}`)).body;
      expect(stepOf(now, 'call').status).toBe('skipped');
      expect(stepOf(now, 'after').status).toBe('waiting_for_person');
    });
  });

describe('PostgreSQL: a retry on one node and a skip on another, at once', () => {
  let nodes: Harness[];
  let close: () => Promise<void>;
  let operator: Record<string, string>;
  beforeAll(async () => {
    ({ nodes, close } = await postgresNodes(2));
    operator = await setUp(nodes[0]!);
  });
  afterAll(async () => close?.());

  it('one of the two wins each time: the step is skipped and its action not sent again, or the action is retried and the skip refused', async () => {
    const [a, b] = nodes as [Harness, Harness];
    const cases = await Promise.all(Array.from({ length: 8 }, () => failedCase(a)));
    const results = await Promise.all(
      cases.map(async (c) => {
        const id = actionOf(c, 'call');
        const [retried, skipped] = await Promise.all([
          a.api('POST', `/v1/actions/${id}/retry`, undefined, operator),
          b.api('POST', `/v1/cases/${c.id}/steps/call/skip`, { note: 'at once' }, operator),
        ]);
        return { c, id, retried, skipped };
      }),
    );
    for (const { c, id, retried, skipped } of results) {
      // Exactly one of them is refused, as a conflict.
      expect([retried.status, skipped.status].sort(), JSON.stringify({ retried: retried.body, skipped: skipped.body })).toEqual([200, 409]);
      if (skipped.status === 200) {
        expect(retried.body.detail).toContain(`step "call" of case ${c.id} was skipped by olga`);
        const action = (await a.api('GET', `/v1/actions/${id}`)).body;
        // Sent once, by the case: the retry sent nothing.
        expect(action).toMatchObject({ state: 'closed', attempts: 1 });
      } else {
        expect(skipped.body.detail).toMatch(/is running again|is running/);
        // The case hears of the retry, which failed again: the step ran and failed again, not skipped.
        const now = await waitForCase(b, c.id, (x) => stepOf(x, 'call').status === 'failed' && x.updatedAt !== c.updatedAt);
        expect('skipped' in stepOf(now, 'call')).toBe(false);
        expect((await a.api('GET', `/v1/actions/${id}`)).body).toMatchObject({ state: 'closed', attempts: 2 });
      }
    }
  });
});
