// The UI's session over real HTTP: an API key becomes an HttpOnly, SameSite=Strict cookie that is
// checked against the store on every request; changes need the session's CSRF header; the page
// itself is served with a strict content-security policy.

import Database from 'better-sqlite3';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { MAX_SESSIONS_PER_KEY, sessionValue } from '../../src/ui/session.ts';
import { randomToken, sha256 } from '../../src/ids.ts';
import { keyWith } from './browser.ts';

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

async function call(
  h: Harness,
  method: string,
  path: string,
  opts: { cookie?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<Res> {
  const r = await request(`${h.url}${path}`, {
    method: method as 'GET',
    headers: {
      ...(opts.cookie ? { cookie: opts.cookie } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
    body: opts.body,
  });
  const text = await r.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.statusCode, headers: r.headers, text, json };
}

async function signIn(h: Harness, key: string): Promise<{ cookie: string; setCookie: string; csrf: string; res: Res }> {
  const res = await call(h, 'POST', '/ui/session', { body: JSON.stringify({ key }) });
  const setCookie = String(res.headers['set-cookie'] ?? '');
  return { cookie: setCookie.split(';')[0]!, setCookie, csrf: res.json?.csrf, res };
}

describe('the UI session', () => {
  let h: Harness;
  let builderKey: string;
  beforeAll(async () => {
    h = await startHarness({ start: false });
    builderKey = await keyWith(h, 'bob', ['builder']);
  });
  afterAll(async () => h?.close());

  it('signs in with an API key into an HttpOnly, SameSite=Strict cookie that holds no key', async () => {
    const s = await signIn(h, builderKey);
    expect(s.res.status).toBe(200);
    expect(s.res.json).toMatchObject({ name: 'bob', roles: ['builder'] });
    expect(s.setCookie).toMatch(
      /^callout_session=[A-Za-z0-9_-]{43}\.\d{13}\.[A-Za-z0-9_-]{32}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/,
    );
    expect(s.setCookie).not.toContain(builderKey);
    expect(s.res.text).not.toContain(builderKey);
    expect((await call(h, 'GET', '/v1/connectors', { cookie: s.cookie })).status).toBe(200);
    expect((await call(h, 'GET', '/ui/session', { cookie: s.cookie })).json).toMatchObject({ name: 'bob', csrf: s.csrf });
  });

  it('refuses an integration key with a 403 that says why, and sets no cookie: the UI is for people', async () => {
    const key = (await h.callout.apiKeys.create({ name: 'erp', roles: ['integration'] })).key;
    const s = await signIn(h, key);
    expect(s.res.status).toBe(403);
    expect(s.res.json.detail).toContain('integration role');
    expect(s.setCookie).toBe('');
    // A session such a key opened before this rule (its row in the store) is refused too.
    const id = randomToken(32);
    const exp = Date.now() + 60_000;
    await h.callout.store.insertUiSession({ id: sha256(id), keyHash: sha256(key), expiresAt: exp }, Date.now(), MAX_SESSIONS_PER_KEY);
    const cookie = `callout_session=${sessionValue(h.callout, id, exp)}`;
    expect((await call(h, 'GET', '/ui/session', { cookie })).status).toBe(401);
    expect((await call(h, 'GET', '/v1/actions', { cookie })).status).toBe(401);
  });

  it('refuses a bad key with a problem and sets no cookie', async () => {
    const s = await signIn(h, 'co_not-a-key');
    expect(s.res.status).toBe(401);
    expect(s.res.headers['content-type']).toContain('application/problem+json');
    expect(s.setCookie).toBe('');
  });

  it('takes the key only as JSON, so a cross-site form cannot sign anyone in', async () => {
    const r = await call(h, 'POST', '/ui/session', {
      body: `key=${builderKey}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(r.status).toBe(415);
    expect(r.headers['set-cookie']).toBeUndefined();
  });

  it('marks the cookie Secure when Callout is reached over https', async () => {
    const hs = await startHarness({ start: false, callout: { publicUrl: 'https://callout.example' } });
    try {
      const s = await signIn(hs, hs.adminKey);
      expect(s.setCookie).toContain('; Secure');
    } finally {
      await hs.close();
    }
  });

  it('over https the cookie is __Host- prefixed (Secure, Path=/, no Domain), and only that name is read', async () => {
    const hs = await startHarness({ start: false, callout: { publicUrl: 'https://callout.example' } });
    try {
      const s = await signIn(hs, hs.adminKey);
      expect(s.setCookie).toMatch(/^__Host-callout_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$/);
      expect((await call(hs, 'GET', '/ui/session', { cookie: s.cookie })).status).toBe(200);
      // The same value under the plain name (as a page without https could set it) is not a session.
      const plain = s.cookie.replace('__Host-callout_session=', 'callout_session=');
      expect((await call(hs, 'GET', '/v1/connectors', { cookie: plain })).status).toBe(401);
      const out = await call(hs, 'DELETE', '/ui/session', { cookie: s.cookie });
      expect(String(out.headers['set-cookie'])).toBe('__Host-callout_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure');
    } finally {
      await hs.close();
    }
  });

  it('two session cookies in one request (one planted by another page of the host) are refused, saying what to do', async () => {
    const victim = await signIn(h, h.adminKey);
    const planted = await signIn(h, builderKey);
    // Browsers send the longer path's cookie first: the planted one at /v1 would have been read.
    for (const cookie of [`${planted.cookie}; ${victim.cookie}`, `${victim.cookie}; ${planted.cookie}`]) {
      for (const [method, path] of [
        ['GET', '/v1/api-keys'],
        ['GET', '/ui/session'],
      ] as const) {
        const r = await call(h, method, path, { cookie });
        expect(r.status, `${method} ${path}`).toBe(401);
        expect(r.json.detail).toContain("clear this site's cookies and sign in again");
      }
    }
    // Each alone still works; signing out with both ends both sessions.
    expect((await call(h, 'GET', '/ui/session', { cookie: victim.cookie })).status).toBe(200);
    expect((await call(h, 'DELETE', '/ui/session', { cookie: `${planted.cookie}; ${victim.cookie}` })).status).toBe(204);
    expect((await call(h, 'GET', '/ui/session', { cookie: victim.cookie })).status).toBe(401);
    expect((await call(h, 'GET', '/ui/session', { cookie: planted.cookie })).status).toBe(401);
  });

  it('requests without a key from an address cannot lock its people out: the page is not counted, whoami and sign-out count against the session', async () => {
    const hs = await startHarness({ start: false, server: { limits: { perAddressWithoutKey: 5 } } });
    try {
      const s = await signIn(hs, hs.adminKey);
      // Someone at the same address (a proxy, an office) uses up its allowance.
      for (let i = 0; i < 6; i++) await call(hs, 'GET', '/v1/actions');
      expect((await call(hs, 'GET', '/v1/actions')).status).toBe(429);
      expect((await call(hs, 'GET', '/ui/session')).status).toBe(429);
      // The page and its bundle are served, as often as asked.
      for (let i = 0; i < 10; i++) expect((await call(hs, 'GET', '/ui/work')).status).toBe(200);
      // Signed in, whoami and sign-out are the key's requests, not the address's.
      expect((await call(hs, 'GET', '/ui/session', { cookie: s.cookie })).status).toBe(200);
      expect((await call(hs, 'DELETE', '/ui/session', { cookie: s.cookie })).status).toBe(204);
      // The session is over: its cookie is no key any more (and the address's allowance is used up).
      expect((await call(hs, 'GET', '/v1/actions', { cookie: s.cookie })).status).toBe(429);
      // Signing in is still the address's: key guessing stays slow; so are requests with two cookies.
      expect((await signIn(hs, hs.adminKey)).res.status).toBe(429);
      const two = await signIn(h, builderKey);
      const other = await signIn(h, builderKey);
      expect((await call(hs, 'GET', '/v1/actions', { cookie: `${two.cookie}; ${other.cookie}` })).status).toBe(429);
      expect((await call(hs, 'GET', '/ui/session', { cookie: `${two.cookie}; ${other.cookie}` })).status).toBe(429);
    } finally {
      await hs.close();
    }
  });

  it('refuses forged, altered and expired cookies', async () => {
    const s = await signIn(h, builderKey);
    const [id, exp, mac] = s.cookie.slice('callout_session='.length).split('.') as [string, string, string];
    const admin = await signIn(h, h.adminKey);
    const adminId = admin.cookie.slice('callout_session='.length).split('.')[0]!;
    const forged = [
      `callout_session=${adminId}.${exp}.${mac}`, // another session's id under this MAC
      `callout_session=${id}.${Number(exp) + 1000}.${mac}`, // a later expiry
      `callout_session=${id}.${exp}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`,
      `callout_session=${sessionValue(h.callout, id, Date.now() - 1000)}`, // authentic but expired
      `callout_session=${sessionValue(h.callout, randomToken(32), Date.now() + 60_000)}`, // authentic, never opened
      `callout_session=${sha256(h.adminKey)}.${exp}.${mac}`, // the cookie of before: a key's hash
      'callout_session=garbage',
    ];
    for (const cookie of forged) {
      const r = await call(h, 'GET', '/v1/connectors', { cookie });
      expect(r.status, cookie).toBe(401);
      expect(r.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('needs the session’s CSRF header for changes, and changes nothing without it', async () => {
    const s = await signIn(h, builderKey);
    const body = JSON.stringify({ name: 'crm', baseUrl: h.mock.url });
    const missing = await call(h, 'POST', '/v1/connectors', { cookie: s.cookie, body });
    expect(missing.status).toBe(403);
    expect(missing.json.detail).toContain('x-callout-csrf');
    const wrong = await call(h, 'POST', '/v1/connectors', { cookie: s.cookie, body, headers: { 'x-callout-csrf': 'A'.repeat(32) } });
    expect(wrong.status).toBe(403);
    // Another session's token does not fit this one.
    const other = await signIn(h, h.adminKey);
    expect((await call(h, 'POST', '/v1/connectors', { cookie: s.cookie, body, headers: { 'x-callout-csrf': other.csrf } })).status).toBe(
      403,
    );
    expect((await h.api('GET', '/v1/connectors')).body.items).toEqual([]);
    const ok = await call(h, 'POST', '/v1/connectors', { cookie: s.cookie, body, headers: { 'x-callout-csrf': s.csrf } });
    expect(ok.status).toBe(201);
  });

  it('ends at once when its key is gone from the store', async () => {
    const key = await keyWith(h, 'temp', ['operator']);
    const s = await signIn(h, key);
    expect((await call(h, 'GET', '/v1/actions', { cookie: s.cookie })).status).toBe(200);
    const db = new Database(join(h.dataDir, 'callout.db'));
    db.prepare('DELETE FROM api_keys WHERE name = ?').run('temp');
    db.close();
    expect((await call(h, 'GET', '/v1/actions', { cookie: s.cookie })).status).toBe(401);
    expect((await call(h, 'GET', '/ui/session', { cookie: s.cookie })).status).toBe(401);
  });

  it('signs out by clearing the cookie', async () => {
    const r = await call(h, 'DELETE', '/ui/session');
    expect(r.status).toBe(204);
    // Ours, and any planted beside it at the paths the page's requests use.
    expect(r.headers['set-cookie']).toEqual([
      'callout_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0',
      'callout_session=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0',
      'callout_session=; Path=/v1; HttpOnly; SameSite=Strict; Max-Age=0',
    ]);
  });

  it('signing out ends the session in the store: a copy of the cookie is refused, other sessions of the key go on', async () => {
    const s = await signIn(h, builderKey);
    const other = await signIn(h, builderKey);
    expect((await call(h, 'GET', '/v1/connectors', { cookie: s.cookie })).status).toBe(200);
    const out = await call(h, 'DELETE', '/ui/session', { cookie: s.cookie });
    expect(out.status).toBe(204);
    // The browser drops the cookie; a copy taken before (another tab, a stolen one) is refused anyway.
    expect((await call(h, 'GET', '/v1/connectors', { cookie: s.cookie })).status).toBe(401);
    expect((await call(h, 'GET', '/ui/session', { cookie: s.cookie })).status).toBe(401);
    const body = JSON.stringify({ name: 'after-sign-out', baseUrl: h.mock.url });
    expect((await call(h, 'POST', '/v1/connectors', { cookie: s.cookie, body, headers: { 'x-callout-csrf': s.csrf } })).status).toBe(401);
    expect((await call(h, 'GET', '/v1/connectors', { cookie: other.cookie })).status).toBe(200);
    // The store keeps neither the cookie's id nor the key: only their hashes.
    const db = new Database(join(h.dataDir, 'callout.db'), { readonly: true });
    const rows = db.prepare('SELECT * FROM ui_sessions').all() as Record<string, unknown>[];
    db.close();
    const otherId = other.cookie.slice('callout_session='.length).split('.')[0]!;
    expect(rows.map((r) => r.id)).toContain(sha256(otherId));
    expect(JSON.stringify(rows)).not.toContain(otherId);
    expect(JSON.stringify(rows)).not.toContain(builderKey);
  });

  it('signing in again from the same browser ends the session it had: a copy of the old cookie is refused', async () => {
    const first = await signIn(h, builderKey);
    const res = await call(h, 'POST', '/ui/session', { body: JSON.stringify({ key: builderKey }), cookie: first.cookie });
    expect(res.status).toBe(200);
    const second = String(res.headers['set-cookie']).split(';')[0]!;
    expect(second).not.toBe(first.cookie);
    expect((await call(h, 'GET', '/ui/session', { cookie: first.cookie })).status).toBe(401);
    expect((await call(h, 'GET', '/ui/session', { cookie: second })).status).toBe(200);
  });

  it('a key signed in over and over keeps its newest sessions only: the oldest is ended, not the store filled', async () => {
    // Past the per-address limit (60 a minute), as from many addresses or nodes.
    const hs = await startHarness({ start: false, server: { limits: { perAddressWithoutKey: 1000 } } });
    try {
      const key = await keyWith(hs, 'looping-sign-in', ['operator']);
      const first = await signIn(hs, key);
      await new Promise((r) => setTimeout(r, 5)); // an earlier expiry than every session after it
      const later = [];
      for (let i = 0; i < MAX_SESSIONS_PER_KEY; i++) later.push(await signIn(hs, key));
      expect((await call(hs, 'GET', '/ui/session', { cookie: first.cookie })).status).toBe(401);
      for (const s of [later[0]!, later.at(-1)!]) expect((await call(hs, 'GET', '/ui/session', { cookie: s.cookie })).status).toBe(200);
      const db = new Database(join(hs.dataDir, 'callout.db'), { readonly: true });
      const { n } = db.prepare('SELECT count(*) AS n FROM ui_sessions WHERE key_hash = ?').get(sha256(key)) as { n: number };
      db.close();
      expect(n).toBe(MAX_SESSIONS_PER_KEY);
    } finally {
      await hs.close();
    }
  });

  it('serves the page with a strict content-security policy and its bundle from this origin only', async () => {
    const root = await call(h, 'GET', '/');
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe('/ui/work');
    const page = await call(h, 'GET', '/ui/work?state=waiting');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const srcs = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    // The script and the style sheet, and the chunks the script imports (preloaded), all from here.
    expect(srcs.filter((s) => /^\/ui\/assets\/app-[0-9a-f]{12}\.(js|css)$/.test(s))).toHaveLength(2);
    for (const src of srcs) {
      expect(src).toMatch(/^\/ui\/assets\/(app-[0-9a-f]{12}\.(js|css)|chunk-[\w-]+\.js)$/);
      const a = await call(h, 'GET', src, { headers: { 'accept-encoding': 'gzip' } });
      expect(a.status).toBe(200);
      expect(a.headers['content-encoding']).toBe('gzip');
      expect(a.headers['cache-control']).toContain('immutable');
    }
    expect(page.text).not.toMatch(/<script>|style=/);
    expect((await call(h, 'GET', '/ui/assets/app-000000000000.js')).status).toBe(404);
    // The API keeps its own routes and answers.
    expect((await call(h, 'GET', '/v1/actions')).status).toBe(401);
  });
});
