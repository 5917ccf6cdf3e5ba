// A request to an integrated queue's provider that fails for good (SPEC 7, 2): the provider answers
// 400, or keeps failing until the retries are used up. The task does not wait on a provider who never
// got it: it is back To Do on its queue for a person, its integration log says why, and the failed
// action is on that queue's list. Retried once the provider is fixed, it reaches the provider once and
// the task is with the provider again. A failure with retries left changes nothing. The provider is a
// real loopback HTTP server whose answer each test sets.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, type Harness } from '../helpers/harness.ts';
import { PROVIDER_FIELDS, postgresNodes, storeHarnesses } from '../helpers/store-harnesses.ts';

interface Entry {
  requestType: string;
  direction: string;
  result: string;
  actionId: string | null;
}

/** The provider: answers each request with the status `answer` gives, and counts what it accepted. */
class Provider {
  answer: (path: string) => number = () => 201;
  readonly accepted: string[] = [];
  readonly received: string[] = [];
  private server: Server | null = null;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const status = this.answer(req.url ?? '');
        const task = (JSON.parse(body || '{}') as { task?: string }).task ?? '';
        this.received.push(task);
        if (status < 300) this.accepted.push(task);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(status < 300 ? '{"ticket":"T-1"}' : `{"error":"refused with ${status}"}`);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

const until = async <T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

for (const backend of storeHarnesses)
  describe(`${backend.name}: an integrated queue's request that fails for good`, () => {
    let h: Harness;
    const provider = new Provider();
    let operator: Record<string, string>;
    const log = async (id: string): Promise<Entry[]> => (await h.api('GET', `/v1/actions/${id}/integration-log`)).body.items;
    const timeline = async (id: string): Promise<string[]> =>
      ((await h.api('GET', `/v1/actions/${id}/timeline`)).body.items as Array<{ message: string }>).map((t) => t.message);

    /** A task To Do on the plain desk (its action was rejected), to be assigned to an integrated queue. */
    async function todoTask(): Promise<string> {
      const a = await launch(h, 'broken');
      return (await h.waitFor(a.id, (x) => x.state === 'todo')).id;
    }

    /** An integrated queue whose Submit Request action type retries `maxRetries` times, `interval` apart. */
    async function queue(
      name: string,
      maxRetries: number,
      interval = '200ms',
      fields: object = PROVIDER_FIELDS,
      onUpdate?: string,
    ): Promise<void> {
      await actionType(h, {
        name: `${name}-submit`,
        connector: 'provider',
        path: '/submit',
        fields,
        body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}", "task": "{{ TaskId }}"}' },
        retry: { maxRetries, interval, backoff: 'fixed' },
      });
      const integration = { connector: 'provider', onAssign: `${name}-submit`, ...(onUpdate ? { onUpdate } : {}) };
      const q = await h.api('POST', '/v1/queues', { name, members: ['olga'], allocation: 'round_robin', integration });
      expect(q.status, JSON.stringify(q.body)).toBe(201);
    }

    beforeAll(async () => {
      await provider.start();
      h = await backend.open();
      await connector(h);
      await connector(h, { name: 'provider', baseUrl: provider.url, timeout: '1s' });
      await actionType(h, { name: 'broken', path: '/reject' });
      expect((await h.api('POST', '/v1/users', { name: 'olga' })).status).toBe(201);
      await queue('fx-desk', 2);
      await actionType(h, {
        name: 'fx-update',
        connector: 'provider',
        path: '/update',
        fields: PROVIDER_FIELDS,
        body: { format: 'json', template: '{"task": "{{ TaskId }}", "note": "{{ Note }}"}' },
        retry: { maxRetries: 0 },
      });
      await queue('fx-notes', 0, '200ms', PROVIDER_FIELDS, 'fx-update');
      await queue('fx-slow', 2, '800ms');
      // Its Submit Request requires a Note, which a submission never has: refused at launch.
      await queue('fx-strict', 0, '200ms', { ...PROVIDER_FIELDS, Note: { type: 'string' } });
      const key = (await h.api('POST', '/v1/api-keys', { name: 'olga-key', roles: ['operator'], user: 'olga' })).body.key;
      operator = { authorization: `Bearer ${key}` };
    });
    afterAll(async () => {
      await h?.close();
      await provider.close();
    });

    it('a 400 to the submission: the task is back To Do on its queue, the log says why, the failed action is on the queue; retried once fixed, it is with the provider again', async () => {
      provider.answer = () => 400;
      const id = await todoTask();
      const assigned = await h.api('POST', `/v1/actions/${id}/assign`, { queue: 'fx-desk' }, operator);
      expect(assigned.status, JSON.stringify(assigned.body)).toBe(200);

      // Back To Do for a person on the queue (allocated as any To Do task), not waiting on the provider.
      const back = await h.waitFor(id, (a) => a.state === 'todo');
      expect(back).toMatchObject({ state: 'todo', reason: 'request_rejected', queue: 'fx-desk', assignee: 'olga' });
      const [entry] = await until(
        'the log says why',
        () => log(id),
        (l) => l[0]?.result.startsWith('Submission failed') === true,
      );
      expect(entry).toMatchObject({ requestType: 'Submit Request', direction: 'Out', result: expect.stringContaining('HTTP 400') });
      const submitId = entry!.actionId!;
      expect(await timeline(id)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(new RegExp(`^Submit Request to the provider failed .*HTTP 400.*retry its action ${submitId}`)),
        ]),
      );
      // The failed action is on the task's queue, so it is on that queue's list beside the task.
      const submit = await h.waitFor(submitId, (a) => a.queue === 'fx-desk');
      expect(submit).toMatchObject({ state: 'todo', reason: 'request_rejected', queue: 'fx-desk' });
      const listed = (await h.api('GET', '/v1/actions?queue=fx-desk&state=todo')).body.items.map((a: { id: string }) => a.id);
      expect(listed).toEqual(expect.arrayContaining([id, submitId]));

      // Assigned to the queue again: nothing is sent beside the failed action (it is retried instead).
      const before = provider.received.length;
      expect((await h.api('POST', `/v1/actions/${id}/assign`, { queue: 'fx-desk' }, operator)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
      expect(provider.received.length).toBe(before);
      expect(await log(id)).toHaveLength(1);

      // olga works the task meanwhile; the provider is fixed and she retries the submission: the
      // provider has it, so the task is the provider's again (never both hers and the provider's).
      expect((await h.api('POST', `/v1/actions/${id}/pick-up`, undefined, operator)).body).toMatchObject({ state: 'in_progress' });
      provider.answer = () => 201;
      const retried = await h.api('POST', `/v1/actions/${submitId}/retry`, undefined, operator);
      expect(retried.status, JSON.stringify(retried.body)).toBe(200);
      const again = await h.waitFor(id, (a) => a.state === 'waiting');
      expect(again).toMatchObject({ state: 'waiting', phase: 'awaiting_callback', queue: 'fx-desk', assignee: null });
      expect(await h.waitFor(submitId, (a) => a.state === 'closed')).toMatchObject({ resolution: 'done_successfully' });
      const settled = await until(
        'the log is updated',
        () => log(id),
        (l) => l[0]?.result.startsWith('Sent after it had failed') === true,
      );
      expect(settled).toHaveLength(1);
      expect(settled[0]!.result).toContain('HTTP 400');
      expect(provider.accepted.filter((t) => t === id)).toHaveLength(1);
      expect(await timeline(id)).toEqual(expect.arrayContaining([expect.stringMatching(/^Submit Request reached the provider after all/)]));
    });

    it('round robin over two people: the failed submission goes to the person given the task; a late success that takes the task from them tells them', async () => {
      expect((await h.api('POST', '/v1/users', { name: 'pat' })).status).toBe(201);
      const patKey = (await h.api('POST', '/v1/api-keys', { name: 'pat-key', roles: ['operator'], user: 'pat' })).body.key;
      const keys: Record<string, Record<string, string>> = { olga: operator, pat: { authorization: `Bearer ${patKey}` } };
      const integration = { connector: 'provider', onAssign: 'fx-desk-submit' };
      const q = await h.api('POST', '/v1/queues', { name: 'fx-pair', members: ['olga', 'pat'], allocation: 'round_robin', integration });
      expect(q.status, JSON.stringify(q.body)).toBe(201);
      provider.answer = () => 400;
      const id = await todoTask();
      expect((await h.api('POST', `/v1/actions/${id}/assign`, { queue: 'fx-pair' }, operator)).status).toBe(200);

      const back = await h.waitFor(id, (a) => a.state === 'todo' && a.assignee !== null);
      const [entry] = await until(
        'the log says why',
        () => log(id),
        (l) => l[0]?.result.startsWith('Submission failed') === true,
      );
      const submit = await h.waitFor(entry!.actionId!, (a) => a.queue === 'fx-pair' && a.assignee !== null);
      // One person handles the task and the request that failed for it (round robin gave them to two).
      expect(submit.assignee).toBe(back.assignee);
      const holder = back.assignee as string;

      // They work the task; the provider is fixed and the submission retried: the task goes back to
      // the provider, off their list, and they are told why.
      expect((await h.api('POST', `/v1/actions/${id}/pick-up`, undefined, keys[holder])).body).toMatchObject({ state: 'in_progress' });
      provider.answer = () => 201;
      expect((await h.api('POST', `/v1/actions/${submit.id}/retry`, undefined, keys[holder])).status).toBe(200);
      expect(await h.waitFor(id, (a) => a.state === 'waiting')).toMatchObject({ assignee: null });
      const told = await until(
        'the notification',
        async () =>
          (await h.api('GET', '/v1/notifications', undefined, keys[holder])).body.items as Array<{
            kind: string;
            message: string;
            actionId: string;
          }>,
        (items) => items.some((n) => n.actionId === id && n.kind === 'task.taken'),
      );
      expect(told.find((n) => n.actionId === id && n.kind === 'task.taken')!.message).toMatch(
        /went back to the provider: its Submit Request reached them after all/,
      );
    });

    it("a task of a case with its own queue: the failed submission goes to the task's queue and person, not to the case's queue", async () => {
      expect((await h.api('POST', '/v1/users', { name: 'zed' })).status).toBe(201);
      expect((await h.api('POST', '/v1/queues', { name: 'fx-case-home', members: ['zed'], allocation: 'round_robin' })).status).toBe(201);
      const c = await h.api('POST', '/v1/cases', { title: 'a customer', queue: 'fx-case-home' });
      expect(c.status, JSON.stringify(c.body)).toBe(201);
      provider.answer = () => 400;
      const added = await h.api('POST', `/v1/cases/${c.body.id as string}/tasks`, { title: 'Ask the vendor', queue: 'fx-desk' });
      expect(added.status, JSON.stringify(added.body)).toBe(201);
      const id = added.body.id as string;
      const back = await h.waitFor(id, (a) => a.state === 'todo' && a.assignee !== null);
      expect(back).toMatchObject({ queue: 'fx-desk', assignee: 'olga' });
      const [entry] = await until(
        'the log says why',
        () => log(id),
        (l) => l[0]?.result.startsWith('Submission failed') === true,
      );
      // The submission's action is the case's too; its task's queue, where its person is, comes before the case's.
      const submit = await h.waitFor(entry!.actionId!, (a) => a.state === 'todo' && a.assignee !== null);
      expect(submit).toMatchObject({ queue: 'fx-desk', assignee: 'olga' });
    });

    it('a 503 with retries left changes nothing for the task; once they are used up, the task is back To Do on its queue and the log says why', async () => {
      provider.answer = () => 503;
      const id = await todoTask();
      expect((await h.api('POST', `/v1/actions/${id}/assign`, { queue: 'fx-slow' }, operator)).status).toBe(200);
      const [entry] = await until(
        'the submission',
        () => log(id),
        (l) => l.length === 1,
      );
      const submitId = entry!.actionId!;
      // Failed once, a retry due: the task still waits on the provider, and the log and timeline say nothing failed.
      await h.waitFor(submitId, (a) => a.phase === 'retry_scheduled');
      expect((await h.api('GET', `/v1/actions/${id}`)).body).toMatchObject({
        state: 'waiting',
        phase: 'awaiting_callback',
        assignee: null,
      });
      expect((await log(id))[0]).toMatchObject({ result: 'Launched fx-slow-submit' });
      expect((await timeline(id)).some((m) => m.includes('failed'))).toBe(false);
      // Retries used up: the submission closes Not Done; now the task is back for a person.
      expect(await h.waitFor(submitId, (a) => a.state === 'closed')).toMatchObject({ resolution: 'not_done_successfully' });
      const back = await h.waitFor(id, (a) => a.state === 'todo');
      expect(back).toMatchObject({ reason: 'request_rejected', queue: 'fx-slow', assignee: 'olga' });
      const [failed] = await until(
        'the log says why',
        () => log(id),
        (l) => l[0]?.result.startsWith('Submission failed') === true,
      );
      expect(failed!.result).toContain('503');
      expect(provider.received.filter((t) => t === id)).toHaveLength(3);
    });

    it('a submission whose input its action type refuses is not sent: the task is To Do on its queue, not waiting, and so is its action', async () => {
      const id = await todoTask();
      const before = provider.received.length;
      // Its request is launched as any action is: subscribers hear of it (action.launched).
      const sub = await h.callout.webhooks.create({ url: `${h.mock.url}/ok`, events: ['action.launched'] });
      const assigned = await h.api('POST', `/v1/actions/${id}/assign`, { queue: 'fx-strict' }, operator);
      expect(assigned.status, JSON.stringify(assigned.body)).toBe(200);
      expect(assigned.body).toMatchObject({ state: 'todo', reason: 'invalid_input', queue: 'fx-strict' });
      const [entry] = await log(id);
      expect(entry).toMatchObject({ requestType: 'Submit Request', result: expect.stringMatching(/^Not sent: .*Note/) });
      // Allocated by that queue as it is inserted, as any launch To Do on a queue (PostgreSQL left it unassigned).
      expect((await h.api('GET', `/v1/actions/${entry!.actionId}`)).body).toMatchObject({
        state: 'todo',
        reason: 'invalid_input',
        queue: 'fx-strict',
        assignee: 'olga',
      });
      expect((await h.callout.webhooks.deliveries(sub.id)).map((d) => d.eventType)).toEqual(['action.launched']);
      await h.callout.webhooks.remove(sub.id);
      expect(provider.received.length).toBe(before);
    });

    it('a node that stopped before recording a failure: the sweep records it, once', async () => {
      provider.answer = () => 400;
      const integrations = h.callout.integrations;
      await integrations.stop();
      try {
        const id = await todoTask();
        expect((await h.api('POST', `/v1/actions/${id}/assign`, { queue: 'fx-desk' }, operator)).status).toBe(200);
        const [entry] = await until(
          'the submission',
          () => log(id),
          (l) => l.length === 1,
        );
        await h.waitFor(entry!.actionId!, (a) => a.state === 'todo');
        // Nobody recorded it: the task still waits (what a node that died here left).
        expect((await h.api('GET', `/v1/actions/${id}`)).body).toMatchObject({ state: 'waiting' });
        expect(await integrations.sweep()).toBeGreaterThanOrEqual(1);
        expect((await h.api('GET', `/v1/actions/${id}`)).body).toMatchObject({ state: 'todo', queue: 'fx-desk', assignee: 'olga' });
        expect((await log(id))[0]!.result).toMatch(/^Submission failed: HTTP 400/);
        // Swept again (another node at the same time, or later): nothing more is written.
        const entries = (await timeline(id)).length;
        await integrations.sweep();
        expect((await timeline(id)).length).toBe(entries);
      } finally {
        integrations.start();
      }
    });

    it('a note the provider refuses (400 to the Update): the log and the timeline say so, the action is on the queue; the task stays with the provider', async () => {
      provider.answer = (path) => (path === '/update' ? 400 : 201);
      const id = await todoTask();
      expect((await h.api('POST', `/v1/actions/${id}/assign`, { queue: 'fx-notes' }, operator)).status).toBe(200);
      const [sent] = await until(
        'the submission',
        () => log(id),
        (l) => l.length === 1,
      );
      await h.waitFor(sent!.actionId!, (a) => a.state === 'closed');
      expect((await h.api('POST', `/v1/actions/${id}/notes`, { note: 'Customer called' }, operator)).status).toBe(200);
      const entries = await until(
        'the log says why',
        () => log(id),
        (l) => l[1]?.result.startsWith('Update failed') === true,
      );
      expect(entries[1]).toMatchObject({ requestType: 'Update', direction: 'Out', result: expect.stringContaining('HTTP 400') });
      expect(await h.waitFor(entries[1]!.actionId!, (a) => a.queue === 'fx-notes')).toMatchObject({
        state: 'todo',
        reason: 'request_rejected',
      });
      expect(await timeline(id)).toEqual(expect.arrayContaining([expect.stringMatching(/^Update to the provider failed .*HTTP 400/)]));
      expect((await h.api('GET', `/v1/actions/${id}`)).body).toMatchObject({ state: 'waiting', queue: 'fx-notes' });
    });
  });

describe('PostgreSQL, two nodes: a failed submission recorded by both at once', () => {
  let two: Awaited<ReturnType<typeof postgresNodes>>;
  let a: Harness;
  let b: Harness;
  const provider = new Provider();
  beforeAll(async () => {
    await provider.start();
    two = await postgresNodes(2);
    [a, b] = two.nodes as [Harness, Harness];
    await connector(a);
    await connector(a, { name: 'provider', baseUrl: provider.url, timeout: '1s' });
    await actionType(a, { name: 'broken', path: '/reject' });
    await actionType(a, {
      name: 'two-submit',
      connector: 'provider',
      path: '/submit',
      fields: PROVIDER_FIELDS,
      body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}", "task": "{{ TaskId }}"}' },
    });
    expect((await a.api('POST', '/v1/users', { name: 'olga' })).status).toBe(201);
    const integration = { connector: 'provider', onAssign: 'two-submit' };
    expect(
      (await a.api('POST', '/v1/queues', { name: 'two-desk', members: ['olga'], allocation: 'round_robin', integration })).status,
    ).toBe(201);
    for (const n of [a, b]) await n.callout.registry.refresh();
  });
  afterAll(async () => {
    await two?.close();
    await provider.close();
  });

  it('both nodes sweep the same failure and the same late success at once: each is recorded once', async () => {
    const messages = async (id: string): Promise<string[]> =>
      ((await a.api('GET', `/v1/actions/${id}/timeline`)).body.items as Array<{ message: string }>).map((t) => t.message);
    provider.answer = () => 400;
    for (const n of [a, b]) await n.callout.integrations.stop();
    const broken = await launch(a, 'broken');
    const id = (await a.waitFor(broken.id, (x) => x.state === 'todo')).id;
    expect((await a.api('POST', `/v1/actions/${id}/assign`, { queue: 'two-desk' })).status).toBe(200);
    const [entry] = await until(
      'the submission',
      async () => (await a.api('GET', `/v1/actions/${id}/integration-log`)).body.items as Entry[],
      (l) => l.length === 1,
    );
    const submitId = entry!.actionId!;
    await a.waitFor(submitId, (x) => x.state === 'todo');
    await Promise.all([a.callout.integrations.sweep(), b.callout.integrations.sweep(), a.callout.integrations.sweep()]);
    expect((await a.api('GET', `/v1/actions/${id}`)).body).toMatchObject({ state: 'todo', queue: 'two-desk', assignee: 'olga' });
    expect((await messages(id)).filter((m) => m.startsWith('Submit Request to the provider failed'))).toHaveLength(1);

    provider.answer = () => 201;
    expect((await b.api('POST', `/v1/actions/${submitId}/retry`)).status).toBe(200);
    await a.waitFor(submitId, (x) => x.state === 'closed');
    await Promise.all([a.callout.integrations.sweep(), b.callout.integrations.sweep(), b.callout.integrations.sweep()]);
    expect((await a.api('GET', `/v1/actions/${id}`)).body).toMatchObject({ state: 'waiting', assignee: null });
    expect((await messages(id)).filter((m) => m.startsWith('Submit Request reached the provider after all'))).toHaveLength(1);
    expect(provider.accepted.filter((t) => t === id)).toHaveLength(1);
    for (const n of [a, b]) n.callout.integrations.start();
  });
});
