// Issue 9: a connector's stored secrets are bound to the destination they were entered for. Changing
// baseUrl (or an OAuth tokenUrl) without sending them again is a 422 and changes nothing; sending them
// again reaches the new host with the new value only; a document whose URL was changed behind the
// checks cannot open its secrets at all. On both stores.

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { actionType, startHarness, type Harness } from '../helpers/harness.ts';
import { startRecorder, grantAnything, type Recorder } from '../helpers/recorder.ts';
import {
  startOAuthServer,
  startResourceServer,
  clientCredentialsOf,
  type OAuthServer,
  type ResourceServer,
} from '../helpers/oauth-server.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { createLogger } from '../../src/logger.ts';

const OLD = 'old-token-must-stay-home-0123';
const NEW = 'new-token-for-the-new-host-4567';

const STORES = [
  { name: 'sqlite', open: () => startHarness() },
  {
    name: 'postgres',
    open: async () => {
      const schema = freshSchema('sec_bind');
      const store = new PostgresStore({
        connectionString: TEST_DATABASE_URL,
        schema,
        poolSize: 3,
        logger: createLogger({ level: 'silent' }),
      });
      const h = await startHarness({ callout: { store, secretKey: randomBytes(32).toString('hex') } });
      const close = h.close;
      return { ...h, close: async () => (await close(), await dropSchema(schema)) };
    },
  },
];

describe.each(STORES)('on $name', ({ open }) => {
  let h: Harness;
  let a: Recorder;
  let b: Recorder;
  beforeEach(async () => {
    h = await open();
    a = await startRecorder();
    b = await startRecorder();
    const r = await h.api('POST', '/v1/connectors', {
      name: 'vendor',
      baseUrl: a.url,
      auth: { type: 'bearer', token: OLD },
      timeout: '2s',
    });
    expect(r.status).toBe(201);
    await actionType(h, { name: 'ping', path: '/ping' });
  });
  afterEach(async () => {
    await h.close();
    await a.close();
    await b.close();
  });

  it('PATCH baseUrl to another origin without the token is a 422 naming auth.token, and nothing changes', async () => {
    const before = (await h.api('GET', '/v1/connectors/vendor')).body;
    const r = await h.api('PATCH', '/v1/connectors/vendor', { baseUrl: b.url });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([{ field: 'auth.token', message: expect.stringContaining('must be sent again') }]);
    expect((await h.api('GET', '/v1/connectors/vendor')).body).toEqual(before);
    // The same auth block without its secret is the same omission.
    const again = await h.api('PATCH', '/v1/connectors/vendor', { baseUrl: b.url, auth: { type: 'bearer' } });
    expect(again.body.errors.map((e: { field: string }) => e.field)).toEqual(['auth.token']);
    // A new path on the same origin keeps the token.
    expect((await h.api('PATCH', '/v1/connectors/vendor', { baseUrl: `${a.url}/v2` })).status).toBe(200);
    await h.api('POST', '/v1/connectors/vendor/test');
    expect(a.seen.at(-1)!.headers.authorization).toBe(`Bearer ${OLD}`);
    expect(b.seen).toHaveLength(0);
  });

  it('with the token sent again, the new host receives the new token (test connection and sends), never the old', async () => {
    const r = await h.api('PATCH', '/v1/connectors/vendor', { baseUrl: b.url, auth: { type: 'bearer', token: NEW } });
    expect(r.status).toBe(200);
    await h.api('POST', '/v1/connectors/vendor/test');
    const launched = (await h.api('POST', '/v1/actions', { actionType: 'ping' })).body;
    await h.waitFor(launched.id, (x) => x.state === 'closed');
    expect(b.seen.length).toBeGreaterThanOrEqual(2);
    for (const s of b.seen) expect(s.headers.authorization).toBe(`Bearer ${NEW}`);
    expect(b.everything()).not.toContain(OLD);
    expect(a.seen).toHaveLength(0);
  });

  it('import in replace mode: a new baseUrl without the variable is a 422 naming the field; with it, the new host gets it', async () => {
    const doc = (await h.api('GET', '/v1/config/export?format=json')).body;
    doc.connectors[0].baseUrl = b.url;
    delete process.env.CALLOUT_VENDOR_TOKEN;
    const refused = await h.api('POST', '/v1/config/import', doc);
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([{ field: 'connectors[0].auth.token', message: expect.stringContaining('must be sent again') }]);
    expect((await h.api('GET', '/v1/connectors/vendor')).body).toMatchObject({ baseUrl: a.url, revision: 1 });
    process.env.CALLOUT_VENDOR_TOKEN = NEW;
    try {
      expect((await h.api('POST', '/v1/config/import', doc)).body.connectors.updated).toEqual(['vendor']);
    } finally {
      delete process.env.CALLOUT_VENDOR_TOKEN;
    }
    await h.api('POST', '/v1/connectors/vendor/test');
    expect(b.seen.map((s) => s.headers.authorization)).toEqual([`Bearer ${NEW}`]);
  });

  it('a document whose baseUrl was changed behind the checks cannot open its token for the new host', async () => {
    const row = (await h.callout.store.getConfig('connector', 'vendor'))!;
    expect((row.doc.auth as { token: { origin: string } }).token.origin).toBe(new URL(a.url).origin);
    // A code path that forgets the rule: the stored document now names B, its secret still encrypted for A.
    const forged = { ...row, doc: { ...row.doc, baseUrl: b.url }, revision: row.revision + 1 };
    expect(await h.callout.store.updateConfig('connector', forged, row.revision)).toBe(true);
    const view = (await h.api('GET', '/v1/connectors/vendor')).body;
    expect(view.secretsSet).toEqual([]);
    await h.api('POST', '/v1/connectors/vendor/test');
    expect(b.everything()).not.toContain(OLD);
    // And the builder's way out is to send it again.
    expect((await h.api('PATCH', '/v1/connectors/vendor', { auth: { type: 'bearer', token: NEW } })).status).toBe(200);
  });

  it('header auth moved behind the checks: the connector still lists, its headers are not set, and B never sees them', async () => {
    const auth = { type: 'header', headers: { 'X-Api-Key': OLD } };
    expect((await h.api('POST', '/v1/connectors', { name: 'keyed', baseUrl: a.url, auth })).status).toBe(201);
    expect((await h.api('PATCH', '/v1/connectors/keyed', { baseUrl: b.url })).body.errors.map((e: { field: string }) => e.field)).toEqual([
      'auth.headers',
    ]);
    const row = (await h.callout.store.getConfig('connector', 'keyed'))!;
    const forged = { ...row, doc: { ...row.doc, baseUrl: b.url }, revision: row.revision + 1 };
    expect(await h.callout.store.updateConfig('connector', forged, row.revision)).toBe(true);
    const list = await h.api('GET', '/v1/connectors');
    expect(list.status).toBe(200);
    expect(list.body.items.find((c: { name: string }) => c.name === 'keyed')).toMatchObject({ auth: { headerNames: [] }, secretsSet: [] });
    await h.api('POST', '/v1/connectors/keyed/test');
    expect(b.everything()).not.toContain(OLD);
  });

  it('a secret stored before the binding keeps working and is bound on the next write', async () => {
    const row = (await h.callout.store.getConfig('connector', 'vendor'))!;
    const legacy = { ...row, doc: { ...row.doc, auth: { type: 'bearer', token: h.callout.box.encrypt(JSON.stringify(OLD)) } } };
    legacy.revision = row.revision + 1;
    expect(await h.callout.store.updateConfig('connector', legacy, row.revision)).toBe(true);
    await h.api('POST', '/v1/connectors/vendor/test');
    expect(a.seen.at(-1)!.headers.authorization).toBe(`Bearer ${OLD}`);
    // Still refuses to move it without the token, then binds it on a write.
    expect((await h.api('PATCH', '/v1/connectors/vendor', { baseUrl: b.url })).status).toBe(422);
    expect((await h.api('PATCH', '/v1/connectors/vendor', { description: 'touched' })).status).toBe(200);
    const bound = (await h.callout.store.getConfig('connector', 'vendor'))!.doc.auth as { token: { origin?: string } };
    expect(bound.token.origin).toBe(new URL(a.url).origin);
    await h.api('POST', '/v1/connectors/vendor/test');
    expect(a.seen.at(-1)!.headers.authorization).toBe(`Bearer ${OLD}`);
  });
});

describe.each(STORES)('OAuth on $name', ({ open }) => {
  let h: Harness;
  let oauth: OAuthServer;
  let api: ResourceServer;
  let other: Recorder;
  beforeAll(async () => {
    oauth = await startOAuthServer();
    api = await startResourceServer((t) => oauth.isValid(t));
  });
  afterAll(async () => {
    await api.close();
    await oauth.close();
  });
  beforeEach(async () => {
    h = await open();
    other = await startRecorder(grantAnything);
    const r = await h.api('POST', '/v1/connectors', { name: 'orders', baseUrl: api.url, auth: clientCredentialsOf(oauth), timeout: '2s' });
    expect(r.status).toBe(201);
    expect((await h.api('POST', '/v1/connectors/orders/test')).body.authentication.ok).toBe(true);
  });
  afterEach(async () => {
    await h.close();
    await other.close();
  });

  it('a new tokenUrl without the client secret is a 422; with a new one, the new token server sees only that', async () => {
    const before = (await h.api('GET', '/v1/connectors/orders')).body;
    const auth = { ...clientCredentialsOf(oauth), tokenUrl: `${other.url}/token` } as Record<string, unknown>;
    delete auth.clientSecret;
    const r = await h.api('PATCH', '/v1/connectors/orders', { auth });
    expect(r.status).toBe(422);
    expect(r.body.errors.map((e: { field: string }) => e.field)).toEqual(['auth.clientSecret']);
    expect((await h.api('GET', '/v1/connectors/orders')).body).toEqual(before);
    expect(other.seen).toHaveLength(0);

    const ok = await h.api('PATCH', '/v1/connectors/orders', { auth: { ...auth, clientSecret: 'secret-for-the-new-server' } });
    expect(ok.status).toBe(200);
    await h.api('POST', '/v1/connectors/orders/test');
    expect(other.seen.length).toBeGreaterThanOrEqual(1);
    expect(other.everything()).toContain('secret-for-the-new-server');
    expect(other.everything()).not.toContain(oauth.postClient.secret);
  });

  it('a new baseUrl (where the bought tokens go) also needs the client secret again', async () => {
    const r = await h.api('PATCH', '/v1/connectors/orders', { baseUrl: other.url });
    expect(r.status).toBe(422);
    expect(r.body.errors.map((e: { field: string }) => e.field)).toEqual(['auth.clientSecret']);
  });

  it('a refresh-token connector names both stored secrets when its tokenUrl moves', async () => {
    const refreshToken = await oauth.mintRefreshToken();
    const rt = {
      type: 'oauth2_refresh_token',
      tokenUrl: oauth.tokenUrl,
      clientId: oauth.postClient.id,
      clientSecret: oauth.postClient.secret,
      refreshToken,
    };
    expect((await h.api('POST', '/v1/connectors', { name: 'rt', baseUrl: api.url, auth: rt })).status).toBe(201);
    const moved = { type: 'oauth2_refresh_token', tokenUrl: `${other.url}/token`, clientId: oauth.postClient.id };
    const r = await h.api('PATCH', '/v1/connectors/rt', { auth: moved });
    expect(r.status).toBe(422);
    expect(r.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['auth.clientSecret', 'auth.refreshToken']);
    await h.api('POST', '/v1/connectors/rt/test');
    expect(other.everything()).not.toContain(refreshToken);
  });
});
