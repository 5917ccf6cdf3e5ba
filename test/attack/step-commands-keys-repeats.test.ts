// An outside attacker and a careful integrator against the commands added last: a step's retry and
// skip (hostile step names, one user's Idempotency-Key sent by another), a decline of a handed-back
// solution (a reason of spaces), and an external system's keyed message sent to two nodes at once.
// Every answer is a 4xx naming what is wrong, or the change made once; never a 500, nor a change made
// twice, nor another caller's answer.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, type Harness } from '../helpers/harness.ts';
import { stepOf, waitForCase } from '../helpers/cases.ts';
import { postgresNodes, setUpProvider, storeHarnesses, submitsOf, type StoreHarnessed } from '../helpers/store-harnesses.ts';

for (const backend of storeHarnesses)
  describe(`${backend.name}: hostile step commands and declines`, () => {
    let h: StoreHarnessed;
    let olga: Record<string, string>;
    let bert: Record<string, string>;
    const keyOf = async (name: string, roles: string[], user?: string): Promise<Record<string, string>> => {
      const r = await h.api('POST', '/v1/api-keys', { name, roles, ...(user ? { user } : {}) });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return { authorization: `Bearer ${r.body.key}` };
    };
    const command = (caseId: string, step: string, cmd: 'retry' | 'skip', who: Record<string, string>, key?: string, body?: unknown) =>
      h.api('POST', `/v1/cases/${caseId}/steps/${step}/${cmd}`, cmd === 'skip' ? (body ?? {}) : undefined, {
        ...who,
        ...(key === undefined ? {} : { 'idempotency-key': key }),
      });

    beforeAll(async () => {
      h = await backend.open();
      await connector(h);
      await actionType(h, { name: 'broken', path: '/reject' });
      for (const name of ['olga', 'bert']) expect((await h.api('POST', '/v1/users', { name })).status).toBe(201);
      olga = await keyOf('olga-key', ['operator'], 'olga');
      bert = await keyOf('bert-key', ['operator'], 'bert');
      for (const p of [
        {
          // The step name pattern allows both: as keys of plain objects they are an object's own machinery.
          name: 'protos',
          steps: [
            { name: '__proto__', kind: 'map', expression: '{ "a": $number(case.amount) }' },
            { name: 'constructor', kind: 'map', expression: '{ "b": $number(case.other) }' },
            { name: 'after', kind: 'manual', queue: 'desk' },
          ],
        },
        {
          name: 'flaky',
          steps: [
            { name: 'shape', kind: 'map', expression: '{ "t": $number(case.amount) }' },
            { name: 'after', kind: 'manual', queue: 'desk' },
          ],
        },
      ]) {
        const r = await h.api('POST', '/v1/processes', p);
        expect(r.status, JSON.stringify(r.body)).toBe(201);
      }
    });
    afterAll(async () => h?.close());

    const failedCase = async (process: string, step: string): Promise<any> => {
      const r = await h.api('POST', '/v1/cases', { process, data: { amount: 'abc', other: 'x' } });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return waitForCase(h, r.body.id, (x) => stepOf(x, step)?.status === 'failed');
    };

    it('steps named __proto__ and constructor are retried and skipped as any other; hostile names are a 4xx', async () => {
      const c = await failedCase('protos', '__proto__');
      expect((await h.api('PATCH', `/v1/cases/${c.id}`, { data: { amount: 1 } })).status).toBe(200);
      const r = await command(c.id, '__proto__', 'retry', olga);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(stepOf(r.body, '__proto__')).toMatchObject({ status: 'done', retried: { count: 1, by: 'olga' } });
      expect(r.body.data).toMatchObject({ a: 1 });
      expect(stepOf(r.body, 'constructor').status).toBe('failed');
      const s = await command(c.id, 'constructor', 'skip', olga, undefined, { note: 'not needed' });
      expect(s.status, JSON.stringify(s.body)).toBe(200);
      expect(stepOf(s.body, 'constructor')).toMatchObject({ status: 'skipped', skipped: { by: 'olga', note: 'not needed' } });
      expect(stepOf(s.body, 'after').status).toBe('waiting_for_person');

      // Names of no step of this case (an object's own methods, another process's step, encoded
      // separators, NUL, unicode, over the 64 characters a step name has): refused, nothing changed.
      const before = (await h.api('GET', `/v1/cases/${c.id}`)).body;
      for (const name of ['toString', 'hasOwnProperty', 'shape', '%2F', 'a%2Fb', '%00', '%C3%A9', 'x'.repeat(65), 'x'.repeat(10_000)])
        for (const cmd of ['retry', 'skip'] as const) {
          const x = await command(c.id, name, cmd, olga);
          expect([name.slice(0, 20), cmd, x.status >= 400 && x.status < 500]).toEqual([name.slice(0, 20), cmd, true]);
          expect(x.headers['content-type']).toContain('application/problem+json');
        }
      expect((await h.api('GET', `/v1/cases/${c.id}`)).body).toEqual(before);
    });

    it("one user's Idempotency-Key is not another's: the same key from bert is his own retry, and his own (refused) skip", async () => {
      const c = await failedCase('flaky', 'shape');
      const a = await command(c.id, 'shape', 'retry', olga, 'shared');
      expect(stepOf(a.body, 'shape')).toMatchObject({ status: 'failed', retried: { count: 1, by: 'olga' } });
      // Not answered as olga's retry: bert's runs the step again.
      const b = await command(c.id, 'shape', 'retry', bert, 'shared');
      expect(stepOf(b.body, 'shape')).toMatchObject({ status: 'failed', retried: { count: 2, by: 'bert' } });
      expect((await command(c.id, 'shape', 'skip', olga, 'shared', { note: 'n' })).status).toBe(200);
      // Bert's skip under olga's key is a skip of a step already skipped, not a repeat of hers.
      const s = await command(c.id, 'shape', 'skip', bert, 'shared', { note: 'n' });
      expect([s.status, s.body.detail]).toEqual([409, expect.stringMatching(/already skipped/)]);
      expect(stepOf((await h.api('GET', `/v1/cases/${c.id}`)).body, 'shape').skipped).toMatchObject({ by: 'olga' });
    });

    it('a decline whose reason is only spaces is a 422 naming note, and changes nothing', async () => {
      const a = await launch(h, 'broken');
      const todo = await h.waitFor(a.id, (x) => x.state === 'todo');
      for (const key of [undefined, 'blank-1']) {
        const r = await h.api(
          'POST',
          `/v1/actions/${todo.id}/decline-solution`,
          { note: '  \t ' },
          {
            ...olga,
            ...(key === undefined ? {} : { 'idempotency-key': key }),
          },
        );
        expect([r.status, r.body.errors]).toEqual([422, [{ field: 'note', message: expect.stringContaining('give the reason') }]]);
      }
      expect((await h.api('GET', `/v1/actions/${todo.id}`)).body).toMatchObject({ state: 'todo' });
    });
  });

describe('two PostgreSQL nodes: an external system’s keyed message sent to both at once', () => {
  let nodes: Harness[];
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ nodes, close } = await postgresNodes(2, { mock: { keepBodies: true, callbackDelayMs: 40 } }));
    const h = nodes[0]!;
    await setUpProvider(h);
    await actionType(h, {
      name: 'cb',
      path: '/callback?never=1',
      body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}"}' },
      completion: { mode: 'callback' },
    });
    await actionType(h, { name: 'broken', path: '/reject' });
    const integration = { connector: 'provider', onAssign: 'desk-submit' };
    expect((await h.api('POST', '/v1/queues', { name: 'vendor-desk', integration })).status).toBe(201);
  });
  afterAll(async () => close?.());

  const send = (h: Harness, token: string, message: string, key: string) =>
    h.api('POST', `/v1/callbacks/${token}/messages`, { message }, { authorization: '', 'idempotency-key': key });
  const messages = async (h: Harness, id: string, text: string): Promise<number> =>
    ((await h.api('GET', `/v1/actions/${id}/timeline?kind=message&limit=1000`)).body.items as Array<{ message: string }>).filter(
      (e) => e.message === text,
    ).length;
  /** Ten tries of one keyed message, five to each node: all answered 200 with the action, kept once; another text under the key, 409. */
  const tenAtOnce = async (id: string, token: string, key: string): Promise<void> => {
    const [a, b] = nodes as [Harness, Harness];
    const tries = await Promise.all(Array.from({ length: 10 }, (_, i) => send(i % 2 ? a : b, token, 'On it', key)));
    expect(tries.map((r) => [r.status, r.body.id])).toEqual(Array(10).fill([200, id]));
    expect(await messages(a, id, 'On it')).toBe(1);
    const other = await send(b, token, 'Something else', key);
    expect([other.status, other.body.detail]).toEqual([409, expect.stringContaining('Idempotency-Key was used for another message')]);
  };

  it('to an action: kept once', async () => {
    const a = nodes[0]!;
    for (let round = 0; round < 3; round++) {
      const { id } = await launch(a, 'cb');
      await a.waitFor(id, (x) => x.phase === 'awaiting_callback');
      await tenAtOnce(id, a.callout.engine.callbackToken(id), `action-${round}`);
    }
  });

  it('to a task on an integrated queue: kept and logged once', async () => {
    const a = nodes[0]!;
    for (let round = 0; round < 3; round++) {
      const t = await launch(a, 'broken');
      const id = (await a.waitFor(t.id, (x) => x.state === 'todo')).id;
      expect((await a.api('POST', `/v1/actions/${id}/assign`, { queue: 'vendor-desk' })).status).toBe(200);
      await expect.poll(() => submitsOf(a, id).length).toBe(1);
      const url = (submitsOf(a, id)[0]!.body as { callbackUrl: string }).callbackUrl;
      await tenAtOnce(id, url.split('/').at(-1)!, `task-${round}`);
      const updates = (
        (await a.api('GET', `/v1/actions/${id}/integration-log`)).body.items as Array<{ requestType: string; direction: string }>
      ).filter((e) => e.requestType === 'Update' && e.direction === 'In');
      expect(updates).toHaveLength(1);
    }
  });
});
