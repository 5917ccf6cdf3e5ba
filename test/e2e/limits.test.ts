// Connector limits end to end: fixed-window rate limits and maxConcurrency hold sends back (phase
// throttled, not counted as retries) and the mock external system's own log shows no overshoot.

import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { actionType, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { overLimit } from '../helpers/rate-windows.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

it('a rate-limited connector never gets more than its limit in a window; held actions are throttled, not retried', async () => {
  await h.api('POST', '/v1/connectors', {
    name: 'limited',
    baseUrl: h.mock.url,
    rateLimits: [
      { limit: 5, per: '500ms' },
      { limit: 1000, per: '1d' },
    ],
  });
  await actionType(h, {
    connector: 'limited',
    name: 'rl',
    path: '/ok',
    body: { format: 'json', template: '{"n": "{{ N }}"}' },
    fields: { N: { type: 'integer' } },
  });
  const ids: string[] = [];
  for (let i = 0; i < 25; i++) ids.push((await launch(h, 'rl', { N: i })).id);
  // Some are held at first, with the time they will go.
  const held = (await h.api('GET', '/v1/actions?actionType=rl&phase=throttled')).body.items;
  expect(held.length).toBeGreaterThan(0);
  expect(held[0].throttledUntil).not.toBeNull();
  expect(held[0].heldBy).toEqual({ reason: 'rate_limit', detail: 'limited allows 5 per 500 ms and 1,000 a day' });
  for (const id of ids) await h.waitFor(id, (a) => a.state === 'closed', 20_000);
  const times = h.mock.log.filter((e) => ids.includes(e.key!)).map((e) => e.at);
  expect(times).toHaveLength(25);
  // The mock runs in this process: allow for its event loop being busy when a request arrives.
  expect(overLimit(times, 500, 5, 200)).toBeNull();
  for (const id of ids) {
    const a = (await h.api('GET', `/v1/actions/${id}`)).body;
    expect(a).toMatchObject({ resolution: 'done_successfully', attempts: 1, retry: { count: 0 } });
  }
  // Waiting on the limit is noted once on the timeline, not at every window.
  const tl = (await h.api('GET', `/v1/actions/${ids[24]}/timeline`)).body.items;
  expect(tl.filter((e: { kind: string }) => e.kind === 'throttled').length).toBeLessThanOrEqual(1);
});

it('maxConcurrency caps the attempts in flight', async () => {
  await h.api('POST', '/v1/connectors', { name: 'narrow', baseUrl: h.mock.url, maxConcurrency: 3 });
  await actionType(h, { connector: 'narrow', name: 'slow-narrow', method: 'GET', path: '/slow?ms=150' });
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) ids.push((await launch(h, 'slow-narrow')).id);
  for (const id of ids) await h.waitFor(id, (a) => a.state === 'closed', 20_000);
  const times = h.mock.log
    .filter((e) => ids.includes(e.key!))
    .map((e) => e.at)
    .sort((a, b) => a - b);
  expect(times).toHaveLength(12);
  // Each attempt lasts 150 ms, so four arrivals within 140 ms would mean four in flight at once.
  for (let i = 3; i < times.length; i++) expect(times[i]! - times[i - 3]!).toBeGreaterThanOrEqual(140);
});

it('maxConcurrency lifted: what it held is sent, and meanwhile says so (it said "allows ? attempts")', async () => {
  await h.api('POST', '/v1/connectors', { name: 'lifted', baseUrl: h.mock.url, maxConcurrency: 1 });
  await actionType(h, { connector: 'lifted', name: 'slow-lifted', method: 'GET', path: '/slow?ms=1500' });
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) ids.push((await launch(h, 'slow-lifted')).id);
  const held = async () =>
    (await Promise.all(ids.map(async (id) => (await h.api('GET', `/v1/actions/${id}`)).body))).filter((a) => a.phase === 'throttled');
  await expect.poll(async () => (await held()).length, { timeout: 10_000 }).toBeGreaterThan(0);
  expect((await held())[0].heldBy).toEqual({ reason: 'max_concurrency', detail: 'lifted allows 1 attempts in flight' });
  expect((await h.api('PATCH', '/v1/connectors/lifted', { maxConcurrency: null })).status).toBe(200);
  const still = await held();
  expect(still.length).toBeGreaterThan(0); // looked at again only after 2–4 s
  for (const a of still)
    expect(a.heldBy).toEqual({
      reason: 'max_concurrency',
      detail: 'lifted has no concurrency limit now: sent at its next look, within seconds',
    });
  for (const id of ids) await h.waitFor(id, (a) => a.state === 'closed', 20_000);
});

it('a circuit breaker opens after failures in a row, holds sends without counting them, probes, and closes by itself', async () => {
  // Its own server, to read what the log says of the circuit.
  const logged: Array<{ level: number; msg: string }> = [];
  const h = await startHarness({
    callout: { logger: createLogger({ level: 'warn', destination: { write: (line: string) => void logged.push(JSON.parse(line)) } }) },
  });
  onTestFinished(() => h.close());
  await h.api('POST', '/v1/connectors', {
    name: 'breaker',
    baseUrl: h.mock.url,
    circuitBreaker: { failureThreshold: 3, cooldown: '400ms' },
  });
  await actionType(h, {
    connector: 'breaker',
    name: 'cb-flaky',
    path: '/fail-then-ok?times=5',
    retry: { maxRetries: 10, interval: '20ms', backoff: 'fixed' },
  });
  const a = await launch(h, 'cb-flaky');
  const held = await h.waitFor(a.id, (x) => x.phase === 'throttled', 10_000);
  expect(held.retry.count).toBe(2); // three failed attempts opened it
  expect(held.heldBy).toMatchObject({ reason: 'circuit_open' });
  const c = (await h.api('GET', '/v1/connectors/breaker')).body;
  expect(c.status).toMatchObject({ circuit: 'open', failures: 3, lastError: 'HTTP 503' });
  const done = await h.waitFor(a.id, (x) => x.state === 'closed', 15_000);
  expect(done).toMatchObject({ resolution: 'done_successfully', attempts: 6 });
  const times = h.mock.log.filter((e) => e.key === a.id).map((e) => e.at);
  expect(times).toHaveLength(6);
  // Attempts 4, 5 and 6 were probes, each after a cool-down.
  for (const i of [3, 4, 5]) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(390);
  expect((await h.api('GET', '/v1/connectors/breaker')).body.status).toMatchObject({ circuit: 'closed', failures: 0 });
  // The first failure found the circuit closed and left it so: nothing to say until it opened.
  const circuit = logged.filter((l) => l.msg.startsWith('circuit '));
  expect(circuit[0]).toMatchObject({ level: 40, msg: 'circuit open' });
  expect(circuit.at(-1)).toMatchObject({ msg: 'circuit closed' });
});
