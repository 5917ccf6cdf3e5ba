// A step whose expression failed at run time (a map step's `expression`, a `when`) is `failed` with no
// action behind it, and its case stood still for good: fixing the data changed nothing, and there was
// nothing an operator could retry. POST /v1/cases/{id}/steps/{name}/retry runs it again, as the first
// time, over the case's data as it now is. An external step's failed `input` expression already had a
// way on: its action goes to a person with the error (Invalid Input), whose retry with a corrected input
// moves the case on; and an external step whose action closed Not Done moves on with the action's retry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connector, actionType } from '../helpers/harness.ts';
import { actionOf, stepOf, waitForCase } from '../helpers/cases.ts';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';

for (const backend of storeHarnesses)
  describe(`${backend.name}: retrying a failed step`, () => {
    let h: StoreHarnessed;
    let operator: Record<string, string>;
    let builder: Record<string, string>;
    const retry = (caseId: string, step: string, headers: Record<string, string> = operator) =>
      h.api('POST', `/v1/cases/${caseId}/steps/${step}/retry`, undefined, headers);
    const caseClosedSent = (id: string): number =>
      h.mock.log.filter((e) => {
        const b = e.body as { type?: string; data?: { caseId?: string } } | undefined;
        return b?.type === 'case.closed' && b.data?.caseId === id;
      }).length;

    beforeAll(async () => {
      h = await backend.open({ mock: { keepBodies: true } });
      await connector(h);
      await actionType(h, { name: 'order', path: '/ok', fields: { Amount: { type: 'integer' } } });
      await actionType(h, { name: 'refuse', path: '/status/400', retry: { maxRetries: 0 } });
      const key = async (name: string, roles: string[]) =>
        `Bearer ${(await h.api('POST', '/v1/api-keys', { name, roles, ...(roles.includes('operator') ? { user: name } : {}) })).body.key}`;
      await h.api('POST', '/v1/users', { name: 'olga' });
      operator = { authorization: await key('olga', ['operator']) };
      builder = { authorization: await key('bea', ['builder']) };
      const w = await h.api('POST', '/v1/webhooks', { url: `${h.mock.url}/ok`, events: ['case.closed'] });
      expect(w.status, JSON.stringify(w.body)).toBe(201);
      for (const p of [
        {
          name: 'doubler',
          steps: [
            // $number("abc") is a run-time error of JSONata (D3030), not a syntax error the save refuses.
            { name: 'shape', kind: 'map', expression: '{ "total": $number(case.amount) * 2 }' },
            { name: 'after', kind: 'manual', queue: 'desk' },
          ],
        },
        { name: 'last', steps: [{ name: 'shape', kind: 'map', expression: '{ "total": $number(case.amount) * 2 }' }] },
        {
          name: 'guarded',
          steps: [{ name: 'call', kind: 'external', actionType: 'order', when: '$number(case.amount) > 1', input: '{ "Amount": 1 }' }],
        },
        { name: 'typed', steps: [{ name: 'call', kind: 'external', actionType: 'order', input: '{ "Amount": $number(case.amount) }' }] },
        { name: 'refused', steps: [{ name: 'call', kind: 'external', actionType: 'refuse' }] },
        {
          name: 'approval',
          steps: [
            { name: 'approve', kind: 'manual', queue: 'desk' },
            { name: 'after', kind: 'manual', queue: 'desk' },
          ],
        },
        {
          name: 'going-on',
          steps: [
            { name: 'shape', kind: 'map', expression: '{ "x": $number(case.amount) }', onFailure: 'continue' },
            { name: 'after', kind: 'manual', queue: 'desk' },
          ],
        },
      ]) {
        const r = await h.api('POST', '/v1/processes', p);
        expect(r.status, JSON.stringify(r.body)).toBe(201);
      }
    });
    afterAll(async () => h?.close());

    const failedCase = async (process: string, step = 'shape'): Promise<any> => {
      const r = await h.api('POST', '/v1/cases', { process, data: { amount: 'abc' } });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return waitForCase(h, r.body.id, (x) => stepOf(x, step).status === 'failed');
    };

    it('a failed map step stays failed when the data is fixed; its retry runs it over the new data and the case goes on', async () => {
      const c = await failedCase('doubler');
      expect(stepOf(c, 'shape')).toMatchObject({ status: 'failed', actionId: null, error: expect.stringMatching(/^expression: /) });
      const patched = await h.api('PATCH', `/v1/cases/${c.id}`, { data: { amount: '21' } });
      expect(patched.status).toBe(200);
      expect(stepOf(patched.body, 'shape').status).toBe('failed');

      const r = await retry(c.id, 'shape');
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.data.total).toBe(42);
      expect(stepOf(r.body, 'shape')).toMatchObject({
        status: 'done',
        error: null,
        retried: { count: 1, by: 'olga', at: expect.any(String) },
      });
      expect(stepOf(r.body, 'after')).toMatchObject({ status: 'waiting_for_person', actionId: expect.any(String) });

      // Done now: a second retry is refused and changes nothing.
      const again = await retry(c.id, 'shape');
      expect(again.status).toBe(409);
      expect(again.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(again.body.detail).toMatch(/step "shape" is done, not failed/i);
      const now = (await h.api('GET', `/v1/cases/${c.id}`)).body;
      expect(stepOf(now, 'shape').retried.count).toBe(1);
      expect(now.actions.length).toBe(1);
    });

    it('a retry that fails again leaves the step failed with the new error, and counts', async () => {
      const c = await failedCase('doubler');
      const r = await retry(c.id, 'shape');
      expect(r.status).toBe(200);
      expect(stepOf(r.body, 'shape')).toMatchObject({
        status: 'failed',
        retried: { count: 1 },
        error: expect.stringMatching(/^expression: /),
      });
      expect(stepOf(r.body, 'after').status).toBe('pending');
      await h.api('PATCH', `/v1/cases/${c.id}`, { data: { amount: 3 } });
      const second = await retry(c.id, 'shape');
      expect(stepOf(second.body, 'shape')).toMatchObject({ status: 'done', retried: { count: 2 } });
    });

    it('with an Idempotency-Key, a repeat answers the case as it is and runs nothing again', async () => {
      const c = await failedCase('doubler');
      await h.api('PATCH', `/v1/cases/${c.id}`, { data: { amount: 5 } });
      const k = { ...operator, 'idempotency-key': 'fix-1' };
      const first = await retry(c.id, 'shape', k);
      expect(first.status).toBe(200);
      const repeat = await retry(c.id, 'shape', k);
      expect(repeat.status).toBe(200);
      expect(stepOf(repeat.body, 'shape')).toMatchObject({ status: 'done', retried: { count: 1 } });
      expect(repeat.body.actions.length).toBe(1);
      const long = await retry(c.id, 'shape', { ...operator, 'idempotency-key': 'k'.repeat(201) });
      expect(long.status).toBe(422);
      expect(long.body.errors).toEqual([{ field: 'Idempotency-Key', message: expect.any(String) }]);
      // Another key is another retry: refused, the step is done.
      expect((await retry(c.id, 'shape', { ...operator, 'idempotency-key': 'fix-2' })).status).toBe(409);
    });

    it('two retries at once: one runs the step, the other is refused; one task is created', async () => {
      const c = await failedCase('doubler');
      await h.api('PATCH', `/v1/cases/${c.id}`, { data: { amount: 5 } });
      const both = await Promise.all([retry(c.id, 'shape'), retry(c.id, 'shape')]);
      expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
      const now = (await h.api('GET', `/v1/cases/${c.id}`)).body;
      expect(stepOf(now, 'shape').retried.count).toBe(1);
      expect(now.actions.length).toBe(1);
    });

    it('a retried last step closes the case, and case.closed is sent', async () => {
      const c = await failedCase('last');
      await h.api('PATCH', `/v1/cases/${c.id}`, { data: { amount: 1 } });
      const r = await retry(c.id, 'shape');
      expect(r.status).toBe(200);
      expect(r.body.status).toBe('closed');
      await expect.poll(() => caseClosedSent(c.id)).toBe(1);
    });

    it('a failed `when` of an external step: the retry evaluates it again and launches the action', async () => {
      const c = await failedCase('guarded', 'call');
      expect(stepOf(c, 'call')).toMatchObject({ actionId: null, error: expect.stringMatching(/^when: /) });
      await h.api('PATCH', `/v1/cases/${c.id}`, { data: { amount: 2 } });
      const r = await retry(c.id, 'call');
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const done = await waitForCase(h, c.id, (x) => x.status === 'closed');
      expect(stepOf(done, 'call')).toMatchObject({ status: 'done', outcome: 'ACTION_HANDLED_SUCCESSFUL' });
      const a = await h.waitFor(actionOf(done, 'call'), (x) => x.state === 'closed');
      expect(a.input).toEqual({ Amount: 1 });
    });

    it('a manual step whose task was closed Not Done (a task is not retried): the retry gives it a new task, once', async () => {
      const r = await h.api('POST', '/v1/cases', { process: 'approval' });
      const first = actionOf(await waitForCase(h, r.body.id, (x) => stepOf(x, 'approve').actionId !== null), 'approve');
      expect((await h.api('POST', `/v1/actions/${first}/complete`, { resolution: 'not_done_successfully' })).status).toBe(200);
      const c = await waitForCase(h, r.body.id, (x) => stepOf(x, 'approve').status === 'failed');
      expect(stepOf(c, 'approve').error).toMatch(/Not Done Successfully/);
      expect((await h.api('POST', `/v1/actions/${first}/retry`, undefined, operator)).status).toBe(409);

      const k = { ...operator, 'idempotency-key': 'again-1' };
      const [a, b] = await Promise.all([retry(c.id, 'approve', k), retry(c.id, 'approve', k)]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const now = (await h.api('GET', `/v1/cases/${c.id}`)).body;
      const second = stepOf(now, 'approve').actionId;
      expect(stepOf(now, 'approve')).toMatchObject({ status: 'waiting_for_person', retried: { count: 1 } });
      expect(second).not.toBe(first);
      expect(now.actions.map((x: any) => [x.id, x.state]).sort()).toEqual(
        [
          [first, 'closed'],
          [second, 'todo'],
        ].sort(),
      );
      expect((await h.api('GET', `/v1/actions/${second}`)).body).toMatchObject({ reason: 'manual', queue: 'desk' });
      expect((await h.api('POST', `/v1/actions/${second}/complete`, { resolution: 'done_successfully' })).status).toBe(200);
      await waitForCase(h, c.id, (x) => stepOf(x, 'approve').status === 'done' && stepOf(x, 'after').status === 'waiting_for_person');
    });

    it('a close that lands between the retry’s read and its write wins: the retry is refused and launches nothing', async () => {
      const c = await failedCase('guarded', 'call');
      await h.api('PATCH', `/v1/cases/${c.id}`, { data: { amount: 2 } });
      const store = h.callout.store;
      const original = store.updateCase.bind(store);
      let armed = true;
      // As another request (or node) would: the close is written after the retry read the case.
      store.updateCase = async (w) => {
        if (armed && w.id === c.id && w.launches?.length) {
          armed = false;
          expect((await h.api('POST', `/v1/cases/${c.id}/close`)).status).toBe(200);
        }
        return original(w);
      };
      try {
        const r = await retry(c.id, 'call');
        expect(r.status, JSON.stringify(r.body)).toBe(409);
        expect(r.body.detail).toMatch(/closed/);
      } finally {
        store.updateCase = original;
      }
      expect(armed).toBe(false);
      const now = (await h.api('GET', `/v1/cases/${c.id}`)).body;
      expect(now).toMatchObject({ status: 'closed', actions: [] });
      expect(stepOf(now, 'call')).toMatchObject({ status: 'failed', actionId: null });
    });

    it('a failed `input` expression was never a stuck step: its action waits for a person, whose corrected retry moves the case on', async () => {
      const r = await h.api('POST', '/v1/cases', { process: 'typed', data: { amount: 'abc' } });
      const c = await waitForCase(h, r.body.id, (x) => stepOf(x, 'call').actionId !== null);
      expect(stepOf(c, 'call')).toMatchObject({ status: 'waiting_for_person', outcome: 'ACTION_HANDLED_FAILED' });
      const id = actionOf(c, 'call');
      expect((await h.api('GET', `/v1/actions/${id}`)).body).toMatchObject({ state: 'todo', reason: 'invalid_input' });
      // The step is no failed step: the new route refuses it, and the action's retry is the way on.
      expect((await retry(c.id, 'call')).status).toBe(409);
      expect((await h.api('POST', `/v1/actions/${id}/retry`, { input: { Amount: 4 } }, operator)).status).toBe(200);
      await waitForCase(h, c.id, (x) => x.status === 'closed' && stepOf(x, 'call').status === 'done');
    });

    it('the OpenAPI document says which steps it runs (a closed task too), its refusals, and which keys are recognised', async () => {
      const op = (await h.api('GET', '/openapi.json')).body.paths['/v1/cases/{id}/steps/{name}/retry'].post;
      expect(op.summary).toMatch(/task was closed Not Done/);
      expect(op.description).toMatch(/404: .*409: .*422: /);
      const header = op.parameters.find((p: { in: string; name: string }) => p.in === 'header' && p.name === 'idempotency-key');
      expect(header.description).toMatch(/latest 10 retries sent with a key/);
      // What it says: a retry without a key does not push a kept key out.
      const c = await failedCase('doubler');
      expect((await retry(c.id, 'shape', { ...operator, 'idempotency-key': 'kept' })).status).toBe(200);
      for (let i = 0; i < 11; i++) expect((await retry(c.id, 'shape')).status).toBe(200);
      const repeat = await retry(c.id, 'shape', { ...operator, 'idempotency-key': 'kept' });
      expect(stepOf(repeat.body, 'shape').retried.count).toBe(12);
    });

    it('refusals: unknown case, unknown step, a step with an action to retry, a `continue` step, a closed case, a builder', async () => {
      expect((await retry('no-such-case', 'shape')).status).toBe(404);
      const c = await failedCase('doubler');
      const unknown = await retry(c.id, 'nope');
      expect(unknown.status).toBe(404);
      expect(unknown.body.detail).toMatch(/"nope"/);
      const forbidden = await retry(c.id, 'shape', builder);
      expect(forbidden.status).toBe(403);

      const plain = await h.api('POST', '/v1/cases', { title: 'no process' });
      expect((await retry(plain.body.id, 'shape')).status).toBe(404);

      // Rejected (To Do), then closed Not Done by a person: the step is failed, with its action.
      const refused = await h.api('POST', '/v1/cases', { process: 'refused' });
      const todo = await waitForCase(h, refused.body.id, (x) => stepOf(x, 'call').status === 'waiting_for_person');
      const closing = await h.api('POST', `/v1/actions/${actionOf(todo, 'call')}/complete`, { resolution: 'not_done_successfully' });
      expect(closing.status, JSON.stringify(closing.body)).toBe(200);
      const f = await waitForCase(h, refused.body.id, (x) => stepOf(x, 'call').status === 'failed');
      const withAction = await retry(f.id, 'call');
      expect(withAction.status).toBe(409);
      expect(withAction.body.detail).toContain(`/v1/actions/${actionOf(f, 'call')}/retry`);
      // That way on works today: the action's retry runs the step again (here rejected again, so To Do for a person).
      expect((await h.api('POST', `/v1/actions/${actionOf(f, 'call')}/retry`, undefined, operator)).status).toBe(200);
      await waitForCase(h, f.id, (x) => stepOf(x, 'call').status === 'waiting_for_person' && stepOf(x, 'call').error === null);

      const on = await h.api('POST', '/v1/cases', { process: 'going-on', data: { amount: 'abc' } });
      const g = await waitForCase(h, on.body.id, (x) => stepOf(x, 'after').status === 'waiting_for_person');
      expect(stepOf(g, 'shape').status).toBe('failed');
      const cont = await retry(g.id, 'shape');
      expect(cont.status).toBe(409);
      expect(cont.body.detail).toMatch(/continue/);

      await h.api('POST', `/v1/cases/${c.id}/close`);
      const closed = await retry(c.id, 'shape');
      expect(closed.status).toBe(409);
      expect(closed.body.detail).toMatch(/closed/);
      const after = (await h.api('GET', `/v1/cases/${c.id}`)).body;
      expect(stepOf(after, 'shape')).toMatchObject({ status: 'failed' });
      expect(stepOf(after, 'shape').retried ?? null).toBeNull();
    });
  });
