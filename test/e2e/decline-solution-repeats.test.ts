// Declining a handed-back solution again (the operator's double click, a client's repeat after a lost
// answer, on any node): with the same Idempotency-Key the repeat gets the first answer and sends no
// second Resolution Rejection; without one it is a 409 that says the solution was already declined.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, launch, type Harness } from '../helpers/harness.ts';
import { PROVIDER_FIELDS, openWithProvider, postgresNodes, setUpProvider, storeHarnesses, submitsOf } from '../helpers/store-harnesses.ts';

interface Entry {
  requestType: string;
  direction: string;
}

/** The provider's reject action type and an integrated queue olga works on; an operator key for olga and one for max. */
async function setUp(h: Harness): Promise<Record<string, Record<string, string>>> {
  await actionType(h, { name: 'broken', path: '/reject' });
  await actionType(h, {
    name: 'desk-reject',
    connector: 'provider',
    path: '/provider/reject',
    fields: PROVIDER_FIELDS,
    body: { format: 'json', template: '{"task": "{{ TaskId }}", "note": "{{ Note }}"}' },
  });
  const keys: Record<string, Record<string, string>> = {};
  for (const name of ['olga', 'max']) {
    expect((await h.api('POST', '/v1/users', { name })).status).toBe(201);
    const key = (await h.api('POST', '/v1/api-keys', { name: `${name}-key`, roles: ['operator'], user: name })).body.key as string;
    keys[name] = { authorization: `Bearer ${key}` };
  }
  const integration = { connector: 'provider', onAssign: 'desk-submit', onResolutionRejected: 'desk-reject' };
  expect((await h.api('POST', '/v1/queues', { name: 'vendor-desk', members: ['olga', 'max'], integration })).status).toBe(201);
  return keys;
}

/** A task the provider has handed back (To Do, its solution shown). */
async function handedBack(h: Harness, operator: Record<string, string>): Promise<string> {
  const a = await launch(h, 'broken');
  const id = (await h.waitFor(a.id, (x) => x.state === 'todo')).id;
  expect((await h.api('POST', `/v1/actions/${id}/assign`, { queue: 'vendor-desk' }, operator)).status).toBe(200);
  await expect.poll(() => submitsOf(h, id).length).toBe(1);
  const url = (submitsOf(h, id)[0]!.body as { callbackUrl: string }).callbackUrl;
  const back = await h.api(
    'POST',
    `${url.slice(h.url.length)}/hand-back`,
    { resolution: 'solved', solution: 'Rebooted' },
    { authorization: '' },
  );
  expect(back.status, JSON.stringify(back.body)).toBe(200);
  return id;
}

const decline = (h: Harness, id: string, who: Record<string, string>, note: string, key?: string) =>
  h.api('POST', `/v1/actions/${id}/decline-solution`, { note }, { ...who, ...(key === undefined ? {} : { 'idempotency-key': key }) });
const rejections = async (h: Harness, id: string): Promise<number> =>
  ((await h.api('GET', `/v1/actions/${id}/integration-log`)).body.items as Entry[]).filter((e) => e.requestType === 'Resolution Rejection')
    .length;
const rejectsSent = (h: Harness, id: string): number =>
  h.mock.log.filter((e) => e.path === '/provider/reject' && (e.body as { task?: string } | null)?.task === id).length;

for (const backend of storeHarnesses)
  describe(`${backend.name}: a decline of a handed-back solution, repeated`, () => {
    let h: Harness;
    let ops: Record<string, Record<string, string>>;
    beforeAll(async () => {
      h = await openWithProvider(backend);
      ops = await setUp(h);
    });
    afterAll(async () => h?.close());

    it('with the same Idempotency-Key, at once or after the answer: the first answer, one Resolution Rejection sent', async () => {
      const id = await handedBack(h, ops.olga!);
      const answers = await Promise.all(Array.from({ length: 5 }, () => decline(h, id, ops.olga!, 'Still broken', 'decline-1')));
      expect(answers.map((r) => r.status)).toEqual(Array(5).fill(200));
      for (const r of answers) expect(r.body).toEqual(answers[0]!.body);
      expect(answers[0]!.body).toMatchObject({ id, state: 'waiting', assignee: null });
      // Repeated after its answer was lost: the same answer again, nothing sent again.
      const again = await decline(h, id, ops.olga!, 'Still broken', 'decline-1');
      expect([again.status, again.body]).toEqual([200, answers[0]!.body]);
      expect(await rejections(h, id)).toBe(1);
      await expect.poll(() => rejectsSent(h, id)).toBe(1);
      // The key is kept hashed and not shown: the timeline is read by every role, the key was olga's.
      const timeline = JSON.stringify((await h.api('GET', `/v1/actions/${id}/timeline`)).body.items);
      expect(timeline).toContain('Solution declined: Still broken');
      for (const hidden of ['decline-1', 'requestKey', 'requestHash']) expect(timeline).not.toContain(hidden);
      await new Promise((r) => setTimeout(r, 300));
      expect(rejectsSent(h, id)).toBe(1);
    });

    it("the same key after the provider handed the task back again and 60 notes since: the first decline's 200, the new solution kept, nothing sent", async () => {
      const id = await handedBack(h, ops.olga!);
      const first = await decline(h, id, ops.olga!, 'Still broken', 'busy-decline');
      expect(first.status).toBe(200);
      await expect.poll(() => rejectsSent(h, id)).toBe(1);
      // The provider hands back a new solution; max adds notes (the task's messages, as a decline is).
      const url = (submitsOf(h, id)[0]!.body as { callbackUrl: string }).callbackUrl;
      const back = await h.api(
        'POST',
        `${url.slice(h.url.length)}/hand-back`,
        { resolution: 'solved', solution: 'Replaced' },
        { authorization: '' },
      );
      expect(back.status, JSON.stringify(back.body)).toBe(200);
      for (let i = 0; i < 60; i++)
        expect((await h.api('POST', `/v1/actions/${id}/notes`, { note: `Note ${i}` }, ops.max!)).status).toBe(200);
      const again = await decline(h, id, ops.olga!, 'Still broken', 'busy-decline');
      expect([again.status, again.body.state]).toEqual([200, 'todo']);
      expect(await rejections(h, id)).toBe(1);
      const declines = (
        (await h.api('GET', `/v1/actions/${id}/timeline?kind=message&limit=1000`)).body.items as Array<{ message: string }>
      ).filter((e) => e.message.startsWith('Solution declined'));
      expect(declines).toHaveLength(1);
      // Kept with a key, the entry reads as one without: no empty `data` where the key was taken out.
      expect(declines[0]).not.toHaveProperty('data');
      await new Promise((r) => setTimeout(r, 300));
      expect(rejectsSent(h, id)).toBe(1);
      // A new key is a new decline, of the new solution.
      expect((await decline(h, id, ops.olga!, 'Still broken', 'busy-decline-2')).status).toBe(200);
      await expect.poll(() => rejectsSent(h, id)).toBe(2);
    });

    it('without a key, a second decline is a 409 saying it was already declined; the same key with another note, or by another person, is refused too', async () => {
      const id = await handedBack(h, ops.olga!);
      expect((await decline(h, id, ops.olga!, 'Still broken', 'k-2')).status).toBe(200);
      const plain = await decline(h, id, ops.olga!, 'Still broken');
      expect(plain.status).toBe(409);
      expect(plain.body.detail).toMatch(/^The solution was already declined \(at \d{4}-\d\d-\d\dT[\d:.]+Z\) and nothing is sent again/);
      const other = await decline(h, id, ops.olga!, 'Still broken, really', 'k-2');
      expect([other.status, other.body.detail]).toEqual([409, expect.stringContaining('Idempotency-Key was used for another decline')]);
      // Max's same key is his own: not a repeat of olga's, so a decline of what is no longer there.
      const max = await decline(h, id, ops.max!, 'Still broken', 'k-2');
      expect([max.status, max.body.detail]).toEqual([409, expect.stringContaining('already declined')]);
      expect(await rejections(h, id)).toBe(1);
      const bad = await decline(h, id, ops.olga!, 'Still broken', 'x'.repeat(201));
      expect([bad.status, bad.body.errors]).toEqual([422, [{ field: 'Idempotency-Key', message: 'must be 1–200 characters' }]]);
    });
  });

describe('two PostgreSQL nodes: one decline with one key sent to both at once', () => {
  let nodes: Harness[];
  let close: () => Promise<void>;
  let ops: Record<string, Record<string, string>>;
  beforeAll(async () => {
    ({ nodes, close } = await postgresNodes(2, { mock: { keepBodies: true, callbackDelayMs: 40 } }));
    const h = nodes[0]!;
    await setUpProvider(h);
    ops = await setUp(h);
  });
  afterAll(async () => close?.());

  it('launches one Resolution Rejection, and both get the same answer', async () => {
    const [a, b] = nodes as [Harness, Harness];
    for (let round = 0; round < 3; round++) {
      const id = await handedBack(a, ops.olga!);
      const answers = await Promise.all([
        decline(a, id, ops.olga!, 'Still broken', `both-${round}`),
        decline(b, id, ops.olga!, 'Still broken', `both-${round}`),
      ]);
      expect(answers.map((r) => r.status)).toEqual([200, 200]);
      expect(answers[1]!.body).toEqual(answers[0]!.body);
      expect(await rejections(a, id)).toBe(1);
      await expect.poll(() => rejectsSent(a, id)).toBe(1);
    }
  });
});
