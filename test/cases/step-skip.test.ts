// Some failed steps hold their case still for good: an external step whose action was Done but whose
// output did not fit the case's 1 MB of step outputs (neither the action's retry nor the step's moves
// it), a map step whose expression cannot succeed, a step no longer needed. POST
// /v1/cases/{id}/steps/{name}/skip skips such a step, the case stopped at it, and the case goes on as
// after a `when` that was false. A step waiting for a person is refused: its task is completed instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connector, actionType, type Harness } from '../helpers/harness.ts';
import { actionOf, stepOf, waitForCase } from '../helpers/cases.ts';
import { postgresNodes, storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';

const PROCESSES = [
  {
    name: 'doubler',
    steps: [
      // $number("abc") is a run-time error of JSONata, not a syntax error the save refuses.
      { name: 'shape', kind: 'map', expression: '{ "total": $number(case.amount) * 2 }' },
      { name: 'after', kind: 'manual', queue: 'desk' },
    ],
  },
  { name: 'last', steps: [{ name: 'shape', kind: 'map', expression: '{ "total": $number(case.amount) * 2 }' }] },
  {
    name: 'going-on',
    steps: [
      { name: 'shape', kind: 'map', expression: '{ "x": $number(case.amount) }', onFailure: 'continue' },
      { name: 'after', kind: 'manual', queue: 'desk' },
    ],
  },
  {
    name: 'approval',
    steps: [
      { name: 'approve', kind: 'manual', queue: 'desk' },
      { name: 'after', kind: 'manual', queue: 'desk' },
    ],
  },
];

async function setUp(
  h: Harness,
): Promise<{ operator: Record<string, string>; builder: Record<string, string>; integration: Record<string, string> }> {
  await connector(h);
  // 200,000 characters of output each: five fit in the case's 1 MB of step outputs, a sixth does not.
  await actionType(h, { name: 'big', path: '/ok', response: { output: '{ "blob": $pad("", 200000, "x") }' } });
  const key = async (name: string, roles: string[]) =>
    `Bearer ${(await h.api('POST', '/v1/api-keys', { name, roles, ...(roles.includes('operator') ? { user: name } : {}) })).body.key}`;
  await h.api('POST', '/v1/users', { name: 'olga' });
  const operator = { authorization: await key('olga', ['operator']) };
  const builder = { authorization: await key('bea', ['builder']) };
  const integration = { authorization: await key('crm', ['integration']) };
  const big = {
    name: 'big',
    steps: [
      ...Array.from({ length: 6 }, (_, i) => ({ name: `call${i}`, kind: 'external', actionType: 'big' })),
      { name: 'after', kind: 'manual', queue: 'desk' },
    ],
  };
  for (const p of [...PROCESSES, big]) {
    const r = await h.api('POST', '/v1/processes', p);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
  return { operator, builder, integration };
}

const skip = (h: Harness, caseId: string, step: string, headers: Record<string, string>, body?: unknown) =>
  h.api('POST', `/v1/cases/${caseId}/steps/${step}/skip`, body, headers);

const failedCase = async (h: Harness, process: string, step = 'shape'): Promise<any> => {
  const r = await h.api('POST', '/v1/cases', { process, data: { amount: 'abc' } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return waitForCase(h, r.body.id, (x) => stepOf(x, step).status === 'failed');
};

for (const backend of storeHarnesses)
  describe(`${backend.name}: skipping a failed step`, () => {
    let h: StoreHarnessed;
    let operator: Record<string, string>;
    let builder: Record<string, string>;
    let integration: Record<string, string>;
    const caseClosedSent = (id: string): number =>
      h.mock.log.filter((e) => {
        const b = e.body as { type?: string; data?: { caseId?: string } } | undefined;
        return b?.type === 'case.closed' && b.data?.caseId === id;
      }).length;

    beforeAll(async () => {
      h = await backend.open({ mock: { keepBodies: true } });
      ({ operator, builder, integration } = await setUp(h));
      const w = await h.api('POST', '/v1/webhooks', { url: `${h.mock.url}/ok`, events: ['case.closed'] });
      expect(w.status, JSON.stringify(w.body)).toBe(201);
    });
    afterAll(async () => h?.close());

    it('a failed step the case stopped at is skipped with who, when and why, and the case goes on to its next step', async () => {
      const c = await failedCase(h, 'doubler');
      expect(stepOf(c, 'shape').skipped).toBeUndefined();
      const r = await skip(h, c.id, 'shape', operator, { note: 'amount is not known; done by phone' });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      // What it failed with stays in view: the reason someone skipped it is read beside it.
      expect(stepOf(r.body, 'shape')).toMatchObject({
        status: 'skipped',
        actionId: null,
        error: stepOf(c, 'shape').error,
        skipped: { at: expect.any(String), by: 'olga', note: 'amount is not known; done by phone' },
      });
      expect(stepOf(c, 'shape').error).toEqual(expect.any(String));
      expect(stepOf(r.body, 'after')).toMatchObject({ status: 'waiting_for_person', actionId: expect.any(String) });
      expect(r.body.data.total).toBeUndefined();
      const now = (await h.api('GET', `/v1/cases/${c.id}`)).body;
      expect(stepOf(now, 'shape').skipped).toEqual(stepOf(r.body, 'shape').skipped);
      // Only the step an operator skipped says so.
      expect('skipped' in stepOf(now, 'after')).toBe(false);
      expect('retried' in stepOf(now, 'shape')).toBe(false);
    });

    it('a skipped last step closes the case, and case.closed is sent; a skip without a note keeps none', async () => {
      const c = await failedCase(h, 'last');
      const r = await skip(h, c.id, 'shape', operator);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.status).toBe('closed');
      expect(stepOf(r.body, 'shape').skipped).toMatchObject({ by: 'olga', note: null });
      await expect.poll(() => caseClosedSent(c.id)).toBe(1);
    });

    it('an external step Done but whose output did not fit the 1 MB of step outputs: neither retry moves it, the skip does', async () => {
      const r = await h.api('POST', '/v1/cases', { process: 'big' });
      const c = await waitForCase(h, r.body.id, (x) => stepOf(x, 'call5').status === 'failed', 30_000);
      expect(stepOf(c, 'call5')).toMatchObject({ outcome: 'ACTION_HANDLED_SUCCESSFUL', error: expect.stringMatching(/^output: /) });
      expect((await h.api('POST', `/v1/cases/${c.id}/steps/call5/retry`, undefined, operator)).status).toBe(409);
      const s = await skip(h, c.id, 'call5', operator, { note: 'the order went through; its answer is too large to keep' });
      expect(s.status, JSON.stringify(s.body)).toBe(200);
      // The step keeps its action: what was done, and then skipped.
      expect(stepOf(s.body, 'call5')).toMatchObject({
        status: 'skipped',
        actionId: actionOf(c, 'call5'),
        error: expect.stringMatching(/^output: /),
        skipped: { by: 'olga' },
      });
      expect(stepOf(s.body, 'after').status).toBe('waiting_for_person');
    });

    it('a repeat with the same Idempotency-Key answers the case; without one, or with another, it is a 409: already skipped', async () => {
      const c = await failedCase(h, 'doubler');
      const k = { ...operator, 'idempotency-key': 'skip-1' };
      const [a, b] = await Promise.all([skip(h, c.id, 'shape', k, { note: 'n' }), skip(h, c.id, 'shape', k, { note: 'n' })]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const repeat = await skip(h, c.id, 'shape', k, { note: 'n' });
      expect(repeat.status).toBe(200);
      expect(stepOf(repeat.body, 'shape')).toEqual(stepOf(a.body, 'shape'));
      for (const again of [
        await skip(h, c.id, 'shape', operator),
        await skip(h, c.id, 'shape', { ...operator, 'idempotency-key': 'skip-2' }),
      ]) {
        expect(again.status).toBe(409);
        expect(again.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(again.body.detail).toMatch(/step "shape" is already skipped/i);
      }
      // The same key with another note is not the same request (as a decline's or a message's): refused, the note kept.
      const otherNote = await skip(h, c.id, 'shape', k, { note: 'another reason' });
      expect(otherNote.status).toBe(409);
      expect(otherNote.body.detail).toMatch(/Idempotency-Key .*another note/);
      const now = (await h.api('GET', `/v1/cases/${c.id}`)).body;
      expect(stepOf(now, 'shape').skipped.note).toBe('n');
      expect(now.actions.length).toBe(1);
    });

    it('two skips at once without a key: one skips, the other is told it is already skipped; one task is created', async () => {
      const c = await failedCase(h, 'doubler');
      const both = await Promise.all([skip(h, c.id, 'shape', operator), skip(h, c.id, 'shape', operator)]);
      expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
      const now = (await h.api('GET', `/v1/cases/${c.id}`)).body;
      expect(now.actions.length).toBe(1);
    });

    it('a step waiting for a person is refused, saying to complete its task; the case stays as it was', async () => {
      const r = await h.api('POST', '/v1/cases', { process: 'approval' });
      const c = await waitForCase(h, r.body.id, (x) => stepOf(x, 'approve').actionId !== null);
      const s = await skip(h, c.id, 'approve', operator);
      expect(s.status).toBe(409);
      expect(s.body.detail).toMatch(/waiting for a person: complete its task/i);
      expect(s.body.detail).toContain(`/v1/actions/${actionOf(c, 'approve')}/complete`);
      expect(stepOf((await h.api('GET', `/v1/cases/${c.id}`)).body, 'approve').status).toBe('waiting_for_person');
      // A pending step has not run.
      const pending = await skip(h, c.id, 'after', operator);
      expect(pending.status).toBe(409);
      expect(pending.body.detail).toMatch(/step "after" is pending, not failed/i);
    });

    it('bad input changes nothing: a note too long (422 naming note), a note not text, unknown fields', async () => {
      const c = await failedCase(h, 'doubler');
      const long = await skip(h, c.id, 'shape', operator, { note: 'x'.repeat(1001) });
      expect(long.status).toBe(422);
      expect(long.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(long.body.errors).toEqual([{ field: 'note', message: expect.any(String) }]);
      const wrong = await skip(h, c.id, 'shape', operator, { note: 5 });
      expect(wrong.status).toBe(422);
      expect(wrong.body.errors[0].field).toBe('note');
      const extra = await skip(h, c.id, 'shape', operator, { reason: 'x' });
      expect(extra.status).toBe(422);
      const key = await skip(h, c.id, 'shape', { ...operator, 'idempotency-key': 'k'.repeat(201) });
      expect(key.status).toBe(422);
      expect(key.body.errors).toEqual([{ field: 'Idempotency-Key', message: expect.any(String) }]);
      const now = (await h.api('GET', `/v1/cases/${c.id}`)).body;
      expect(stepOf(now, 'shape')).toMatchObject({ status: 'failed' });
      expect('skipped' in stepOf(now, 'shape')).toBe(false);
      // The longest note is kept whole.
      const ok = await skip(h, c.id, 'shape', operator, { note: 'y'.repeat(1000) });
      expect(ok.status).toBe(200);
      expect(stepOf(ok.body, 'shape').skipped.note).toBe('y'.repeat(1000));
    });

    it('refusals: unknown case or step, a case without a process, a `continue` step, a closed case, roles other than operator and admin', async () => {
      expect((await skip(h, 'no-such-case', 'shape', operator)).status).toBe(404);
      const c = await failedCase(h, 'doubler');
      const unknown = await skip(h, c.id, 'nope', operator);
      expect(unknown.status).toBe(404);
      expect(unknown.body.detail).toMatch(/"nope"/);
      expect((await skip(h, c.id, 'shape', builder)).status).toBe(403);
      expect((await skip(h, c.id, 'shape', integration)).status).toBe(403);
      const plain = await h.api('POST', '/v1/cases', { title: 'no process' });
      expect((await skip(h, plain.body.id, 'shape', operator)).status).toBe(404);

      const on = await h.api('POST', '/v1/cases', { process: 'going-on', data: { amount: 'abc' } });
      const g = await waitForCase(h, on.body.id, (x) => stepOf(x, 'after').status === 'waiting_for_person');
      const cont = await skip(h, g.id, 'shape', operator);
      expect(cont.status).toBe(409);
      expect(cont.body.detail).toMatch(/continue/);

      await h.api('POST', `/v1/cases/${c.id}/close`);
      const closed = await skip(h, c.id, 'shape', operator);
      expect(closed.status).toBe(409);
      expect(closed.body.detail).toMatch(/closed/);
      const after = (await h.api('GET', `/v1/cases/${c.id}`)).body;
      expect(stepOf(after, 'shape').status).toBe('failed');
      expect('skipped' in stepOf(after, 'shape')).toBe(false);
      // The admin key the harness uses may skip too.
      const d = await failedCase(h, 'doubler');
      expect((await skip(h, d.id, 'shape', {})).status).toBe(200);
    });

    it('the OpenAPI document names it, its body and its refusals', async () => {
      const doc = (await h.api('GET', '/openapi.json')).body;
      const op = doc.paths['/v1/cases/{id}/steps/{name}/skip'].post;
      expect(op.operationId).toBe('skipCaseStep');
      expect(op.description).toMatch(/404: .*409: .*waiting for a person \(complete its task instead\).*422: /);
      expect(op.requestBody.required ?? false).toBe(false);
    });
  });

describe('PostgreSQL: two skips at once on two nodes', () => {
  let nodes: Harness[];
  let close: () => Promise<void>;
  let operator: Record<string, string>;
  beforeAll(async () => {
    ({ nodes, close } = await postgresNodes(2));
    ({ operator } = await setUp(nodes[0]!));
  });
  afterAll(async () => close?.());

  it('skip once: one 200, one 409 already skipped, one task for the next step; with one key both answer 200', async () => {
    const [a, b] = nodes as [Harness, Harness];
    const c = await failedCase(a, 'doubler');
    const both = await Promise.all([skip(a, c.id, 'shape', operator), skip(b, c.id, 'shape', operator)]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(both.find((r) => r.status === 409)!.body.detail).toMatch(/already skipped/);
    const now = await waitForCase(b, c.id, (x) => stepOf(x, 'after').status === 'waiting_for_person');
    expect(now.actions.length).toBe(1);

    const d = await failedCase(a, 'doubler');
    const k = { ...operator, 'idempotency-key': 'two-nodes' };
    const keyed = await Promise.all([skip(a, d.id, 'shape', k), skip(b, d.id, 'shape', k)]);
    expect(keyed.map((r) => r.status)).toEqual([200, 200]);
    expect((await b.api('GET', `/v1/cases/${d.id}`)).body.actions.length).toBe(1);
  });
});
