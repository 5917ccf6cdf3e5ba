// API keys across nodes: two Callout instances on one store (one SQLite file; one PostgreSQL schema),
// each with its own HTTP server. A key made on one works on the other; revoked on one, both refuse it
// at once. Names are unique; listing never shows a key or its hash; a changed CALLOUT_ADMIN_KEY
// revokes the key made from the earlier value at start.

import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Callout, type CalloutOptions } from '../../src/callout.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { createLogger } from '../../src/logger.ts';
import { sha256 } from '../../src/ids.ts';
import { ApiKeyService } from '../../src/api-keys/service.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema, withAdmin } from '../helpers/pg.ts';
import { bearer, NO_LIMITS, rawServer, type RawClient } from './helpers.ts';

const quiet = createLogger({ level: 'silent' });
const ADMIN = 'first-admin-key-0123456789';

interface Backend {
  name: string;
  /** Options for one more node on the same store. */
  node(): CalloutOptions;
  dispose(): Promise<void>;
}

function sqlite(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'callout-keys-'));
  return { name: 'one SQLite file', node: () => ({ dataDir: dir }), dispose: async () => rmSync(dir, { recursive: true, force: true }) };
}

function postgres(): Backend {
  const schema = freshSchema('keys');
  const secretKey = randomBytes(32).toString('hex');
  return {
    name: 'one PostgreSQL schema',
    node: () => ({ store: new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 3, logger: quiet }), secretKey }),
    dispose: () => dropSchema(schema),
  };
}

for (const make of [sqlite, postgres]) {
  const backend = make();
  describe(`API keys on ${backend.name}`, () => {
    const open: Array<{ callout: Callout; server: RawClient }> = [];
    let a: RawClient;
    let b: RawClient;

    const node = async (adminKey = ADMIN): Promise<{ callout: Callout; server: RawClient }> => {
      const callout = await Callout.open({ ...backend.node(), logger: quiet });
      await callout.apiKeys.ensureAdminKey(adminKey);
      const n = { callout, server: await rawServer(callout, NO_LIMITS) };
      open.push(n);
      return n;
    };

    beforeAll(async () => {
      if (backend.name.includes('PostgreSQL')) await withAdmin(async () => undefined);
      a = (await node()).server;
      b = (await node()).server;
    });
    afterAll(async () => {
      for (const n of open) {
        await n.server.close();
        await n.callout.close();
      }
      await backend.dispose();
    });
    beforeEach(async () => {
      // Each test makes its own keys; earlier ones are revoked so names are free again.
      for (const k of (await a.send('GET', '/v1/api-keys', { headers: bearer(ADMIN) })).body.items)
        if (k.origin === 'api' && !k.revokedAt) await a.send('DELETE', `/v1/api-keys/${k.id}`, { headers: bearer(ADMIN) });
    });

    it('a key made on one node works on the other; revoked on one, both refuse it at once', async () => {
      const made = await a.send('POST', '/v1/api-keys', { body: { name: 'crm', roles: ['operator'] }, headers: bearer(ADMIN) });
      expect(made.status).toBe(201);
      expect(made.body).toMatchObject({ name: 'crm', roles: ['operator'], user: null, revokedAt: null });
      const key = made.body.key as string;
      expect((await b.send('GET', '/v1/actions', { headers: bearer(key) })).status).toBe(200);
      expect((await a.send('GET', '/v1/actions', { headers: bearer(key) })).status).toBe(200);

      const gone = await a.send('DELETE', `/v1/api-keys/${made.body.id}`, { headers: bearer(ADMIN) });
      expect(gone.status).toBe(200);
      expect(gone.body.revokedAt).toEqual(expect.any(String));
      for (const node of [b, a]) {
        const res = await node.send('GET', '/v1/actions', { headers: bearer(key) });
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('UNAUTHORIZED');
      }
      // Revoking again keeps the first time; an unknown id is 404.
      expect((await b.send('DELETE', `/v1/api-keys/${made.body.id}`, { headers: bearer(ADMIN) })).body.revokedAt).toBe(gone.body.revokedAt);
      expect((await b.send('DELETE', '/v1/api-keys/no-such-key', { headers: bearer(ADMIN) })).status).toBe(404);
    });

    it('the list shows every key with its roles, use and revocation, never the key or its hash', async () => {
      const made = (
        await a.send('POST', '/v1/api-keys', { body: { name: 'lister', roles: ['builder', 'integration'] }, headers: bearer(ADMIN) })
      ).body;
      expect((await b.send('GET', '/v1/connectors', { headers: bearer(made.key) })).status).toBe(200);
      const res = await b.send('GET', '/v1/api-keys', { headers: bearer(ADMIN) });
      expect(res.status).toBe(200);
      const mine = res.body.items.find((k: { id: string }) => k.id === made.id);
      expect(mine).toEqual({
        id: made.id,
        name: 'lister',
        roles: ['builder', 'integration'],
        user: null,
        origin: 'api',
        createdAt: expect.any(String),
        lastUsedAt: expect.any(String),
        revokedAt: null,
      });
      expect(res.body.items.find((k: { origin: string }) => k.origin === 'CALLOUT_ADMIN_KEY')).toMatchObject({ roles: ['admin'] });
      const text = JSON.stringify(res.body);
      for (const secret of [made.key, sha256(made.key), ADMIN, sha256(ADMIN)]) expect(text).not.toContain(secret);
      expect((await b.send('GET', '/v1/api-keys', { headers: bearer(made.key) })).status).toBe(403);
    });

    it('names are unique among keys in use: a duplicate is 409 naming the field, free again once revoked', async () => {
      const first = await a.send('POST', '/v1/api-keys', { body: { name: 'ci', roles: ['integration'] }, headers: bearer(ADMIN) });
      expect(first.status).toBe(201);
      const dup = await b.send('POST', '/v1/api-keys', { body: { name: 'ci', roles: ['admin'] }, headers: bearer(ADMIN) });
      expect(dup.status).toBe(409);
      expect(dup.body).toMatchObject({ code: 'CONFLICT', errors: [{ field: 'name' }] });
      await a.send('DELETE', `/v1/api-keys/${first.body.id}`, { headers: bearer(ADMIN) });
      expect((await b.send('POST', '/v1/api-keys', { body: { name: 'ci', roles: ['integration'] }, headers: bearer(ADMIN) })).status).toBe(
        201,
      );
    });

    it('bad bodies are 422 naming the field and make nothing', async () => {
      const before = (await a.send('GET', '/v1/api-keys', { headers: bearer(ADMIN) })).body.items.length;
      for (const [body, field] of [
        [{ name: 'x', roles: ['root'] }, 'roles[0]'],
        [{ name: '', roles: ['admin'] }, 'name'],
        [{ name: 'CALLOUT_ADMIN_KEY', roles: ['admin'] }, 'name'],
        [{ name: 'u', roles: ['operator'], user: 'alice' }, 'user'],
        [{ name: 'u', roles: ['operator'], admin: true }, 'admin'],
      ] as const) {
        const res = await a.send('POST', '/v1/api-keys', { body, headers: bearer(ADMIN) });
        expect(res.status, JSON.stringify(body)).toBe(422);
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
      expect((await a.send('GET', '/v1/api-keys', { headers: bearer(ADMIN) })).body.items.length).toBe(before);
    });

    it('a changed CALLOUT_ADMIN_KEY revokes the key made from the earlier value when nodes start with it', async () => {
      const next = 'second-admin-key-0123456789';
      // Two nodes start together with the new value: both come up, one key is made.
      const [c, d] = await Promise.all([node(next), node(next)]);
      for (const n of [a, b, c.server, d.server]) {
        expect((await n.send('GET', '/v1/api-keys', { headers: bearer(ADMIN) })).status).toBe(401);
        expect((await n.send('GET', '/v1/connectors', { headers: bearer(next) })).status).toBe(200);
      }
      const keys = (await c.callout.apiKeys.list()).filter((k) => k.origin === 'CALLOUT_ADMIN_KEY');
      expect(keys.filter((k) => k.revokedAt === null)).toHaveLength(1);
      expect(keys.filter((k) => k.revokedAt !== null).length).toBeGreaterThanOrEqual(1);
      // Starting again with the same value changes nothing; the old value stays refused.
      await c.callout.apiKeys.ensureAdminKey(next);
      expect((await c.callout.apiKeys.list()).filter((k) => k.origin === 'CALLOUT_ADMIN_KEY' && k.revokedAt === null)).toHaveLength(1);
      expect(await c.callout.apiKeys.authenticate(ADMIN)).toBeUndefined();
      // A node started again with the earlier value (a stale setting in a rolling rotation) does not
      // bring its revoked key back, nor revoke the current one: every admin would be locked out.
      await c.callout.apiKeys.ensureAdminKey(ADMIN);
      expect(await c.callout.apiKeys.authenticate(ADMIN)).toBeUndefined();
      expect(await c.callout.apiKeys.authenticate(next)).toMatchObject({ name: 'CALLOUT_ADMIN_KEY' });
      for (const n of [a, b, c.server, d.server])
        expect((await n.send('GET', '/v1/connectors', { headers: bearer(next) })).status).toBe(200);
      // A third value is a rotation again: the current one goes.
      await c.callout.apiKeys.ensureAdminKey('third-admin-key-0123456789');
      expect(await c.callout.apiKeys.authenticate(next)).toBeUndefined();
    });
  });
}

for (const make of [sqlite, postgres]) {
  describe(`The admin key's rotation on ${make === sqlite ? 'SQLite' : 'PostgreSQL'}`, () => {
    it.each([
      ['clocks agree', 0],
      ["the rotating node's clock 10 minutes behind", -600_000],
    ])('a node starting with the old value while another rotates to a new one does not revoke the new key (%s)', async (_, skew) => {
      const backend = make();
      if (make === postgres) await withAdmin(async () => undefined);
      const callout = await Callout.open({ ...backend.node(), logger: quiet });
      try {
        const old = 'fourth-admin-key-0123456789';
        const fresh = 'fifth-admin-key-0123456789';
        await callout.apiKeys.ensureAdminKey(old);
        // The stale node reads its own key (live), then waits while the other node rotates, then lists.
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        let read!: () => void;
        const hasRead = new Promise<void>((r) => (read = r));
        const store = new Proxy(callout.store, {
          get(target, prop) {
            const v = Reflect.get(target, prop, target) as unknown;
            if (typeof v !== 'function') return v;
            if (prop !== 'findApiKey') return v.bind(target);
            return async (hash: string) => {
              const found = await target.findApiKey(hash);
              read();
              await gate;
              return found;
            };
          },
        });
        const stale = new ApiKeyService({ store, clock: callout.clock, logger: quiet });
        const staleStart = stale.ensureAdminKey(old);
        await hasRead;
        const rotating = new ApiKeyService({
          store: callout.store,
          clock: { ...callout.clock, now: () => callout.clock.now() + skew },
          logger: quiet,
        });
        await rotating.ensureAdminKey(fresh);
        release();
        await staleStart;
        // The rotation holds: the new value is the one admin key made from CALLOUT_ADMIN_KEY.
        expect(await callout.apiKeys.authenticate(fresh)).toMatchObject({ name: 'CALLOUT_ADMIN_KEY' });
        expect(await callout.apiKeys.authenticate(old)).toBeUndefined();
        const live = (await callout.apiKeys.list()).filter((k) => k.origin === 'CALLOUT_ADMIN_KEY' && k.revokedAt === null);
        expect(live).toHaveLength(1);
      } finally {
        await callout.close();
        await backend.dispose();
      }
    });
  });
}
