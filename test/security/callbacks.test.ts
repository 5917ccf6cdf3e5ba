// Callbacks under attack, on both stores: one poisonous write never fails its batch neighbours,
// outside values are bounded at the boundary, tokens are shown only to their external system, and
// tokens die a set time after their action closes.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import { FakeClock } from '../../src/clock.ts';
import { DEFAULT_CALLBACK_TOKEN_TTL_MS } from '../../src/callbacks/service.ts';
import { createLogger } from '../../src/logger.ts';
import { readSettings } from '../../src/settings.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import type { CalloutOptions } from '../../src/callout.ts';
import type { ActionWrite } from '../../src/store/types.ts';
import { ValidationError } from '../../src/errors.ts';
import { actionType, connector, freePort, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';

interface Backend {
  name: string;
  open(extra?: Partial<CalloutOptions>, start?: boolean): Promise<Harness>;
}

const backends: Backend[] = [
  { name: 'SQLite', open: (extra = {}, start = true) => startHarness({ callout: extra, start }) },
  {
    name: 'PostgreSQL',
    async open(extra = {}, start = true) {
      const schema = freshSchema('cbsec');
      const store = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, logger: createLogger({ level: 'silent' }) });
      const h = await startHarness({ callout: { store, secretKey: randomBytes(32).toString('hex'), ...extra }, start });
      const close = h.close.bind(h);
      return { ...h, close: async () => (await close(), await dropSchema(schema)) };
    },
  },
];

/** JSON text of `{ outcome: success, data: [[[…]]] }` nested `depth` deep. */
const deepCallback = (depth: number): string => `{"outcome":"success","data":${'['.repeat(depth)}${']'.repeat(depth)}}`;
/** A JS value nested `depth` deep, built without recursion. */
function deepValue(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

const CALLBACK_TYPE = {
  path: '/callback?never=1',
  body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}"}' },
  completion: { mode: 'callback' },
};

for (const backend of backends)
  describe(`${backend.name}: callbacks`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await backend.open();
      await connector(h);
      await actionType(h, { name: 'cb', ...CALLBACK_TYPE });
    });
    afterAll(async () => h?.close());

    const awaiting = async (n: number): Promise<string[]> => {
      const ids = [];
      for (let i = 0; i < n; i++) ids.push((await launch(h, 'cb')).id);
      for (const id of ids) await h.waitFor(id, (x) => x.phase === 'awaiting_callback');
      return ids;
    };

    it('a refused callback changes nothing: the reference it carries is not taken either', async () => {
      const [id] = await awaiting(1);
      const path = `/v1/callbacks/${h.callout.engine.callbackToken(id!)}`;
      expect((await h.api('POST', path, { outcome: 'failure', reason: 'no stock' })).status).toBe(200);
      const before = (await h.api('GET', `/v1/actions/${id}/timeline`)).body.items;
      const r = await h.api('POST', path, { outcome: 'success', externalReference: 'ATTACKER-REF' });
      expect(r.status).toBe(409);
      expect((await h.api('GET', `/v1/actions/${id}`)).body.externalReference).toBeNull();
      expect((await h.api('GET', `/v1/actions/${id}/timeline`)).body.items).toEqual(before);
    });

    it('a write the store cannot take fails alone: the others in its group commit are written', async () => {
      const ids = await awaiting(21);
      const actions = await Promise.all(ids.map((id) => h.callout.store.getAction(id)));
      // Watch the store's commits (the real store does the work).
      const store = h.callout.store;
      const real = store.writeActions.bind(store);
      const commits: Array<{ size: number; failed: boolean }> = [];
      store.writeActions = async (writes: ActionWrite[]) => {
        try {
          const r = await real(writes);
          commits.push({ size: writes.length, failed: false });
          return r;
        } catch (err) {
          commits.push({ size: writes.length, failed: true });
          throw err;
        }
      };
      try {
        // All in one tick, so they share one commit; the first carries data too deep to serialise.
        const results = await Promise.allSettled(
          actions.map((a, i) =>
            h.callout.engine.apply(
              a!.id,
              i === 0
                ? { type: 'callback', outcome: 'success', data: deepValue(100_000), output: null }
                : { type: 'callback', outcome: 'success', data: { n: i }, output: { n: i } },
              a!,
            ),
          ),
        );
        expect(commits[0]).toEqual({ size: 21, failed: true });
        expect(results[0]!.status).toBe('rejected');
        for (const r of results.slice(1)) expect(r).toMatchObject({ status: 'fulfilled', value: { state: 'closed' } });
        for (const [i, id] of ids.entries()) expect((await h.callout.actions.getAction(id)).state).toBe(i === 0 ? 'waiting' : 'closed');
      } finally {
        store.writeActions = real;
      }
    });

    it('many good callbacks with poisonous ones among them: the good all answer 200 and close, the bad get a 422 naming the field', async () => {
      const ids = await awaiting(30);
      const poisonId = ids[0]!;
      const bigId = ids[1]!;
      const token = (id: string): string => h.callout.engine.callbackToken(id);
      const [deep, big, ...good] = await Promise.all([
        h.api('POST', `/v1/callbacks/${token(poisonId)}`, deepCallback(100_000), { authorization: '' }),
        h.api('POST', `/v1/callbacks/${token(bigId)}`, { outcome: 'success', data: { blob: 'x'.repeat(1_100_000) } }),
        ...ids.slice(2).map((id, i) => h.api('POST', `/v1/callbacks/${token(id)}`, { outcome: 'success', data: { n: i } })),
      ]);
      expect(deep.status).toBe(422);
      expect(deep.headers['content-type']).toContain('application/problem+json');
      expect(deep.body.errors).toEqual([{ field: 'data', message: 'is nested deeper than 32 levels' }]);
      expect(big.status).toBe(422);
      expect(big.body.errors).toEqual([{ field: 'data', message: 'is larger than 1 MB as JSON' }]);
      for (const [i, r] of good.entries()) {
        expect(r.status).toBe(200);
        expect(r.body).toMatchObject({ state: 'closed', resolution: 'done_successfully', output: { n: i } });
      }
      // Nothing changed for the refused ones.
      expect((await h.callout.actions.getAction(poisonId)).phase).toBe('awaiting_callback');
      expect((await h.callout.actions.getAction(bigId)).phase).toBe('awaiting_callback');
    });

    it('launch input, case data and callback fields are bounded at the boundary', async () => {
      const deepInput = `{"actionType":"cb","input":{"x":${'['.repeat(50_000)}${']'.repeat(50_000)}}}`;
      const r1 = await h.api('POST', '/v1/actions', deepInput, { 'idempotency-key': 'deep-1' });
      expect(r1.status).toBe(422);
      expect(r1.body.errors).toEqual([{ field: 'input', message: 'is nested deeper than 32 levels' }]);
      const r2 = await h.api('POST', '/v1/actions', { actionType: 'cb', input: { x: 'y'.repeat(300_000) } });
      expect(r2.status).toBe(422);
      expect(r2.body.errors).toEqual([{ field: 'input', message: 'is larger than 256 KB as JSON' }]);
      const r2b = await h.api('POST', '/v1/action-types/cb/test', `{"input":{"x":${'['.repeat(50_000)}${']'.repeat(50_000)}}}`);
      expect(r2b.status).toBe(422);
      expect(r2b.body.errors).toEqual([{ field: 'input', message: 'is nested deeper than 32 levels' }]);
      const r3 = await h.api('POST', '/v1/cases', `{"data":{"x":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}}`);
      expect(r3.status).toBe(422);
      expect(r3.body.errors).toEqual([{ field: 'data', message: 'is nested deeper than 32 levels' }]);
      const [id] = await awaiting(1);
      const token = h.callout.engine.callbackToken(id!);
      const r4 = await h.api('POST', `/v1/callbacks/${token}/messages`, { message: 'm'.repeat(10_001) });
      expect(r4.status).toBe(422);
      expect(r4.body.errors).toEqual([{ field: 'message', message: 'is longer than 10000 characters' }]);
      const r5 = await h.api('POST', `/v1/callbacks/${token}/heartbeat`, { note: 'n'.repeat(10_001) });
      expect(r5.status).toBe(422);
      expect(r5.body.errors[0].field).toBe('note');
      const r6 = await h.api('POST', `/v1/callbacks/${token}`, { outcome: 'failure', reason: 'r'.repeat(10_001) });
      expect(r6.status).toBe(422);
      expect(r6.body.errors[0].field).toBe('reason');
      expect((await h.api('GET', `/v1/actions/${id}/timeline`)).body.items.map((e: { kind: string }) => e.kind)).toEqual([
        'launched',
        'attempt',
        'accepted',
      ]);
    });

    it('no role can read a live callback token from any answer; the external system gets the real one; logs show a placeholder', async () => {
      await actionType(h, {
        name: 'echo-token',
        path: '/ok?cb={{ $callbackToken }}',
        headers: { 'X-Callback-Token': '{{ $callbackToken }}' },
        body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}", "token": "{{ $callbackToken }}"}' },
      });
      await actionType(h, { name: 'calls-back', ...CALLBACK_TYPE, path: '/callback' });
      const lines: string[] = [];
      const logger = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(s) } });
      const kase = (await h.api('POST', '/v1/cases', { data: {} })).body;
      const echoed = await launch(h, 'echo-token', {}, { caseId: kase.id });
      const called = await launch(h, 'calls-back', {}, { caseId: kase.id });
      const tokens = [echoed.id, called.id].map((id) => h.callout.engine.callbackToken(id));
      await h.waitFor(echoed.id, (x) => x.state === 'closed');
      // The mock calls back with the token it was sent: the external system has the real one.
      await h.waitFor(called.id, (x) => x.state === 'closed');
      // Callback requests on a server that logs every request.
      const port = await freePort();
      const logged = await buildServer(Object.assign(Object.create(h.callout), { logger }), { logRequests: true });
      await logged.listen({ port, host: '127.0.0.1' });
      try {
        await fetch(`http://127.0.0.1:${port}/v1/callbacks/${tokens[1]}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"outcome":"success"}',
        });
      } finally {
        await logged.close();
      }
      expect(lines.join('')).toContain('/v1/callbacks/[callback token]');
      for (const t of tokens) expect(lines.join('')).not.toContain(t);

      const timeline = (await h.api('GET', `/v1/actions/${echoed.id}/timeline`)).body.items;
      const attempt = timeline.find((e: { kind: string }) => e.kind === 'attempt');
      expect(attempt.data.request.url).toContain('cb=[callback token]');
      expect(attempt.data.request.headers['X-Callback-Token'] ?? attempt.data.request.headers['x-callback-token']).toBe('[callback token]');
      expect(attempt.data.request.body).toContain('/v1/callbacks/[callback token]');
      expect(attempt.data.response.body).toContain('[callback token]');
      for (const role of ['admin', 'builder', 'operator', 'integration']) {
        const key = (await h.api('POST', '/v1/api-keys', { name: `reader-${role}-${backend.name}`, roles: [role] })).body.key;
        const auth = { authorization: `Bearer ${key}` };
        const answers = await Promise.all([
          h.api('GET', `/v1/actions/${echoed.id}`, undefined, auth),
          h.api('GET', `/v1/actions/${echoed.id}/timeline`, undefined, auth),
          h.api('GET', `/v1/actions/${called.id}`, undefined, auth),
          h.api('GET', `/v1/actions/${called.id}/timeline`, undefined, auth),
          h.api('GET', '/v1/actions?limit=500', undefined, auth),
          h.api('GET', `/v1/cases/${kase.id}`, undefined, auth),
        ]);
        for (const a of answers) {
          expect(a.status).toBe(200);
          for (const t of tokens) expect(JSON.stringify(a.body)).not.toContain(t);
          // Nor the MAC part alone.
          for (const t of tokens) expect(JSON.stringify(a.body)).not.toContain(t.split('.')[1]);
        }
      }
    });
  });

for (const backend of backends)
  describe(`${backend.name}: callback tokens after the action closes`, () => {
    const clock = new FakeClock(Date.UTC(2026, 5, 1));
    let h: Harness;
    beforeAll(async () => {
      h = await backend.open({ clock }, false);
      await connector(h);
      await actionType(h, { name: 'cb', ...CALLBACK_TYPE });
    });
    afterAll(async () => h?.close());

    it('updates after close are 409 and change nothing; repeats get the same answer until the TTL; then 404 like an unknown token', async () => {
      expect(h.callout.callbacks.tokenTtlMs).toBe(DEFAULT_CALLBACK_TOKEN_TTL_MS);
      const a = await launch(h, 'cb');
      await h.callout.engine.tick();
      const token = h.callout.engine.callbackToken(a.id);
      const path = `/v1/callbacks/${token}`;
      const done = await h.api('POST', path, { outcome: 'success', data: { n: 1 } });
      expect(done.status).toBe(200);
      expect(done.body.state).toBe('closed');
      const before = (await h.api('GET', `/v1/actions/${a.id}/timeline`)).body.items;
      for (const [sub, body] of [
        ['/messages', { message: 'still working' }],
        ['/acknowledge', { externalReference: 'VND-1' }],
        ['/heartbeat', {}],
      ] as const) {
        const r = await h.api('POST', `${path}${sub}`, body);
        expect(r.status).toBe(409);
        expect(r.headers['content-type']).toContain('application/problem+json');
        expect(r.body.code).toBe('INVALID_STATE');
        expect(r.body.detail).toMatch(/^The action is closed; /);
      }
      expect((await h.api('GET', `/v1/actions/${a.id}/timeline`)).body.items).toEqual(before);
      expect((await h.api('GET', `/v1/actions/${a.id}`)).body.externalReference).toBeNull();

      clock.advance(DEFAULT_CALLBACK_TOKEN_TTL_MS - 1);
      const repeat = await h.api('POST', path, { outcome: 'success', data: { n: 1 } });
      expect(repeat.status).toBe(200);
      expect(repeat.body).toEqual(done.body);

      clock.advance(1);
      const unknown = await h.api('POST', `/v1/callbacks/${a.id}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`, { outcome: 'success' });
      expect(unknown.status).toBe(404);
      for (const [sub, body] of [
        ['', { outcome: 'success', data: { n: 1 } }],
        ['/messages', { message: 'late' }],
        ['/acknowledge', { externalReference: 'VND-1' }],
        ['/heartbeat', {}],
      ] as const) {
        const r = await h.api('POST', `${path}${sub}`, body);
        expect(r.status).toBe(404);
        expect(r.body).toEqual(unknown.body);
      }
      expect((await h.api('GET', `/v1/actions/${a.id}/timeline`)).body.items).toEqual(before);
    });
  });

describe('CALLOUT_CALLBACK_TOKEN_TTL', () => {
  it('is read as a duration; a bad value is refused naming the setting', () => {
    expect(readSettings({}, {}).callbackTokenTtlMs).toBeUndefined();
    expect(readSettings({}, { CALLOUT_CALLBACK_TOKEN_TTL: '2h' }).callbackTokenTtlMs).toBe(7_200_000);
    expect(() => readSettings({}, { CALLOUT_CALLBACK_TOKEN_TTL: 'soon' })).toThrow(ValidationError);
    try {
      readSettings({}, { CALLOUT_CALLBACK_TOKEN_TTL: 'soon' });
    } catch (e) {
      expect((e as ValidationError).errors?.[0]?.field).toBe('CALLOUT_CALLBACK_TOKEN_TTL');
    }
  });
});
