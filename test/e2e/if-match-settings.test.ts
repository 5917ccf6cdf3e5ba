// Webhook subscriptions and schedules under If-Match, over real HTTP on both stores. Their entity tag
// is one of what the builder chose, not of their revision: Callout recording a failing streak,
// disabling an endpoint or a schedule's tick leaves it as it was, so a builder's screen opened before
// still saves; a change by someone else makes it stale (412, nothing changed). Two changes sent with
// one tag at once: exactly one is made.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, type Harness } from '../helpers/harness.ts';
import { STORES, harnessOn, startReceiver, until, type Receiver } from '../webhooks/helpers.ts';

/** Makes the first two calls of `obj[method]` wait for each other after reading: both read the same row before either writes. */
function readTogether(obj: object, method: string): () => void {
  const target = obj as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const own = Object.prototype.hasOwnProperty.call(target, method);
  const orig = target[method]!;
  let arrived = 0;
  let release!: () => void;
  const both = new Promise<void>((r) => (release = r));
  target[method] = async (...args: unknown[]) => {
    const row = await orig.apply(obj, args);
    if (arrived < 2) {
      arrived += 1;
      if (arrived === 2) release();
      await both;
    }
    return row;
  };
  return () => {
    if (own) target[method] = orig;
    else delete target[method];
  };
}

describe.each(STORES)('If-Match on settings (%s)', (store) => {
  let h: Harness;
  let rx: Receiver;
  beforeAll(async () => {
    h = await harnessOn(store, { callout: { webhooks: { pollIntervalMs: 50 } } });
    rx = await startReceiver();
    await connector(h);
    await actionType(h, { name: 'sync-ok', path: '/ok' });
  });
  afterAll(async () => {
    await h.close();
    await rx.close();
  });

  let made = 0;
  const resources = [
    {
      kind: 'webhook',
      create: async () => (await h.api('POST', '/v1/webhooks', { url: rx.url, events: ['case.created'], description: 'v0' })).body,
      path: (id: string) => `/v1/webhooks/${id}`,
      collection: '/v1/webhooks',
      read: async (id: string) => h.callout.store.getWebhookSubscription(id),
      storeRead: 'getWebhookSubscription',
      change: (n: number) => ({ description: `v${n}` }),
      field: 'description',
    },
    {
      kind: 'schedule',
      create: async () =>
        (await h.api('POST', '/v1/schedules', { name: `nightly-${store}-${++made}`, cron: '@daily', launch: { actionType: 'sync-ok' } }))
          .body,
      path: (id: string) => `/v1/schedules/${id}`,
      collection: '/v1/schedules',
      read: async (id: string) => h.callout.store.getSchedule(id),
      storeRead: 'getSchedule',
      change: (n: number) => ({ cron: `0 ${n % 24} * * *` }),
      field: 'cron',
    },
  ] as const;

  describe.each(resources)('$kind', (r) => {
    it('create, read and change answer the ETag of the settings (also as `etag`); a list gives each its etag', async () => {
      const c = await r.create();
      const read = await h.api('GET', r.path(c.id));
      expect(read.status).toBe(200);
      expect(read.headers.etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
      expect(read.body.etag).toBe(read.headers.etag);
      expect(c.etag).toBe(read.headers.etag);
      const list = await h.api('GET', r.collection);
      expect(list.headers.etag).toBeUndefined();
      expect(list.body.items.find((x: { id: string }) => x.id === c.id).etag).toBe(read.headers.etag);
      const patched = await h.api('PATCH', r.path(c.id), r.change(1), { 'if-match': read.headers.etag as string });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      expect(patched.headers.etag).toBe(patched.body.etag);
      expect(patched.headers.etag).not.toBe(read.headers.etag);
      expect((await h.api('GET', r.path(c.id))).headers.etag).toBe(patched.headers.etag);
    });

    it('a stale If-Match is refused with 412 and nothing changes; the current one applies, then is stale itself', async () => {
      const c = await r.create();
      const etag = (await h.api('GET', r.path(c.id))).headers.etag as string;
      expect((await h.api('PATCH', r.path(c.id), r.change(2), { 'if-match': etag })).status).toBe(200);
      const before = await r.read(c.id);
      const second = await h.api('PATCH', r.path(c.id), r.change(3), { 'if-match': etag });
      expect(second.status).toBe(412);
      expect(second.headers['content-type']).toContain('application/problem+json');
      expect(second.body.code).toBe('PRECONDITION_FAILED');
      expect(second.body.detail).toContain('changed since you read it');
      expect(await r.read(c.id)).toEqual(before);
      expect((await h.api('GET', r.path(c.id))).body[r.field]).toBe(r.change(2)[r.field as never]);
    });

    it('a malformed If-Match is refused by name (422) and changes nothing; * and no header apply to what is stored', async () => {
      const c = await r.create();
      const before = await r.read(c.id);
      const tag = c.etag as string;
      for (const bad of ['3', '"3"', `W/${tag}`, `${tag}, ${tag}`, '""', tag.slice(1, -1), `"${'a'.repeat(23)}"`]) {
        const res = await h.api('PATCH', r.path(c.id), r.change(4), { 'if-match': bad });
        expect(res.status, bad).toBe(422);
        expect(res.body.errors[0].field, bad).toBe('If-Match');
      }
      expect(await r.read(c.id)).toEqual(before);
      const star = await h.api('PATCH', r.path(c.id), r.change(5), { 'if-match': '*' });
      expect(star.status).toBe(200);
      expect(star.body[r.field]).toBe(r.change(5)[r.field as never]);
      const none = await h.api('PATCH', r.path(c.id), r.change(6));
      expect(none.status).toBe(200);
      expect(none.body[r.field]).toBe(r.change(6)[r.field as never]);
    });

    it('two changes sent at once with the same tag: one is made, the other is refused with 412', async () => {
      const c = await r.create();
      // Both read the same stored row before either writes: the tag is compared again after a lost write.
      const restore = readTogether(h.callout.store, r.storeRead);
      let answers;
      try {
        answers = await Promise.all([
          h.api('PATCH', r.path(c.id), r.change(7), { 'if-match': c.etag }),
          h.api('PATCH', r.path(c.id), r.change(8), { 'if-match': c.etag }),
        ]);
      } finally {
        restore();
      }
      expect(answers.map((a) => a.status).sort()).toEqual([200, 412]);
      const won = answers.find((a) => a.status === 200)!;
      const now = await h.api('GET', r.path(c.id));
      expect(now.body[r.field]).toBe(won.body[r.field]);
      expect(now.headers.etag).toBe(won.headers.etag);
    });

    it('a DELETE under If-Match: malformed is 422, stale is 412, and neither deletes; the current tag deletes', async () => {
      const c = await r.create();
      expect((await h.api('DELETE', r.path(c.id), undefined, { 'if-match': 'W/"3"' })).status).toBe(422);
      const changed = await h.api('PATCH', r.path(c.id), r.change(9), { 'if-match': c.etag });
      expect(changed.status).toBe(200);
      const stale = await h.api('DELETE', r.path(c.id), undefined, { 'if-match': c.etag });
      expect(stale.status).toBe(412);
      expect(stale.body.detail).toContain('changed since you read it');
      expect((await h.api('GET', r.path(c.id))).body[r.field]).toBe(r.change(9)[r.field as never]);
      const gone = await h.api('DELETE', r.path(c.id), undefined, { 'if-match': changed.headers.etag as string });
      expect(gone.status).toBeLessThan(300);
      expect((await h.api('GET', r.path(c.id))).status).toBe(404);
      expect((await h.api('DELETE', r.path(c.id), undefined, { 'if-match': changed.headers.etag as string })).status).toBe(404);
    });

    it('a change and a delete sent at once with the same tag: exactly one is made', async () => {
      const c = await r.create();
      const restore = readTogether(h.callout.store, r.storeRead);
      let answers;
      try {
        answers = await Promise.all([
          h.api('PATCH', r.path(c.id), r.change(10), { 'if-match': c.etag }),
          h.api('DELETE', r.path(c.id), undefined, { 'if-match': c.etag }),
        ]);
      } finally {
        restore();
      }
      const [patch, del] = answers;
      const now = await h.api('GET', r.path(c.id));
      if (patch.status === 200) {
        // The change won: the delete read the row again and found it changed.
        expect(del.status).toBe(412);
        expect(now.body[r.field]).toBe(r.change(10)[r.field as never]);
      } else {
        // The delete won: the change found nothing to change.
        expect([patch.status, del.status < 300, now.status]).toEqual([404, true, 404]);
      }
    });
  });

  it("webhooks: Callout recording failures, disabling the endpoint or rotating its secret leaves the tag; the builder's change still applies", async () => {
    rx.answer = () => ({ status: 500 });
    const c = (await h.api('POST', '/v1/webhooks', { url: rx.url, events: ['case.created'] })).body;
    const tag = c.etag as string;
    expect(tag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    const revision = (await h.callout.store.getWebhookSubscription(c.id))!.revision;

    await h.callout.cases.createCase({});
    const failing = await until('a failing streak', async () => {
      const w = await h.api('GET', `/v1/webhooks/${c.id}`);
      return w.body.failingSince ? w : undefined;
    });
    expect((await h.callout.store.getWebhookSubscription(c.id))!.revision).toBeGreaterThan(revision);
    expect(failing.headers.etag).toBe(tag);

    // 410 Gone disables it at once (another case: its own chain, not held behind the failing one).
    rx.answer = () => ({ status: 410 });
    await h.callout.cases.createCase({});
    const disabled = await until('disabled', async () => {
      const w = await h.api('GET', `/v1/webhooks/${c.id}`);
      return w.body.disabledAt ? w : undefined;
    });
    expect(disabled.body.enabled).toBe(false);
    expect(disabled.headers.etag).toBe(tag);
    expect(disabled.body.etag).toBe(tag);

    const rotated = await h.api('POST', `/v1/webhooks/${c.id}/rotate-secret`, {});
    expect(rotated.status).toBe(200);
    expect(rotated.headers.etag).toBe(tag);
    expect(rotated.body.etag).toBe(tag);

    // The screen opened before all that enables it again: nobody changed what the builder chose.
    rx.answer = () => ({ status: 204 });
    const enabled = await h.api('PATCH', `/v1/webhooks/${c.id}`, { enabled: true }, { 'if-match': tag });
    expect(enabled.status, JSON.stringify(enabled.body)).toBe(200);
    expect(enabled.body).toMatchObject({ enabled: true, disabledAt: null, failingSince: null });
  });

  it("schedules: ticks move the next run and the last tick but not the tag; the builder's change still applies", async () => {
    const c = (
      await h.api('POST', '/v1/schedules', { name: `every-second-${store}`, cron: '* * * * * *', launch: { actionType: 'sync-ok' } })
    ).body;
    const tag = c.etag as string;
    expect(tag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    const ticked = await until('two ticks', async () => {
      const s = await h.api('GET', `/v1/schedules/${c.id}`);
      return s.body.recentTicks.length >= 2 ? s : undefined;
    });
    expect(ticked.body.lastTickAt).not.toBeNull();
    expect(ticked.body.nextRunAt).not.toBe(c.nextRunAt);
    expect(ticked.headers.etag).toBe(tag);
    expect(ticked.body.etag).toBe(tag);
    const paused = await h.api('PATCH', `/v1/schedules/${c.id}`, { paused: true }, { 'if-match': tag });
    expect(paused.status, JSON.stringify(paused.body)).toBe(200);
    expect(paused.body.paused).toBe(true);
    expect(paused.headers.etag).not.toBe(tag);
  });

  it("a schedule's tag is the same whatever order the store gives its launch's keys back in (PostgreSQL's jsonb sorts them its way)", async () => {
    const proc = await h.api('POST', '/v1/processes', { name: `p-${store}`, steps: [{ name: 'a', kind: 'map', expression: '{}' }] });
    expect(proc.status, JSON.stringify(proc.body)).toBe(201);
    const data = { longer_key: null, zeta: 1, alpha: { charlie_long: 'x', yankee: [{ whiskey: 1, bravo: 2 }] } };
    const c = await h.api('POST', '/v1/schedules', { name: `ordered-${store}`, cron: '@daily', launch: { process: `p-${store}`, data } });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    expect(c.headers.etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    const read = await h.api('GET', `/v1/schedules/${c.body.id}`);
    expect(read.headers.etag).toBe(c.headers.etag);
    const r = await h.api('PATCH', `/v1/schedules/${c.body.id}`, { paused: true }, { 'if-match': c.headers.etag as string });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  });

  it('the OpenAPI document gives both PATCHes and both DELETEs the If-Match header and its 412', async () => {
    const doc = (await h.api('GET', '/openapi.json')).body;
    for (const p of ['/v1/webhooks/{id}', '/v1/schedules/{id}'])
      for (const method of ['patch', 'delete']) {
        const op = doc.paths[p][method];
        expect(
          op.parameters.some((x: { in: string; name: string }) => x.in === 'header' && x.name === 'if-match'),
          p,
        ).toBe(true);
        expect(op.responses['412'], p).toBeDefined();
      }
  });
});
