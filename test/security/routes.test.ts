// Attacks on the API's authentication, route by route: every registered route (collected as it is
// registered, hidden ones included) is called without a key, with a malformed header, with a revoked
// key and with each role; then every non-public route is called under other spellings of its path
// (percent-encoded letters, encoded slashes, double slashes, dot segments, upper case, trailing
// slash, `;` suffixes). Only public routes answer without a key, and nothing is ever written.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/api-keys/service.ts';
import { routesOf, type RouteEntry } from '../../src/api/auth.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { bearer, rawServer, type RawClient } from './helpers.ts';

let h: Harness;
let s: RawClient;
let routes: readonly RouteEntry[];
const keys = {} as Record<Role, string>;
let revoked: string;

const FAKE_ID = '01900000-0000-7000-8000-000000000000';
const ATTACK_KEY = { name: 'pwned', roles: ['admin'] };

const concrete = (url: string): string => url.replace(/:(\w+)/g, (_, name: string) => (name === 'token' ? 'not-a-token' : FAKE_ID));
const isPublic = (r: RouteEntry): boolean => r.roles === 'public';
// A route that names no roles admits every key but one with the metrics role alone (a scraper's).
const allows = (r: RouteEntry, role: Role): boolean =>
  role === 'admin' ||
  (r.roles === undefined && role !== 'metrics') ||
  (r.roles !== undefined && r.roles !== 'public' && r.roles.includes(role));
const hasBody = (method: string): boolean => ['POST', 'PUT', 'PATCH'].includes(method);
/** The body that would do harm if it got through: a new admin key where keys are made. */
const attackBody = (r: RouteEntry): unknown => (hasBody(r.method) ? (r.url === '/v1/api-keys' ? ATTACK_KEY : {}) : undefined);

/** Other spellings of a path that a router or proxy might take for the same route. */
function spellings(path: string): string[] {
  const rest = path.slice('/v1/'.length);
  const letter = rest[0]!;
  return [
    `/%761/${rest}`,
    `/%561/${rest}`,
    `/v%31/${rest}`,
    `/v1/%${letter.charCodeAt(0).toString(16)}${rest.slice(1)}`,
    `/v1%2F${rest}`,
    `/v1%2f${rest}`,
    `/%2Fv1/${rest}`,
    `//v1/${rest}`,
    `/v1//${rest}`,
    `/./v1/${rest}`,
    `/v1/./${rest}`,
    `/v1/%2e/${rest}`,
    `/x/../v1/${rest}`,
    `/v1/x/%2e%2e/${rest}`,
    path.toUpperCase(),
    `/V1/${rest}`,
    `${path}/`,
    `${path};`,
    `${path};x=1`,
    `/v1;x/${rest}`,
    `${path}%20`,
    `${path}%00`,
  ];
}

async function written(): Promise<{ keys: string[]; connectors: number; actionTypes: number; actions: number }> {
  const st = h.callout.store;
  return {
    keys: (await st.listApiKeys()).map((k) => k.name),
    connectors: (await st.listConfig('connector')).length,
    actionTypes: (await st.listConfig('action_type')).length,
    actions: (await st.listActions({ limit: 1_000_000 })).length,
  };
}

beforeAll(async () => {
  h = await startHarness({ start: false });
  s = await rawServer(h.callout);
  routes = routesOf(s.app);
  for (const role of ROLES) keys[role] = (await h.callout.apiKeys.create({ name: `key-${role}`, roles: [role] })).key;
  const r = await h.callout.apiKeys.create({ name: 'revoked', roles: ['admin'] });
  await h.callout.apiKeys.revoke(r.id);
  revoked = r.key;
});
afterAll(async () => {
  await s?.close();
  await h?.close();
});

describe('the routes under test', () => {
  it('are every route registered, /v1 ones and hidden ones included, and only health, openapi.json and callbacks are public', async () => {
    expect(routes.length).toBeGreaterThan(30);
    const doc = (await s.send('GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(documented.length).toBeGreaterThan(20);
    const registered = new Set(routes.map((r) => `${r.method} ${r.url}`));
    for (const d of documented) expect(registered, d).toContain(d);
    for (const hidden of ['GET /health', 'GET /openapi.json', 'HEAD /health', 'DELETE /v1/api-keys/:id', 'GET /v1/api-keys'])
      expect(registered).toContain(hidden);
    expect(routes.filter((r) => r.url.startsWith('/v1/')).length).toBeGreaterThan(25);
    const publicRoutes = routes.filter(isPublic).map((r) => r.url);
    // The API's public routes, and the web UI's page, assets and sign-in (the session is checked per request).
    for (const p of publicRoutes)
      expect(p).toMatch(
        /^(\/health|\/openapi\.json|\/v1\/callbacks\/:token(\/[\w-]+)?|\/v1\/connectors\/:connector\/inbound\/:externalReference(\/[\w-]+)?|\/|\/ui|\/ui\/\*|\/ui\/assets\/:file|\/ui\/session)$/,
      );
  });
});

describe('every route, by who calls it', () => {
  it('without a key: 401 unless the route is public, and nothing is written', async () => {
    const before = await written();
    for (const r of routes) {
      const res = await s.send(r.method, concrete(r.url), { body: attackBody(r) });
      // Whatever the answer, a browser never sniffs it into something else (an HTML page).
      expect(res.headers['x-content-type-options'], `${r.method} ${r.url}`).toBe('nosniff');
      // GET /ui/session answers 401 'Not signed in' by design: it is how the UI asks whether it has a session.
      // Inbound routes by reference are public to API keys but authorised by their signature: unsigned, 401.
      if (isPublic(r) && r.url.includes('/inbound/')) expect(res.status, `${r.method} ${r.url}`).toBe(401);
      else if (isPublic(r)) {
        if (!(['GET', 'HEAD'].includes(r.method) && r.url === '/ui/session')) expect(res.status, `${r.method} ${r.url}`).not.toBe(401);
      } else {
        expect(res.status, `${r.method} ${r.url}`).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer');
        if (r.method !== 'HEAD') expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    }
    expect(await written()).toEqual(before);
  });

  it('with a malformed Authorization header or a revoked key: 401, and nothing is written', async () => {
    const before = await written();
    for (const r of routes.filter((x) => !isPublic(x)))
      for (const authorization of [
        `Token ${keys.admin}`,
        'Bearer',
        `Bearer ${keys.admin} extra`,
        `Bearer ${revoked}`,
        `bearer ${revoked}`,
      ]) {
        const res = await s.send(r.method, concrete(r.url), { body: attackBody(r), headers: { authorization } });
        expect(res.status, `${r.method} ${r.url} with ${authorization.slice(0, 12)}`).toBe(401);
      }
    expect(await written()).toEqual(before);
  });

  it('with a key of each role: 403 where the role is not allowed, and past authorisation where it is', async () => {
    const before = await written();
    const allowed: Array<[RouteEntry, Role]> = [];
    for (const r of routes.filter((x) => !isPublic(x)))
      for (const role of ROLES) {
        if (allows(r, role)) {
          allowed.push([r, role]);
          continue;
        }
        const res = await s.send(r.method, concrete(r.url), { body: attackBody(r), headers: bearer(keys[role]) });
        expect(res.status, `${r.method} ${r.url} as ${role}`).toBe(403);
      }
    expect(await written()).toEqual(before);
    for (const [r, role] of allowed) {
      const res = await s.send(r.method, concrete(r.url), { body: hasBody(r.method) ? {} : undefined, headers: bearer(keys[role]) });
      expect([401, 403], `${r.method} ${r.url} as ${role}: ${JSON.stringify(res.body)}`).not.toContain(res.status);
    }
  });

  it('an integration key reads actions and what it launches against, not people, queues, workload counts or the live feed', async () => {
    const as = bearer(keys.integration);
    for (const path of [
      '/v1/users',
      '/v1/users/alice',
      '/v1/queues',
      '/v1/queues/hr',
      '/v1/notifications',
      '/v1/dashboard',
      '/v1/events',
      '/v1/actions/counts',
    ])
      expect((await s.send('GET', path, { headers: as })).status, path).toBe(403);
    for (const path of ['/v1/actions', '/v1/action-types', '/v1/connectors', '/v1/schedules'])
      expect((await s.send('GET', path, { headers: as })).status, path).toBe(200);
    // People still read them.
    for (const role of ['operator', 'builder'] as const)
      for (const path of ['/v1/users', '/v1/queues', '/v1/notifications', '/v1/dashboard', '/v1/actions/counts'])
        expect((await s.send('GET', path, { headers: bearer(keys[role]) })).status, `${path} as ${role}`).toBe(200);
  });

  it('the Bearer scheme is read in any case', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR'])
      expect((await s.send('GET', '/v1/connectors', { headers: { authorization: `${scheme} ${keys.builder}` } })).status).toBe(200);
  });

  it('a malformed Authorization header gets a 401 that names the header', async () => {
    for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer  ', `Bearer${keys.admin}`, `Bearer ${keys.admin} x`]) {
      const res = await s.send('GET', '/v1/connectors', { headers: { authorization } });
      expect(res.status, authorization).toBe(401);
      expect(res.body).toMatchObject({ code: 'UNAUTHORIZED', errors: [{ field: 'Authorization' }] });
    }
  });
});

describe('other spellings of every path', () => {
  it('without a key never answer 2xx and write nothing', async () => {
    const before = await written();
    let tried = 0;
    for (const r of routes.filter((x) => !isPublic(x) && x.url.startsWith('/v1/')))
      for (const path of spellings(concrete(r.url))) {
        const res = await s.send(r.method, path, { body: attackBody(r) });
        tried++;
        expect([400, 401, 404], `${r.method} ${path}: ${res.status} ${JSON.stringify(res.body)}`).toContain(res.status);
      }
    expect(tried).toBeGreaterThan(500);
    expect(await written()).toEqual(before);
  });

  it('with a key whose role is not allowed never answer 2xx and write nothing', async () => {
    const before = await written();
    for (const r of routes.filter((x) => !isPublic(x) && x.url.startsWith('/v1/') && !allows(x, 'integration')))
      for (const path of spellings(concrete(r.url))) {
        const res = await s.send(r.method, path, { body: attackBody(r), headers: bearer(keys.integration) });
        expect([400, 403, 404], `${r.method} ${path}: ${res.status} ${JSON.stringify(res.body)}`).toContain(res.status);
      }
    expect(await written()).toEqual(before);
  });

  it('POST /%761/api-keys without a key is refused and makes no admin key', async () => {
    const res = await s.send('POST', '/%761/api-keys', { body: ATTACK_KEY });
    expect(res.status).toBe(401);
    expect(res.body.key).toBeUndefined();
    expect((await written()).keys).not.toContain('pwned');
  });
});

describe("the router's own refusals", () => {
  it('a path that does not decode or a segment over 100 characters is a problem+json 400, with or without a key', async () => {
    for (const headers of [{}, bearer(keys.admin!)])
      for (const [path, detail] of [
        ['/v1/actions/%FF%FE', /not valid percent-encoded/],
        [`/v1/actions/${'a'.repeat(10_000)}`, /longer than 1000 characters/],
      ] as const) {
        const res = await s.send('GET', path, { headers });
        expect(res.status, path.slice(0, 20)).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.body).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
        expect(res.body.detail).toMatch(detail);
      }
  });
});
