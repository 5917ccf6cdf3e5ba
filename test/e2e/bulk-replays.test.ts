// Bulk replay over HTTP on a real SQLite file: a dry run counts and samples, a run closes or retries
// every matching action with the operator's name on each timeline, and skips the ones it cannot change.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
const rejected: string[] = [];
let other: string;
let since: string;
beforeAll(async () => {
  h = await startHarness();
  await connector(h);
  await connector(h, { name: 'other-desk' });
  await actionType(h, { name: 'reject', path: '/reject' });
  await actionType(h, { name: 'elsewhere', connector: 'other-desk', path: '/reject' });
  since = new Date(Date.now() - 1000).toISOString();
  for (let i = 0; i < 4; i++) rejected.push((await launch(h, 'reject')).id);
  other = (await launch(h, 'elsewhere')).id;
  for (const id of [...rejected, other]) await h.waitFor(id, (a) => a.state === 'todo');
});
afterAll(async () => h.close());

const replay = (body: unknown) => h.api('POST', '/v1/bulk-replays', body);

describe('bulk replay', () => {
  it('a dry run counts and samples the matches of a connector and changes nothing', async () => {
    const r = await replay({
      filter: { state: 'todo', connector: 'vendor', since },
      operation: 'close',
      resolution: 'not_done_successfully',
      dryRun: true,
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ dryRun: true, operation: 'close', count: 4 });
    expect(r.body.sample.map((a: { id: string }) => a.id).sort()).toEqual([...rejected].sort());
    for (const id of rejected) expect((await h.api('GET', `/v1/actions/${id}`)).body.state).toBe('todo');
  });

  it('closes every match Not Done, as the operator, leaving other connectors alone; then retries the closed ones', async () => {
    const r = await replay({
      filter: { state: 'todo', connector: 'vendor' },
      operation: 'close',
      resolution: 'not_done_successfully',
      note: 'vendor outage',
    });
    expect(r.body).toMatchObject({ dryRun: false, count: 4, done: 4, skipped: 0, remaining: 0 });
    for (const id of rejected) {
      const a = (await h.api('GET', `/v1/actions/${id}`)).body;
      expect(a).toMatchObject({ state: 'closed', resolution: 'not_done_successfully' });
    }
    expect((await h.api('GET', `/v1/actions/${other}`)).body.state).toBe('todo');

    // "All Closed / Not Done of a connector since then": retried, each timeline naming who asked.
    const retry = await replay({
      filter: { state: 'closed', resolution: 'not_done_successfully', connector: 'vendor', since, timeField: 'closedAt' },
      operation: 'retry',
      max: 3,
    });
    expect(retry.body).toMatchObject({ count: 4, done: 3, skipped: 0, remaining: 1 });
    const tl = (await h.api('GET', `/v1/actions/${retry.body.items[0].id}/timeline`)).body.items;
    expect(tl.find((e: { kind: string }) => e.kind === 'retry_requested')).toMatchObject({ actor: 'user:CALLOUT_ADMIN_KEY' });
  });

  it('reports an action it cannot change as skipped, with the reason, and goes on', async () => {
    // The previous test retried three of them: each must be rejected again (To Do) before the close.
    const retried = (await h.api('GET', '/v1/actions?actionType=reject&limit=10')).body.items.filter(
      (a: { state: string }) => a.state !== 'closed',
    );
    expect(retried).toHaveLength(3);
    for (const a of retried) await h.waitFor(a.id, (x) => x.state === 'todo');
    expect((await replay({ filter: { actionType: 'reject' }, operation: 'close', resolution: 'done_successfully' })).body.done).toBe(3);
    // Three Closed / Done Successfully and one Closed / Not Done: only that one can be retried.
    const r = await replay({ filter: { actionType: 'reject', state: 'closed' }, operation: 'retry' });
    const skipped = r.body.items.filter((i: { status: string }) => i.status === 'skipped');
    expect(r.body).toMatchObject({ count: 4, done: 1, skipped: 3 });
    expect(skipped[0].reason).toMatch(/closed|not allowed|cannot|nothing/i);
  });

  it('a bulk close resolves To Do actions only: a filter as wide as "since 1970" leaves waiting ones alone', async () => {
    await actionType(h, {
      name: 'cb',
      path: '/callback?never=1',
      body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}"}' },
      completion: { mode: 'callback' },
    });
    const waiting = (await launch(h, 'cb')).id;
    await h.waitFor(waiting, (a) => a.phase === 'awaiting_callback');
    const wide = { since: '1970-01-01T00:00:00Z' };
    const dry = await replay({ filter: wide, operation: 'close', resolution: 'done_successfully', dryRun: true });
    expect(dry.body.sample.every((a: { state: string }) => a.state === 'todo')).toBe(true);
    const r = await replay({ filter: wide, operation: 'close', resolution: 'done_successfully' });
    expect(r.body.items.map((i: { id: string }) => i.id)).not.toContain(waiting);
    expect((await h.api('GET', `/v1/actions/${waiting}`)).body).toMatchObject({ state: 'waiting', phase: 'awaiting_callback' });
    const refused = await replay({ filter: { state: 'waiting' }, operation: 'close', resolution: 'done_successfully' });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([{ field: 'filter.state', message: expect.stringContaining('only todo') }]);
  });

  it('refuses a filter that narrows nothing, close without a resolution, unknown names and bad instants: 422 naming the field', async () => {
    expect((await replay({ filter: {}, operation: 'retry' })).body.errors).toEqual([
      { field: 'filter', message: expect.stringContaining('at least one') },
    ]);
    expect((await replay({ filter: { state: 'todo' }, operation: 'close' })).body.errors).toEqual([
      { field: 'resolution', message: expect.stringContaining('required to close') },
    ]);
    const r = await replay({ filter: { connector: 'nope', actionType: 'nada', since: 'yesterday' }, operation: 'retry' });
    expect(r.status).toBe(422);
    expect(r.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['filter.actionType', 'filter.connector', 'filter.since']);
    expect((await replay({ filter: { state: 'todo' }, operation: 'delete' })).status).toBe(422);
  });

  it('roles: operators replay; builders and integrations do not', async () => {
    const key = async (name: string, roles: string[]) => (await h.api('POST', '/v1/api-keys', { name, roles })).body.key as string;
    const as = async (k: string) =>
      (
        await request(`${h.url}/v1/bulk-replays`, {
          method: 'POST',
          headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json' },
          body: JSON.stringify({ filter: { state: 'todo' }, operation: 'retry', dryRun: true }),
        })
      ).statusCode;
    expect(await as(await key('rp-op', ['operator']))).toBe(200);
    expect(await as(await key('rp-builder', ['builder']))).toBe(403);
    expect(await as(await key('rp-int', ['integration']))).toBe(403);
  });

  it('a run repeated with its Idempotency-Key answers the first report and retries nothing again; another request with that key is a 409', async () => {
    await connector(h, { name: 'third-desk' });
    await actionType(h, { name: 'third', connector: 'third-desk', path: '/reject' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await launch(h, 'third')).id);
    for (const id of ids) await h.waitFor(id, (a) => a.state === 'todo');
    const body = { filter: { state: 'todo', connector: 'third-desk' }, operation: 'retry' };
    const send = (b: unknown, key?: string) => h.api('POST', '/v1/bulk-replays', b, key ? { 'idempotency-key': key } : {});
    const retries = async (id: string): Promise<number> =>
      (await h.api('GET', `/v1/actions/${id}/timeline`)).body.items.filter((e: { kind: string }) => e.kind === 'retry_requested').length;

    const first = await send(body, 'replay-third-1');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ count: 3, done: 3, skipped: 0 });
    // Rejected again at once: To Do again, so the filter would match them all again.
    for (const id of ids) await h.waitFor(id, (a) => a.state === 'todo' && a.retry.count === 1);
    // The client timed out and asks again: the same answer, and no action is retried a second time.
    const again = await send(body, 'replay-third-1');
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    // Its fields in another order: the same request.
    const reordered = await send(
      JSON.stringify({ operation: 'retry', filter: { connector: 'third-desk', state: 'todo' } }),
      'replay-third-1',
    );
    expect([reordered.status, reordered.body]).toEqual([200, first.body]);
    for (const id of ids) expect(await retries(id)).toBe(1);
    // The same key for another request: refused, nothing done.
    const other = await send({ ...body, max: 1 }, 'replay-third-1');
    expect(other.status).toBe(409);
    expect(other.body.detail).toMatch(/different bulk replay/);
    for (const id of ids) expect(await retries(id)).toBe(1);
    // A dry run with a key still counts afresh, and a run without one runs.
    expect((await send({ ...body, dryRun: true }, 'replay-third-1')).body).toMatchObject({ dryRun: true, count: 3 });
    expect((await send(body)).body).toMatchObject({ done: 3 });
    for (const id of ids) expect(await retries(id)).toBe(2);
    expect((await send(body, 'x'.repeat(201))).status).toBe(422);
  });
});
