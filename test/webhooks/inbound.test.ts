// Inbound requests addressed by connector and external reference, over real HTTP on both stores:
// signed with the connector's whsec_ inbound secret by the standardwebhooks package; unsigned,
// stale, replayed, wrong-secret, unknown-reference and no-secret requests all get the same 401 and
// change nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { Webhook } from 'standardwebhooks';
import { actionType, connector, launch, type Harness } from '../helpers/harness.ts';
import { generateSecret } from '../../src/webhooks/sign.ts';
import { MAX_REFERENCE_CHARS } from '../../src/json-limits.ts';
import { STORES, harnessOn } from './helpers.ts';

const SECRET = generateSecret();

describe.each(STORES)('signed inbound routes by reference on %s', (store) => {
  let h: Harness;
  let n = 0;
  beforeAll(async () => {
    h = await harnessOn(store);
    await connector(h, { inboundSecret: SECRET });
    await connector(h, { name: 'unsigned-vendor' });
    const cb = {
      path: '/callback?never=1',
      body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}"}' },
      completion: { mode: 'callback' },
    };
    await actionType(h, { name: 'vendor-ticket', ...cb });
    await actionType(h, { name: 'plain-ticket', connector: 'unsigned-vendor', ...cb });
    await actionType(h, { name: 'quick-ticket', ...cb, completion: { mode: 'callback', timeout: '1s' } });
  });
  afterAll(async () => h.close());

  /** An open action of `type` acknowledged with `ref` by its token. */
  async function withReference(type: string, ref: string): Promise<string> {
    const a = await launch(h, type);
    await h.waitFor(a.id, (x) => x.phase === 'awaiting_callback');
    const ack = await h.api('POST', `/v1/callbacks/${h.callout.engine.callbackToken(a.id)}/acknowledge`, { externalReference: ref });
    expect(ack.status).toBe(200);
    return a.id;
  }

  async function post(
    path: string,
    payload: unknown,
    sign: { secret?: string; atMs?: number; id?: string; none?: boolean } = {},
  ): Promise<{ status: number; body: any; id: string }> {
    // A string is sent as it is (bodies that are not JSON, or nested past any limit).
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const id = sign.id ?? `msg_${store}_${++n}`;
    const at = new Date(sign.atMs ?? Date.now());
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (!sign.none) {
      headers['webhook-id'] = id;
      headers['webhook-timestamp'] = String(Math.floor(at.getTime() / 1000));
      headers['webhook-signature'] = new Webhook(sign.secret ?? SECRET).sign(id, at, body);
    }
    const res = await request(`${h.url}${path}`, { method: 'POST', headers, body });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? JSON.parse(text) : undefined, id };
  }

  it('a request signed with the inbound secret reaches the newest open action with the reference', async () => {
    const older = await withReference('vendor-ticket', `INC-${store}-1`);
    const a = await withReference('vendor-ticket', `INC-${store}-1`);
    const msg = await post(`/v1/connectors/vendor/inbound/INC-${store}-1/messages`, { message: 'Engineer on the way' });
    expect(msg.status).toBe(200);
    expect(msg.body.id).toBe(a);
    const tl = (await h.api('GET', `/v1/actions/${a}/timeline`)).body.items;
    expect(tl.some((e: { message: string }) => e.message.includes('Engineer on the way'))).toBe(true);
    const done = await post(`/v1/connectors/vendor/inbound/INC-${store}-1`, { outcome: 'success', data: { zone: 'b', fixed: true, a: 1 } });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ id: a, state: 'closed', resolution: 'done_successfully' });
    // Sent again by its token, its keys in another order (as PostgreSQL keeps them): the same answer.
    const token = h.callout.engine.callbackToken(a);
    const again = await h.api('POST', `/v1/callbacks/${token}`, { outcome: 'success', data: { a: 1, fixed: true, zone: 'b' } });
    expect([again.status, again.body.id]).toEqual([200, a]);
    expect((await h.api('POST', `/v1/callbacks/${token}`, { outcome: 'success', data: { a: 2, fixed: true, zone: 'b' } })).status).toBe(
      409,
    );
    // The other one is now the newest open action with the reference.
    const next = await post(`/v1/connectors/vendor/inbound/INC-${store}-1/acknowledge`, { externalReference: `INC-${store}-2` });
    expect(next.status).toBe(200);
    expect(next.body.id).toBe(older);
  });

  it('a reference as long as Callout keeps (1000 characters, non-ASCII and a slash among them) is reached by reference', async () => {
    const ref = `Zürich/${store}-`.padEnd(MAX_REFERENCE_CHARS, 'x');
    const a = await withReference('vendor-ticket', ref);
    const msg = await post(`/v1/connectors/vendor/inbound/${encodeURIComponent(ref)}/messages`, { message: 'Long reference' });
    expect(msg.status, JSON.stringify(msg.body)).toBe(200);
    expect(msg.body.id).toBe(a);
    // One more character than any reference kept: refused before anything is looked up.
    const over = await post(`/v1/connectors/vendor/inbound/${encodeURIComponent(`${ref}x`)}/messages`, { message: 'x' });
    expect([400, 422]).toContain(over.status);
  });

  it("another connector's actions with the same reference (a common ticket number) do not hide this connector's action", async () => {
    const mine = await withReference('vendor-ticket', `SHARED-${store}`);
    // Newer, and more of them than the look-up reads at once.
    const others: string[] = [];
    for (let i = 0; i < 52; i++) others.push((await launch(h, 'plain-ticket')).id);
    for (const id of others) {
      await h.waitFor(id, (x) => x.phase === 'awaiting_callback');
      const ack = await h.api('POST', `/v1/callbacks/${h.callout.engine.callbackToken(id)}/acknowledge`, {
        externalReference: `SHARED-${store}`,
      });
      expect(ack.status).toBe(200);
    }
    const msg = await post(`/v1/connectors/vendor/inbound/SHARED-${store}/messages`, { message: 'Still ours' });
    expect(msg.status, JSON.stringify(msg.body)).toBe(200);
    expect(msg.body.id).toBe(mine);
  });

  it('unsigned, stale, future, replayed, wrong-secret, unknown-reference and unsigned-connector requests get the same 401 and change nothing', async () => {
    const a = await withReference('vendor-ticket', `INC-${store}-9`);
    await withReference('plain-ticket', `INC-${store}-9`);
    const path = `/v1/connectors/vendor/inbound/INC-${store}-9/messages`;
    const body = { message: 'forged' };
    const first = await post(path, { message: 'genuine' });
    expect(first.status).toBe(200);
    const refusals = [
      await post(path, body, { none: true }),
      // Ten seconds past the 300 s tolerance: a timestamp in whole seconds signed 1 s past it was taken
      // as 300 s ahead whenever a second ended between signing and checking (5 % of runs on a busy machine).
      await post(path, body, { atMs: Date.now() - 310_000 }),
      await post(path, body, { atMs: Date.now() + 310_000 }),
      await post(path, { message: 'genuine' }, { id: first.id }),
      await post(path, body, { secret: generateSecret() }),
      await post(`/v1/connectors/vendor/inbound/INC-${store}-unknown/messages`, body),
      await post(`/v1/connectors/nobody/inbound/INC-${store}-9/messages`, body),
      // A connector without an inbound secret accepts nothing by reference, whatever the signature.
      await post(`/v1/connectors/unsigned-vendor/inbound/INC-${store}-9/messages`, body),
    ];
    for (const r of refusals) {
      expect(r.status).toBe(401);
      expect(r.body).toEqual(refusals[0]!.body);
    }
    const tl = (await h.api('GET', `/v1/actions/${a}/timeline`)).body.items;
    expect(JSON.stringify(tl)).not.toContain('forged');
    expect(tl.filter((e: { message: string }) => e.message.includes('genuine'))).toHaveLength(1);
  });

  it("a genuine request refused (its reference not stored yet) gives its id back: the sender's retry with it is taken, once", async () => {
    // An outside review: the id was spent as the signature checked out, and the retry refused for good.
    const ref = `INC-${store}-early`;
    const path = `/v1/connectors/vendor/inbound/${ref}/messages`;
    const early = await post(path, { message: 'arrived before the reference' });
    expect(early.status).toBe(401);
    const a = await withReference('vendor-ticket', ref);
    const retry = await post(path, { message: 'arrived before the reference' }, { id: early.id });
    expect([retry.status, retry.body.id]).toEqual([200, a]);
    // Taken, its id is spent: the same again is a replay.
    expect((await post(path, { message: 'arrived before the reference' }, { id: early.id })).status).toBe(401);
    const tl = (await h.api('GET', `/v1/actions/${a}/timeline`)).body.items;
    expect(tl.filter((e: { message: string }) => e.message.includes('arrived before the reference'))).toHaveLength(1);
  });

  it('a request refused after it wrote (a late callback, kept on the timeline) keeps its id spent: the same bytes again are a replay', async () => {
    const ref = `INC-${store}-late`;
    const a = await withReference('quick-ticket', ref);
    await h.waitFor(a, (x) => x.state === 'todo', 10_000);
    const late = await post(`/v1/connectors/vendor/inbound/${ref}`, { outcome: 'failure', reason: 'captured once' });
    expect(late.status).toBe(409);
    const replayed = await post(`/v1/connectors/vendor/inbound/${ref}`, { outcome: 'failure', reason: 'captured once' }, { id: late.id });
    expect(replayed.status).toBe(401);
    const tl = (await h.api('GET', `/v1/actions/${a}/timeline?kind=message`)).body.items;
    expect(tl.filter((e: { message: string }) => e.message.includes('captured once'))).toHaveLength(1);
  });

  it('checks the signature before the body: an unsigned bad body is 401 whatever it is, a signed one a 400 or 422', async () => {
    await withReference('vendor-ticket', `INC-${store}-b`);
    const path = `/v1/connectors/vendor/inbound/INC-${store}-b/messages`;
    expect((await post(path, { nope: 1 }, { none: true })).status).toBe(401);
    const bad = await post(path, { nope: 1 });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toContain('nope');
    // Not even whether the body is JSON, poisoned or nested too deep: unsigned, each is the same 401.
    const deep = `{"message":${'['.repeat(600)}${']'.repeat(600)}}`;
    const unsigned = [];
    for (const raw of ['{bad', '{"__proto__":{"x":1}}', deep]) unsigned.push(await post(path, raw, { none: true }));
    expect(unsigned.map((r) => r.status)).toEqual([401, 401, 401]);
    for (const r of unsigned) expect(r.body).toEqual(unsigned[0]!.body);
    // Signed, the same bodies get what any route answers: 400 for bad JSON, 422 nested too deep.
    expect((await post(path, '{bad')).status).toBe(400);
    expect((await post(path, '{"__proto__":{"x":1}}')).status).toBe(400);
    const tooDeep = await post(path, deep);
    expect(tooDeep.status).toBe(422);
    expect(tooDeep.body.errors.map((e: { field: string }) => e.field)).toEqual(['message']);
  });

  it('refuses an inbound secret that is not a whsec_ secret, naming the field', async () => {
    const r = await h.api('POST', '/v1/connectors', {
      name: `weak-${store}`,
      baseUrl: h.mock.url,
      inboundSecret: 'a-long-enough-plain-secret',
    });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([expect.objectContaining({ field: 'inboundSecret', message: expect.stringContaining('whsec_') })]);
    expect((await h.api('GET', `/v1/connectors/weak-${store}`)).status).toBe(404);
  });
});
