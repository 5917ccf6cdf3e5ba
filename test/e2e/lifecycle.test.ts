// The action lifecycle end to end over HTTP: a real SQLite file, the API on loopback and the mock
// external system on loopback. Real time, short intervals; waits for nothing to happen use a fake clock.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, freePort, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { FakeClock } from '../../src/clock.ts';
import type { ActionView } from '../../src/actions/views.ts';

let h: Harness;
/** The people cases are owned by: an owner must be a user (or a key acting as its own name). */
const owners = async (x: Harness, names: string[]): Promise<void> => {
  for (const name of names) expect((await x.api('POST', '/v1/users', { name })).status).toBe(201);
};

beforeAll(async () => {
  h = await startHarness();
  await connector(h);
  await owners(h, ['olivia', 'quinn', 'rita']);
});
afterAll(async () => h.close());

const closedDone = (a: { state: string; resolution: string | null }): boolean =>
  a.state === 'closed' && a.resolution === 'done_successfully';

describe('response mode', () => {
  it('a 2xx answer closes the action Done Successfully and merges the mapped output into the case', async () => {
    await actionType(h, {
      name: 'sync-ok',
      path: '/ok',
      body: { format: 'json', template: '{"title": "{{ Title }}", "priority": "{{ Priority }}"}' },
      fields: { Priority: { type: 'integer' } },
      response: { output: '{ "ticketNo": id }' },
    });
    const kase = (await h.api('POST', '/v1/cases', { data: { employee: 'Jane' }, owner: 'olivia' })).body;
    const a = await launch(h, 'sync-ok', { Title: 'Laptop "Pro"', Priority: 2 }, { caseId: kase.id });
    expect(a.state).toBe('waiting');
    expect(a.phase).toBe('queued');
    const done = await h.waitFor(a.id, closedDone);
    expect(done.output).toEqual({ ticketNo: expect.stringMatching(/^EXT-/) });
    expect(done.retry).toMatchObject({ count: 0, max: 3, lastError: null });
    const c = (await h.api('GET', `/v1/cases/${kase.id}`)).body;
    expect(c.data).toEqual({ employee: 'Jane', ticketNo: (done.output as { ticketNo: string }).ticketNo });
    // The request carried the typed body and the action's idempotency key.
    const sent = h.mock.log.filter((e) => e.key === a.id);
    expect(sent).toHaveLength(1);
    const tl = (await h.api('GET', `/v1/actions/${a.id}/timeline`)).body.items;
    expect(tl.map((e: { kind: string }) => e.kind)).toEqual(['launched', 'attempt', 'state_changed']);
    expect(tl[1].data.request.body).toBe('{"title":"Laptop \\"Pro\\"","priority":2}');
    // Secrets stay out of the timeline: the bearer token was sent but is not recorded.
    expect(JSON.stringify(tl)).not.toContain('secret-token-123');
  });

  it('a 4xx answer turns the action To Do, Rejected by External System, with the status and body as rejected reason', async () => {
    await actionType(h, { name: 'reject', path: '/reject', allocation: { queue: 'finance' } });
    const a = await launch(h, 'reject');
    const r = await h.waitFor(a.id, (x) => x.state === 'todo');
    expect(r.reason).toBe('request_rejected');
    expect(r.rejectedReason).toContain('HTTP 400');
    expect(r.rejectedReason).toContain('Cost centre unknown');
    expect(r.queue).toBe('finance');
    expect(r.escalated).toBe(false);
    expect(h.mock.log.filter((e) => e.key === a.id)).toHaveLength(1);
  });

  it('a response that fails successWhen goes To Do, Updated by Integration, with the mapped rejected reason', async () => {
    await actionType(h, {
      name: 'cond',
      path: '/ok',
      response: { successWhen: 'ok = false', rejectedReason: '"vendor said " & id' },
      allocation: { queue: 'desk', user: 'sam' },
    });
    const a = await launch(h, 'cond');
    const r = await h.waitFor(a.id, (x) => x.state === 'todo');
    expect(r).toMatchObject({ reason: 'updated_by_integration', queue: 'desk', assignee: 'sam', escalated: false });
    expect(r.rejectedReason).toMatch(/^vendor said EXT-/);
  });
});

describe('callback mode', () => {
  it('a success callback closes the action and merges its data into the case', async () => {
    await actionType(h, {
      name: 'cb',
      path: '/callback?delayMs={{ Delay }}&outcome={{ Outcome }}',
      body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}"}' },
      fields: { Delay: { type: 'integer', default: 300 }, Outcome: { default: 'success' } },
      completion: { mode: 'callback', timeout: '1m' },
      allocation: { queue: 'service-desk' },
    });
    const kase = (await h.api('POST', '/v1/cases', { data: {}, owner: 'olivia' })).body;
    const a = await launch(h, 'cb', {}, { caseId: kase.id });
    const waiting = await h.waitFor(a.id, (x) => x.phase === 'awaiting_callback');
    expect(waiting.state).toBe('waiting');
    const done = await h.waitFor(a.id, closedDone);
    expect(done.output).toMatchObject({ ticketNo: expect.stringMatching(/^EXT-/) });
    expect((await h.api('GET', `/v1/cases/${kase.id}`)).body.data.ticketNo).toBe((done.output as { ticketNo: string }).ticketNo);
  });

  it('a failure callback turns the action To Do, Updated by Integration, with the rejected reason; the owner is not notified', async () => {
    const kase = (await h.api('POST', '/v1/cases', { data: {}, owner: 'quinn' })).body;
    const a = await launch(h, 'cb', { Outcome: 'failure', Delay: 50 }, { caseId: kase.id });
    const r = await h.waitFor(a.id, (x) => x.state === 'todo');
    expect(r).toMatchObject({
      reason: 'updated_by_integration',
      rejectedReason: 'Rejected by the external system',
      queue: 'service-desk',
      escalated: false,
    });
    expect(
      (await h.api('GET', '/v1/notifications', undefined, {})).body.items.filter((n: { caseId: string }) => n.caseId === kase.id),
    ).toHaveLength(0);
    // From here it is a plain manual action.
    expect((await h.api('POST', `/v1/actions/${a.id}/pick-up`)).body.state).toBe('in_progress');
    const closed = (await h.api('POST', `/v1/actions/${a.id}/complete`, { resolution: 'done_successfully', note: 'ordered by phone' }))
      .body;
    expect(closed).toMatchObject({ state: 'closed', resolution: 'done_successfully' });
  });

  it('a callback that arrives before the engine recorded the send counts; repeats get the same answer, other data or a different outcome gets 409', async () => {
    const h2 = await startHarness({ start: false });
    try {
      await connector(h2);
      await actionType(h2, {
        name: 'cb2',
        path: '/callback?never=1',
        body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}"}' },
        completion: { mode: 'callback' },
      });
      const a = await launch(h2, 'cb2');
      const token = h2.callout.engine.callbackToken(a.id);
      const first = await h2.api(
        'POST',
        `/v1/callbacks/${token}`,
        { outcome: 'success', data: { ticketNo: 'INC-7' } },
        { authorization: '' },
      );
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ state: 'closed', resolution: 'done_successfully', output: { ticketNo: 'INC-7' } });
      const again = await h2.api('POST', `/v1/callbacks/${token}`, { outcome: 'success', data: { ticketNo: 'INC-7' } });
      expect(again.status).toBe(200);
      expect(again.body.state).toBe('closed');
      // The same outcome with other data is not the same callback: it was answered 200 and dropped.
      const other = await h2.api('POST', `/v1/callbacks/${token}`, { outcome: 'success', data: { ticketNo: 'INC-8' } });
      expect(other.status).toBe(409);
      expect(other.body.detail).toMatch(/with other data was already applied/);
      expect((await h2.api('GET', `/v1/actions/${a.id}`)).body.output).toEqual({ ticketNo: 'INC-7' });
      const conflict = await h2.api('POST', `/v1/callbacks/${token}`, { outcome: 'failure', reason: 'changed my mind' });
      expect(conflict.status).toBe(409);
      expect(conflict.headers['content-type']).toContain('application/problem+json');
      expect((await h2.api('GET', `/v1/actions/${a.id}`)).body).toMatchObject({
        state: 'closed',
        resolution: 'done_successfully',
        rejectedReason: null,
      });
      // The engine, started late, does not send a closed action.
      h2.callout.start();
      await h2.callout.engine.tick();
      expect(h2.mock.log.filter((e) => e.key === a.id)).toHaveLength(0);
    } finally {
      await h2.close();
    }
  });

  it('callbacks sent at once: of two with other data one is applied and the other is a 409; identical ones carrying a reference are all answered 200', async () => {
    // An outside review sent them at once to two nodes: both answered 200, the second's data dropped; and
    // one of ten identical callbacks carrying a reference got 409 "The action is closed".
    await actionType(h, {
      name: 'cb-race',
      path: '/callback?never=1',
      body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}"}' },
      completion: { mode: 'callback' },
    });
    for (let round = 0; round < 3; round++) {
      const a = await launch(h, 'cb-race');
      await h.waitFor(a.id, (x) => x.phase === 'awaiting_callback');
      const token = h.callout.engine.callbackToken(a.id);
      const send = (body: unknown) => h.api('POST', `/v1/callbacks/${token}`, body, { authorization: '' });
      const two = await Promise.all([
        send({ outcome: 'success', data: { ticketNo: 'A' } }),
        send({ outcome: 'success', data: { ticketNo: 'B' } }),
      ]);
      expect(two.map((r) => r.status).sort()).toEqual([200, 409]);
      const kept = (await h.api('GET', `/v1/actions/${a.id}`)).body.output;
      expect(two.find((r) => r.status === 200)!.body.output).toEqual(kept);
      const b = await launch(h, 'cb-race');
      await h.waitFor(b.id, (x) => x.phase === 'awaiting_callback');
      const same = { outcome: 'success', data: { ok: true }, externalReference: `INC-race-${round}` };
      const ten = await Promise.all(
        Array.from({ length: 10 }, () =>
          h.api('POST', `/v1/callbacks/${h.callout.engine.callbackToken(b.id)}`, same, { authorization: '' }),
        ),
      );
      expect(ten.map((r) => r.status)).toEqual(Array(10).fill(200));
    }
  });

  it('bad callbacks get a clear problem and change nothing', async () => {
    await actionType(h, {
      name: 'cb3',
      path: '/callback?never=1',
      body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}"}' },
      completion: { mode: 'callback' },
    });
    const a = await launch(h, 'cb3');
    await h.waitFor(a.id, (x) => x.phase === 'awaiting_callback');
    const token = h.callout.engine.callbackToken(a.id);
    const bad = await h.api('POST', `/v1/callbacks/${token}`, { outcome: 'maybe' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('outcome');
    const forged = await h.api('POST', `/v1/callbacks/${a.id}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`, { outcome: 'success' });
    expect(forged.status).toBe(404);
    // It says what was not found: no action for this token (not 'Callback "token" does not exist').
    expect(forged.body.detail).toMatch(/^No action answers to this callback token/);
    const notJson = await h.api('POST', `/v1/callbacks/${token}`, '{"outcome": ', { 'content-type': 'application/json' });
    expect(notJson.status).toBe(400);
    expect((await h.api('GET', `/v1/actions/${a.id}`)).body.phase).toBe('awaiting_callback');
    // Acknowledge with the external reference, then find the action by it.
    expect((await h.api('POST', `/v1/callbacks/${token}/acknowledge`, { externalReference: 'VND-99' })).body.externalReference).toBe(
      'VND-99',
    );
    expect((await h.api('GET', '/v1/actions?externalReference=VND-99')).body.items.map((x: { id: string }) => x.id)).toEqual([a.id]);
  });

  it('the completion timeout turns the action To Do, Timeout, allocated by the rules, without notifying the owner', async () => {
    await actionType(h, {
      name: 'never',
      path: '/callback?never=1',
      body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}"}' },
      completion: { mode: 'callback', timeout: '700ms' },
      allocation: { queue: 'service-desk', user: 'ana' },
    });
    const kase = (await h.api('POST', '/v1/cases', { data: {}, owner: 'rita' })).body;
    const a = await launch(h, 'never', {}, { caseId: kase.id });
    const r = await h.waitFor(a.id, (x) => x.state === 'todo');
    // Its deadline has passed: To Do shows none.
    expect(r).toMatchObject({ reason: 'timeout', queue: 'service-desk', assignee: 'ana', escalated: false, timeoutAt: null });
    expect(Date.parse(r.updatedAt) - Date.parse(r.createdAt)).toBeGreaterThanOrEqual(700);
  });
});

describe('retries', () => {
  it('an attempt that gets no answer within the connector timeout fails as a timeout and is retried', async () => {
    await h.api('POST', '/v1/connectors', { name: 'sluggish', baseUrl: h.mock.url, timeout: '200ms' });
    await actionType(h, {
      name: 'too-slow',
      connector: 'sluggish',
      method: 'GET',
      path: '/slow?ms=1500',
      retry: { maxRetries: 1, interval: '10ms' },
    });
    const a = await launch(h, 'too-slow');
    const r = await h.waitFor(a.id, (x) => x.state === 'closed');
    expect(r).toMatchObject({
      resolution: 'not_done_successfully',
      attempts: 2,
      retry: { count: 1, lastError: 'no answer within 200 ms' },
    });
    const tl = (await h.api('GET', `/v1/actions/${a.id}/timeline`)).body.items;
    const attempt = tl.find((e: { kind: string }) => e.kind === 'attempt');
    expect(attempt.data.durationMs).toBeGreaterThanOrEqual(190);
    expect(attempt.data.durationMs).toBeLessThan(1400);
  });

  it('a 503 is retried and the action closes Done Successfully when the system recovers', async () => {
    await actionType(h, { name: 'flaky', path: '/fail-then-ok?times=2', retry: { maxRetries: 5, interval: '30ms', backoff: 'fixed' } });
    const a = await launch(h, 'flaky');
    const r = await h.waitFor(a.id, closedDone);
    expect(r.retry).toMatchObject({ count: 2, max: 5 });
    expect(r.retry.lastError).toContain('HTTP 503');
    const keys = h.mock.log.filter((e) => e.path === '/fail-then-ok' && e.key === a.id).map((e) => e.status);
    expect(keys).toEqual([503, 503, 200]);
    // The timeline's retry entries give their time as every other time is given: ISO text.
    const retries = (await h.api('GET', `/v1/actions/${a.id}/timeline`)).body.items.filter(
      (e: { kind: string }) => e.kind === 'retry_scheduled',
    );
    expect(retries).toHaveLength(2);
    for (const e of retries) {
      expect(e.data).toMatchObject({ maxRetries: 5, nextRetryAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) });
      expect(Date.parse(e.data.nextRetryAt) - Date.parse(e.at)).toBeGreaterThanOrEqual(30);
    }
  });

  it('a 429 with Retry-After is retried no sooner than the server asked', async () => {
    await actionType(h, { name: 'limited', path: '/status/429?retryAfter=1', retry: { maxRetries: 1, interval: '10ms' } });
    const a = await launch(h, 'limited');
    const r = await h.waitFor(a.id, (x) => x.state === 'closed');
    expect(r.retry).toMatchObject({ count: 1, max: 1 });
    const times = h.mock.log.filter((e) => e.key === a.id).map((e) => e.at);
    expect(times).toHaveLength(2);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(990);
  });

  it('a manual retry sends at once and counts as a retry', async () => {
    await actionType(h, { name: 'down-long', path: '/status/503', retry: { maxRetries: 2, interval: '1h' } });
    const a = await launch(h, 'down-long');
    const first = await h.waitFor(a.id, (x) => x.phase === 'retry_scheduled');
    expect(first.retry).toMatchObject({ count: 0, max: 2 });
    expect(Date.parse(first.retry.nextRetryAt!) - Date.parse(first.retry.lastErrorAt!)).toBeGreaterThanOrEqual(3_599_000);
    const retried = await h.api('POST', `/v1/actions/${a.id}/retry`);
    expect(retried.status).toBe(200);
    const second = await h.waitFor(a.id, (x) => x.attempts === 2 && x.phase === 'retry_scheduled');
    expect(second.retry.count).toBe(1);
    await h.api('POST', `/v1/actions/${a.id}/retry`);
    const closed = await h.waitFor(a.id, (x) => x.state === 'closed');
    expect(closed).toMatchObject({ resolution: 'not_done_successfully', escalated: true, retry: { count: 2, max: 2 } });
    expect(
      (await h.api('GET', `/v1/actions/${a.id}/timeline`)).body.items.filter((e: { kind: string }) => e.kind === 'retry_requested'),
    ).toHaveLength(2);
  });
});

// Waiting for nothing to happen takes no real time: this engine runs on a fake clock and is stepped.
describe('retries, stepped on a fake clock', () => {
  const HOUR = 3_600_000;
  const clock = new FakeClock();
  let f: Harness;
  beforeAll(async () => {
    f = await startHarness({ callout: { clock }, start: false });
    await connector(f);
    await owners(f, ['olivia']);
  });
  afterAll(async () => f.close());

  /** Runs what is due; while `pred` does not hold, moves the clock to the next retry and runs again. */
  const stepUntil = async (id: string, pred: (a: ActionView) => boolean): Promise<ActionView> => {
    for (let i = 0; i < 20; i++) {
      await f.callout.engine.tick();
      const a = await f.callout.actions.getAction(id);
      if (pred(a)) return a;
      if (!a.retry.nextRetryAt) break;
      clock.set(Math.max(clock.now(), Date.parse(a.retry.nextRetryAt)));
    }
    throw new Error(`action ${id} did not reach the expected state: ${JSON.stringify(await f.callout.actions.getAction(id))}`);
  };
  /** Lets `ms` pass with the engine running everything that falls due. */
  const idleFor = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await f.callout.engine.tick();
  };

  it('connection refused until retries run out: Closed, Not Done Successfully, escalated to the case owner, N of N', async () => {
    const port = await freePort(); // nothing listens here
    await f.api('POST', '/v1/connectors', { name: 'down', baseUrl: `http://127.0.0.1:${port}`, timeout: '1s' });
    await actionType(f, {
      name: 'to-down',
      connector: 'down',
      path: '/x',
      retry: { maxRetries: 3, interval: '40ms', backoff: 'exponential' },
    });
    const kase = (await f.api('POST', '/v1/cases', { data: {}, owner: 'olivia' })).body;
    const a = await launch(f, 'to-down', {}, { caseId: kase.id });
    const r = await stepUntil(a.id, (x) => x.state === 'closed');
    expect(r).toMatchObject({ resolution: 'not_done_successfully', escalated: true, attempts: 4 });
    expect(r.retry).toMatchObject({ count: 3, max: 3, nextRetryAt: null });
    expect(r.retry.lastError).toContain('ECONNREFUSED');
    const notes = (await f.api('GET', '/v1/notifications', undefined, {})).body.items;
    void notes; // the admin key is not the owner: check the owner's notifications through the store
    expect((await f.callout.notifications.list('olivia')).some((n) => n.actionId === a.id && n.kind === 'action.escalated')).toBe(true);
    // The case is marked escalated too, a plain case without a process included (SPEC 2: highlighted on the case).
    expect((await f.api('GET', `/v1/cases/${kase.id}`)).body.escalated).toBe(true);
    const tl = (await f.api('GET', `/v1/actions/${a.id}/timeline`)).body.items;
    expect(tl.filter((e: { kind: string }) => e.kind === 'attempt')).toHaveLength(4);
    expect(tl.filter((e: { kind: string }) => e.kind === 'state_changed')).toHaveLength(1);
    // Closed is final: nothing more is sent automatically, however long it waits.
    await idleFor(24 * HOUR);
    expect((await f.api('GET', `/v1/actions/${a.id}`)).body.attempts).toBe(4);
  });

  it('pause holds automatic retries and resume lets them go', async () => {
    await actionType(f, { name: 'pausable', path: '/fail-then-ok?times=1', retry: { maxRetries: 3, interval: '300ms', backoff: 'fixed' } });
    const a = await launch(f, 'pausable');
    const scheduled = await stepUntil(a.id, (x) => x.phase === 'retry_scheduled');
    expect(scheduled.retry.nextRetryAt).toEqual(expect.any(String));
    const paused = (await f.api('POST', `/v1/actions/${a.id}/pause`)).body;
    // Paused, no retry is coming: no time is shown for one.
    expect(paused.retry).toMatchObject({ paused: true, nextRetryAt: null });
    await idleFor(600);
    expect((await f.api('GET', `/v1/actions/${a.id}`)).body).toMatchObject({ phase: 'retry_scheduled', attempts: 1 });
    await f.api('POST', `/v1/actions/${a.id}/resume`);
    const done = await stepUntil(a.id, closedDone);
    expect(done.retry).toMatchObject({ count: 1, paused: false });
  });

  it('retry policy changes apply live: lowered below the count closes at once; raised after closing shows the new max and sends nothing', async () => {
    await actionType(f, { name: 'policy', path: '/status/503', retry: { maxRetries: 10, interval: '1h' } });
    const a = await launch(f, 'policy');
    await stepUntil(a.id, (x) => x.phase === 'retry_scheduled');
    await f.api('POST', `/v1/actions/${a.id}/retry`);
    await stepUntil(a.id, (x) => x.attempts === 2 && x.phase === 'retry_scheduled');
    const patched = await f.api('PATCH', '/v1/action-types/policy', { retry: { maxRetries: 1 } });
    expect(patched.status).toBe(200);
    expect(patched.body.retry).toMatchObject({ maxRetries: 1, interval: 3_600_000 });
    const closed = await f.api('GET', `/v1/actions/${a.id}`);
    expect(closed.body).toMatchObject({
      state: 'closed',
      resolution: 'not_done_successfully',
      escalated: true,
      retry: { count: 1, max: 1 },
    });
    const tl = (await f.api('GET', `/v1/actions/${a.id}/timeline`)).body.items;
    expect(tl.find((e: { kind: string }) => e.kind === 'policy_changed').data).toEqual({ retryCount: 1, maxRetries: 1 });
    await f.api('PATCH', '/v1/action-types/policy', { retry: { maxRetries: 7 } });
    const after = (await f.api('GET', `/v1/actions/${a.id}`)).body;
    expect(after).toMatchObject({ state: 'closed', retry: { count: 1, max: 7 } });
    await idleFor(2 * HOUR);
    expect(f.mock.log.filter((e) => e.key === a.id)).toHaveLength(2);
  });

  it('a lowered retry limit closes a retry a rate limit holds back, and nothing more is sent', async () => {
    const hourly = await f.api('POST', '/v1/connectors', { name: 'hourly', baseUrl: f.mock.url, rateLimits: [{ limit: 2, per: '1h' }] });
    expect(hourly.status).toBe(201);
    await actionType(f, {
      name: 'held-retry',
      connector: 'hourly',
      path: '/status/503',
      retry: { maxRetries: 10, interval: '1s', backoff: 'fixed' },
    });
    const a = await launch(f, 'held-retry');
    // The first attempt and the first retry use the hour's two sends; the second retry waits for the next hour.
    const held = await stepUntil(a.id, (x) => x.phase === 'throttled');
    expect(held).toMatchObject({ state: 'waiting', attempts: 2, retry: { count: 1, max: 10 } });
    const patched = await f.api('PATCH', '/v1/action-types/held-retry', { retry: { maxRetries: 1 } });
    expect(patched.status).toBe(200);
    expect((await f.api('GET', `/v1/actions/${a.id}`)).body).toMatchObject({
      state: 'closed',
      resolution: 'not_done_successfully',
      escalated: true,
      retry: { count: 1, max: 1 },
    });
    const tl = (await f.api('GET', `/v1/actions/${a.id}/timeline`)).body.items;
    expect(tl.find((e: { kind: string }) => e.kind === 'policy_changed').data).toEqual({ retryCount: 1, maxRetries: 1 });
    await idleFor(2 * HOUR);
    expect(f.mock.log.filter((e) => e.key === a.id)).toHaveLength(2);
  });
});

describe('launching', () => {
  it('refuses input that does not fit the fields with 422 naming each field, and sends nothing', async () => {
    await actionType(h, {
      name: 'typed',
      path: '/ok',
      body: { format: 'json', template: '{"p": "{{ Priority }}", "t": "{{ Title }}", "d": "{{ Due }}"}' },
      fields: { Priority: { type: 'integer' }, Due: { type: 'date' } },
    });
    const before = (await h.api('GET', '/v1/actions?actionType=typed')).body.items.length;
    const r = await h.api('POST', '/v1/actions', { actionType: 'typed', input: { Priority: '2', Due: '31/12/2026', Extra: 1 } });
    expect(r.status).toBe(422);
    expect(r.headers['content-type']).toContain('application/problem+json');
    const fields = r.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['input.Due', 'input.Extra', 'input.Priority', 'input.Title']);
    expect(r.body.errors.find((e: { field: string }) => e.field === 'input.Priority').message).toBe('must be an integer');
    expect((await h.api('GET', '/v1/actions?actionType=typed')).body.items.length).toBe(before);
    const unknown = await h.api('POST', '/v1/actions', { actionType: 'nope', input: {} });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([{ field: 'actionType', message: 'no action type "nope" exists' }]);
  });

  it('an Idempotency-Key makes a launch safe to repeat; the same key with another body is a conflict', async () => {
    const body = { actionType: 'sync-ok', input: { Title: 'once', Priority: 1 } };
    const one = await h.api('POST', '/v1/actions', body, { 'idempotency-key': 'order-7' });
    const two = await h.api('POST', '/v1/actions', body, { 'idempotency-key': 'order-7' });
    expect(one.status).toBe(201);
    expect(two.status).toBe(200);
    expect(two.body.id).toBe(one.body.id);
    // The same request with its fields in another order (another client library) is a repeat too.
    const reordered = { input: { Priority: 1, Title: 'once' }, actionType: 'sync-ok' };
    const three = await h.api('POST', '/v1/actions', JSON.stringify(reordered), { 'idempotency-key': 'order-7' });
    expect([three.status, three.body.id]).toEqual([200, one.body.id]);
    const other = await h.api('POST', '/v1/actions', { ...body, input: { Title: 'twice', Priority: 1 } }, { 'idempotency-key': 'order-7' });
    expect(other.status).toBe(409);
    await h.waitFor(one.body.id, closedDone);
    expect(h.mock.log.filter((e) => e.key === one.body.id)).toHaveLength(1);
  });
});

describe('the API', () => {
  it('asks for a key, checks roles, and never returns secrets', async () => {
    const none = await h.api('GET', '/v1/actions', undefined, { authorization: '' });
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('UNAUTHORIZED');
    const op = (await h.api('POST', '/v1/api-keys', { name: 'olga', roles: ['operator'] })).body;
    const refused = await h.api(
      'POST',
      '/v1/connectors',
      { name: 'x', baseUrl: 'https://x.example.com' },
      { authorization: `Bearer ${op.key}` },
    );
    expect(refused.status).toBe(403);
    const c = (await h.api('GET', '/v1/connectors/vendor')).body;
    expect(c.auth).toEqual({ type: 'bearer' });
    expect(c.secretsSet).toEqual(['auth.token']);
    expect(JSON.stringify((await h.api('GET', '/v1/connectors')).body)).not.toContain('secret-token-123');
  });

  it('refuses a bad connector naming each field, and a template that does not parse with its position', async () => {
    const r = await h.api('POST', '/v1/connectors', {
      name: '',
      baseUrl: 'ftp://x',
      auth: { type: 'basic', username: 'u' },
      rateLimits: [{ limit: 0, per: 'soon' }],
    });
    expect(r.status).toBe(422);
    expect(r.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'auth.password',
      'baseUrl',
      'name',
      'rateLimits[0].limit',
      'rateLimits[0].per',
    ]);
    // The same window twice (60m is 1h): one counter, which halved both limits; refused, naming the second.
    const twice = await h.api('POST', '/v1/connectors', {
      name: 'twice',
      baseUrl: 'http://127.0.0.1:9',
      rateLimits: [
        { limit: 100, per: '1h' },
        { limit: 5, per: '1s' },
        { limit: 50, per: '60m' },
      ],
    });
    expect(twice.status).toBe(422);
    expect(twice.body.errors).toEqual([
      { field: 'rateLimits[2].per', message: 'repeats the window of rateLimits[0]; give each window length once, with its limit' },
    ]);
    expect((await h.api('GET', '/v1/connectors/twice')).status).toBe(404);
    const t = await h.api('POST', '/v1/action-types', {
      name: 'broken',
      connector: 'vendor',
      path: '/x/{{ Name',
      retry: { maxRetries: -1 },
    });
    expect(t.status).toBe(422);
    const fields = t.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toContain('retry.maxRetries');
    const t2 = await h.api('POST', '/v1/action-types', { name: 'broken2', connector: 'vendor', path: '/x/{{ Name' });
    expect(t2.body.errors[0]).toMatchObject({ field: 'path', message: expect.stringContaining('position 3') });
    expect((await h.api('GET', '/v1/action-types/broken2')).status).toBe(404);
  });

  it('publishes the JSON Schema of an action type and an OpenAPI document', async () => {
    const s = (await h.api('GET', '/v1/action-types/typed/schema')).body;
    expect(s).toMatchObject({
      type: 'object',
      properties: { Priority: { type: 'integer' }, Title: { type: 'string' } },
      additionalProperties: false,
    });
    const doc = (await h.api('GET', '/openapi.json', undefined, { authorization: '' })).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/actions', '/v1/actions/{id}', '/v1/callbacks/{token}', '/v1/action-types/{id}/schema']),
    );
    // Integrators find the Idempotency-Key where it works.
    for (const path of ['/v1/actions', '/v1/cases', '/v1/bulk-launches', '/v1/bulk-replays']) {
      const header = doc.paths[path].post.parameters?.find(
        (p: { in: string; name: string }) => p.in === 'header' && p.name === 'idempotency-key',
      );
      expect(header?.description, path).toMatch(/safe to repeat/);
    }
  });
});
