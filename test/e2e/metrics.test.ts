// GET /metrics: what a Prometheus server scraping a node sees after real actions went to the loopback
// mock (attempts per connector, timer lateness, open actions by state, the HTTP API by route), and
// who may scrape it.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { startRecorder, type Recorder } from '../helpers/recorder.ts';

let h: Harness;
let receiver: Recorder;
beforeAll(async () => {
  // Each scrape renders afresh here: these tests look for what they just did. The last test has the default.
  h = await startHarness({ server: { metricsReuseMs: 0 } });
  // A receiver that takes launches and turns away every other event.
  receiver = await startRecorder((r) => (r.body.includes('"action.launched"') ? { status: 204, body: '' } : { status: 500, body: 'no' }));
  const hook = await h.api('POST', '/v1/webhooks', { url: `${receiver.url}/hooks`, events: ['action.launched', 'action.state_changed'] });
  expect(hook.status, JSON.stringify(hook.body)).toBe(201);
  await connector(h);
  await actionType(h, { name: 'm-ok', path: '/ok' });
  await actionType(h, { name: 'm-fail', path: '/fail-then-ok', retry: { maxRetries: 3, interval: '50ms' } });
  await actionType(h, { name: 'm-reject', path: '/reject' });
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

/** The samples of a scrape, as `name{labels}` → value. */
const samples = (text: string): Map<string, number> => {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
};

const scrape = async (key?: string): Promise<{ status: number; type: string; text: string }> => {
  const res = await fetch(`${h.url}/metrics`, { headers: { authorization: `Bearer ${key ?? h.adminKey}` } });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
};

it("a scrape after real sends counts the node's attempts per connector, its timer lateness, open actions by state and its API requests by route", async () => {
  const ok = await Promise.all([1, 2, 3].map(() => launch(h, 'm-ok')));
  const flaky = await launch(h, 'm-fail');
  const rejected = await launch(h, 'm-reject');
  for (const a of ok) await h.waitFor(a.id, (x) => x.state === 'closed');
  await h.waitFor(flaky.id, (x) => x.state === 'closed');
  await h.waitFor(rejected.id, (x) => x.state === 'todo');

  const res = await scrape();
  expect(res.status).toBe(200);
  expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
  const m = samples(res.text);
  // 3 + 2 (a 503, then its retry) + 1 sent; 2 failed (the 503 and the 400), as the dashboard counts them.
  expect(m.get('callout_attempts_total{connector="vendor",result="sent"}')).toBe(6);
  expect(m.get('callout_attempts_total{connector="vendor",result="failed"}')).toBe(2);
  expect(m.get('callout_actions{state="todo"}')).toBe(1);
  expect(m.get('callout_actions{state="waiting"}')).toBe(0);
  expect(m.get('callout_actions_waiting{phase="retry_scheduled"}')).toBe(0);
  expect(m.get('callout_connector_circuit{connector="vendor",circuit="closed"}')).toBe(1);
  expect(m.get('callout_connector_circuit{connector="vendor",circuit="open"}')).toBe(0);
  expect(m.get('callout_connector_needs_attention{connector="vendor"}')).toBe(0);
  // Every due action claimed was timed: the five launches and the retry.
  expect(m.get('callout_timer_lateness_seconds_count')).toBeGreaterThanOrEqual(6);
  // Requests by route pattern, never by raw path (an id per series would grow without end).
  expect(m.get('callout_http_request_duration_seconds_count{method="POST",route="/v1/actions",status="201"}')).toBe(5);
  expect([...m.keys()].some((k) => k.includes(ok[0]!.id))).toBe(false);
  expect(m.get('callout_info{store="sqlite",node="' + h.callout.engine.instanceId + '"}')).toBe(1);
  // Webhook attempts by what came of them: the launches delivered, the state changes to be tried again.
  await expect
    .poll(async () => samples((await scrape()).text).get('callout_webhook_attempts_total{result="delivered"}'))
    .toBeGreaterThanOrEqual(5);
  const later = samples((await scrape()).text);
  expect(later.get('callout_webhook_attempts_total{result="retry"}')).toBeGreaterThanOrEqual(1);
  expect(later.get('callout_webhook_attempts_total{result="endpoint_gone"}')).toBe(0);
  // The process itself, as every Node service exports it.
  expect(m.get('process_cpu_seconds_total')).toBeGreaterThan(0);
  expect([...m.keys()].some((k) => k.startsWith('nodejs_eventloop_lag_p99_seconds'))).toBe(true);
});

it('an unmatched path is one series, not one per path, and an unusual method is "other", not a series each', async () => {
  for (const p of ['/nope-1', '/nope-2', '/v1/nope-3']) expect((await h.api('GET', p)).status).toBe(404);
  for (const method of ['MKCOL', 'PROPFIND', 'LOCK']) await fetch(`${h.url}/nope`, { method });
  const m = samples((await scrape()).text);
  expect([...m.keys()].some((k) => /MKCOL|PROPFIND|LOCK/.test(k))).toBe(false);
  expect([...m.keys()].some((k) => k.startsWith('callout_http_request_duration_seconds_count{method="other",route="unmatched"'))).toBe(
    true,
  );
  expect(m.get('callout_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}')).toBeGreaterThanOrEqual(3);
  expect([...m.keys()].some((k) => k.includes('nope'))).toBe(false);
});

it('is for people and admins: an integration key is refused, no key is 401, and the answer never carries a secret', async () => {
  const integration = (await h.callout.apiKeys.create({ name: 'm-integration', roles: ['integration'] })).key;
  const operator = (await h.callout.apiKeys.create({ name: 'm-operator', roles: ['operator'] })).key;
  expect((await scrape(integration)).status).toBe(403);
  expect((await fetch(`${h.url}/metrics`)).status).toBe(401);
  const res = await scrape(operator);
  expect(res.status).toBe(200);
  expect(res.text).not.toContain('secret-token-123');
  expect(res.text).not.toContain(h.adminKey);
});

it('a key with the metrics role alone scrapes and can do nothing else: not read the work, not act on it, not open the web UI', async () => {
  const created = await h.api('POST', '/v1/api-keys', { name: 'prometheus', roles: ['metrics'] });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const key = (created.body as { key: string }).key;
  expect((await scrape(key)).status).toBe(200);
  const as = async (method: string, path: string, body?: unknown): Promise<{ status: number; detail: string }> => {
    const res = await fetch(`${h.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, detail: ((await res.json()) as { detail: string }).detail };
  };
  const before = await h.callout.actions.listActions({});
  // Routes open to every key (reads of actions and configuration) as well as those that name roles.
  const refused = [
    await as('GET', '/v1/actions'),
    await as('GET', `/v1/actions/${before.items[0]!.id}`),
    await as('GET', '/v1/connectors'),
    await as('GET', '/v1/action-types'),
    await as('POST', '/v1/actions', { actionType: 'm-ok', input: {} }),
    await as('GET', '/v1/users'),
    await as('GET', '/v1/api-keys'),
    await as('GET', '/v1/dashboard'),
  ];
  for (const r of refused) expect(r.status).toBe(403);
  expect(refused[0]!.detail).toContain('only the metrics role');
  expect((await h.callout.actions.listActions({})).items.length).toBe(before.items.length);
  const ui = await fetch(`${h.url}/ui/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key }),
  });
  expect(ui.status).toBe(403);
  expect(ui.headers.get('set-cookie')).toBeNull();
  // The role is a word of the API keys' contract, refused like any unknown one when misspelt.
  const typo = await h.api('POST', '/v1/api-keys', { name: 'prom-typo', roles: ['metric'] });
  expect(typo.status).toBe(422);
});

it('one rendering serves every scrape for a second, so eager scrapers cannot keep the node busy rendering', async () => {
  const d = await startHarness();
  try {
    const get = async (): Promise<string> =>
      (await fetch(`${d.url}/metrics`, { headers: { authorization: `Bearer ${d.adminKey}` } })).text();
    const count = (text: string): number | undefined =>
      samples(text).get('callout_http_request_duration_seconds_count{method="GET",route="/metrics",status="200"}');
    const first = await get();
    // Twenty at once and then more one after another within the second: all get the first rendering,
    // which counts none of the scrapes after it.
    const burst = await Promise.all(Array.from({ length: 20 }, get));
    const next = await get();
    expect(new Set([first, ...burst, next]).size).toBe(1);
    // Past the second, a scrape renders again and sees the scrapes before it.
    await new Promise((r) => setTimeout(r, 1_100));
    expect(count(await get())).toBeGreaterThanOrEqual(22);
  } finally {
    await d.close();
  }
});
