// The read-only endpoints beside the API that the screens use: counts per state (on both stores),
// server-sent events, the template preview, the dashboard; and the bundle-size budget.

import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { createLogger } from '../../src/logger.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema, withAdmin } from '../helpers/pg.ts';
import { getBundle } from '../../src/ui/bundle.ts';
import { keyWith } from './browser.ts';
import { launched } from '../store-conformance/stores.ts';
import type { FastifyReply } from 'fastify';
import { EventHub, MAX_FEEDS_PER_KEY, MAX_UNREAD_BYTES } from '../../src/ui/events.ts';

/** The shipped bundle's budget, gzip: the UI must stay small as screens are added. */
const BUDGET_GZIP_BYTES = 45_000;

async function seed(h: Harness): Promise<{ failing: string }> {
  await connector(h);
  await actionType(h, { name: 'ok', path: '/ok', response: { externalReference: 'id' } });
  await actionType(h, { name: 'reject', path: '/reject' });
  await actionType(h, { name: 'down', path: '/status/503', retry: { maxRetries: 2, interval: '1h' } });
  const ids: string[] = [];
  for (const t of ['ok', 'ok', 'ok', 'reject', 'down']) ids.push((await h.api('POST', '/v1/actions', { actionType: t })).body.id);
  await h.waitFor(ids[0]!, (a) => a.state === 'closed');
  await h.waitFor(ids[1]!, (a) => a.state === 'closed');
  await h.waitFor(ids[2]!, (a) => a.state === 'closed');
  await h.waitFor(ids[3]!, (a) => a.state === 'todo');
  await h.waitFor(ids[4]!, (a) => a.phase === 'retry_scheduled');
  return { failing: ids[4]! };
}

const stores: Array<[string, () => Promise<{ opts: Parameters<typeof startHarness>[0]; cleanup: () => Promise<void> }>]> = [
  ['SQLite', async () => ({ opts: {}, cleanup: async () => undefined })],
  [
    'PostgreSQL',
    async () => {
      await withAdmin(async () => undefined);
      const schema = freshSchema('ui');
      const store = new PostgresStore({
        connectionString: TEST_DATABASE_URL,
        schema,
        poolSize: 4,
        logger: createLogger({ level: 'silent' }),
      });
      return {
        opts: { callout: { store, secretKey: '0'.repeat(64) } },
        cleanup: () => dropSchema(schema),
      };
    },
  ],
];

describe.each(stores)('counts per state on %s', (_name, open) => {
  let h: Harness;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const s = await open();
    cleanup = s.cleanup;
    h = await startHarness(s.opts);
    await seed(h);
  });
  afterAll(async () => {
    await h?.close();
    await cleanup?.();
  });

  it('counts actions per state, phase, reason and resolution, under the list’s filters', async () => {
    const all = await h.api('GET', '/v1/actions/counts');
    expect(all.status).toBe(200);
    expect(all.body.states).toEqual({ waiting: 1, todo: 1, in_progress: 0, closed: 3 });
    expect(all.body.phases).toMatchObject({ retry_scheduled: 1, queued: 0, throttled: 0 });
    expect(all.body.reasons).toMatchObject({ request_rejected: 1, timeout: 0 });
    expect(all.body.resolutions).toEqual({ done_successfully: 3, not_done_successfully: 0 });
    expect(all.body.more).toBe(false);
    const ok = await h.api('GET', '/v1/actions/counts?actionType=ok');
    expect(ok.body.states).toEqual({ waiting: 0, todo: 0, in_progress: 0, closed: 3 });
    const ref = (await h.api('GET', '/v1/actions?actionType=ok&limit=1')).body.items[0].externalReference;
    expect((await h.api('GET', `/v1/actions/counts?externalReference=${ref}`)).body.states.closed).toBe(1);
  });

  it('refuses a bad filter with a problem naming the field', async () => {
    // As the list reads them (one reading of the work filter): a value of the wrong kind first, as the
    // schema's; then every name that does not exist.
    for (const path of ['/v1/actions', '/v1/actions/counts']) {
      const r = await h.api('GET', `${path}?actionType=nope&escalated=maybe`);
      expect(r.status).toBe(422);
      expect(r.body.errors.map((e: { field: string }) => e.field)).toEqual(['escalated']);
      const names = await h.api('GET', `${path}?actionType=nope&connector=gone`);
      expect(names.status).toBe(422);
      expect(names.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['actionType', 'connector']);
    }
    const unknown = await h.api('GET', '/v1/actions/counts?colour=red');
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0].field).toBe('colour');
  });
});

describe('the other UI endpoints', () => {
  let h: Harness;
  let failing: string;
  beforeAll(async () => {
    h = await startHarness();
    ({ failing } = await seed(h));
  });
  afterAll(async () => h?.close());

  it('shows the fields and JSON Schema of templates as they are, saving nothing', async () => {
    const r = await h.api('POST', '/v1/action-types/preview-fields', {
      path: '/tickets/{{ TicketNo }}',
      body: { format: 'json', template: '{"title": "{{ Title }}", "cb": "{{ $callbackUrl }}"}' },
      fields: { TicketNo: { type: 'integer' } },
    });
    expect(r.status).toBe(200);
    expect(r.body.fields).toEqual({ TicketNo: { type: 'integer', required: true }, Title: { type: 'string', required: true } });
    expect(r.body.systemTokens).toEqual(['$callbackUrl']);
    expect(r.body.schema.properties.TicketNo).toEqual({ type: 'integer' });
    const bad = await h.api('POST', '/v1/action-types/preview-fields', { body: { format: 'json', template: '{"title": "{{ Title }"}' } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('body.template');
    expect(bad.body.errors[0].message).toMatch(/at position \d+/);
    const operator = await keyWith(h, 'op', ['operator']);
    const refused = await h.api('POST', '/v1/action-types/preview-fields', { path: '/x' }, { authorization: `Bearer ${operator}` });
    expect(refused.status).toBe(403);
    expect((await h.api('GET', '/v1/action-types')).body.items).toHaveLength(3);
  });

  it('streams which actions changed as server-sent events, to authorised clients only', async () => {
    const anonymous = await request(`${h.url}/v1/events`);
    expect(anonymous.statusCode).toBe(401);
    await anonymous.body.text();
    const ac = new AbortController();
    const res = await request(`${h.url}/v1/events`, { headers: { authorization: `Bearer ${h.adminKey}` }, signal: ac.signal });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    let text = '';
    const seen = (async () => {
      for await (const chunk of res.body) {
        text += String(chunk);
        if (/event: actions\ndata: .*"state":"closed"/.test(text)) return;
      }
    })();
    await new Promise((r) => setTimeout(r, 600));
    const launched = (await h.api('POST', '/v1/actions', { actionType: 'ok' })).body.id as string;
    await seen;
    ac.abort();
    const messages = [...text.matchAll(/event: actions\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]!));
    const change = messages.flatMap((m) => m.changes).find((c: { id: string }) => c.id === launched);
    expect(change).toEqual({ id: launched, state: 'closed', phase: null, reason: null, resolution: 'done_successfully' });
    // Ids and state words only: nothing of the action's input or answers travels on the stream.
    expect(Object.keys(messages[0])).toEqual(['changes', 'overflow', 'newestId']);
  });

  it('holds at most 20 live feeds per key, and drops a feed that leaves more than 256 KB unread', async () => {
    const olga = await keyWith(h, 'olga-feeds', ['operator']);
    // A controller per feed: undici adds an abort listener per request to the signal it is given and
    // keeps it while the stream is open, so one signal shared by 22 open feeds warned of a leak.
    const controllers: AbortController[] = [];
    const open = (key = olga) => {
      const ac = new AbortController();
      controllers.push(ac);
      return request(`${h.url}/v1/events`, { headers: { authorization: `Bearer ${key}` }, signal: ac.signal });
    };
    try {
      const feeds = [];
      for (let i = 0; i < MAX_FEEDS_PER_KEY; i++) feeds.push(await open());
      expect(feeds.every((f) => f.statusCode === 200)).toBe(true);
      const more = await open();
      expect([more.statusCode, more.headers['content-type'], more.headers['retry-after']]).toEqual([
        429,
        'application/problem+json; charset=utf-8',
        '10',
      ]);
      expect(JSON.parse(await more.body.text())).toMatchObject({ code: 'RATE_LIMITED', detail: expect.stringContaining('20 live feeds') });
      // Another key is not held by olga's feeds.
      const admin = await open(h.adminKey);
      expect(admin.statusCode).toBe(200);
    } finally {
      for (const ac of controllers) ac.abort();
    }

    // A feed whose reader has left 300 KB unread is ended. Its socket is a stand-in: a real loopback
    // socket buffers megabytes before the server sees anything unread.
    const hub = new EventHub(h.callout, 50);
    const written: string[] = [];
    const feed = (unread: number) => {
      let destroyed = false;
      const raw = {
        writableLength: unread,
        write: (t: string) => void written.push(t),
        destroy: () => void (destroyed = true),
        end: () => undefined,
      };
      return { reply: { raw, request: {} } as unknown as FastifyReply, destroyed: () => destroyed };
    };
    const slow = feed(MAX_UNREAD_BYTES + 1);
    const reading = feed(0);
    hub.add(slow.reply);
    hub.add(reading.reply);
    await expect.poll(() => slow.destroyed(), { timeout: 5_000 }).toBe(true);
    await expect.poll(() => written.length, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(reading.destroyed()).toBe(false);
    hub.close();
  });

  it('reports sends and failures per connector, circuits and the throttled backlog', async () => {
    await h.api('POST', `/v1/actions/${failing}/retry`);
    await h.waitFor(failing, (a) => a.attempts === 2 && a.phase === 'retry_scheduled');
    const r = await h.api('GET', '/v1/dashboard');
    expect(r.status).toBe(200);
    const vendor = r.body.connectors.find((c: { name: string }) => c.name === 'vendor');
    expect(vendor.status.circuit).toBe('closed');
    expect(vendor.throttled).toBe(0);
    expect(vendor.series).toHaveLength(60);
    const sends = vendor.series.reduce((s: number, p: { sends: number }) => s + p.sends, 0);
    const failures = vendor.series.reduce((s: number, p: { failures: number }) => s + p.failures, 0);
    // Four closed `ok` (one launched by the events test), one rejected with a 400, and two failed
    // attempts of `down`, the second by hand; the 400 and the two 503s are the failures.
    expect(sends).toBe(7);
    expect(failures).toBe(3);
    // Actions held behind the vendor's rate limit (due in an hour, so the engine leaves them be).
    const types = (await h.api('GET', '/v1/action-types')).body.items as Array<{ id: string; connector: string }>;
    const vendorType = types.find((t) => t.connector === vendor.id)!;
    const later = Date.now() + 3_600_000;
    await h.callout.store.insertActions(
      [0, 1, 2].map((i) => launched({ actionTypeId: vendorType.id, phase: 'throttled', dueAt: later, createdAt: Date.now() + i })),
    );
    const held = (await h.api('GET', '/v1/dashboard')).body.connectors.find((c: { name: string }) => c.name === 'vendor');
    expect(held.throttled).toBe(3);
  });

  it('keeps the shipped bundle within its budget', async () => {
    const b = await getBundle();
    // What every page load fetches: app.js, the CSS, and the chunks app.js imports statically.
    const initial = b.initial.reduce((n, c) => n + b.chunks.get(c)!.gzip.length, 0);
    expect(b.js.gzip.length + b.css.gzip.length + initial).toBeLessThan(BUDGET_GZIP_BYTES);
  });

  it('serves the chunks loaded on demand (the cURL import) beside the bundle, and the page preloads the ones app.js imports', async () => {
    const b = await getBundle();
    const onDemand = [...b.chunks.keys()].filter((c) => !b.initial.includes(c));
    expect(onDemand.length).toBeGreaterThan(0);
    for (const c of b.chunks.keys()) {
      const r = await request(`${h.url}/ui/assets/${c}`);
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toContain('text/javascript');
      expect(await r.body.text()).toBe(b.chunks.get(c)!.body.toString());
    }
    const page = await (await request(`${h.url}/ui/work`)).body.text();
    for (const c of b.initial) expect(page).toContain(`<link rel="modulepreload" href="/ui/assets/${c}">`);
    expect((await request(`${h.url}/ui/assets/chunk-NOTREAL.js`)).statusCode).toBe(404);
  });
});
