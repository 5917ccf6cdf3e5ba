import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { rawBodyOf, useRawJsonBody } from './raw-body.ts';
import { INBOUND_REFUSAL, MemoryReplayGuard, verifyInbound } from './verify.ts';
import { generateSecret } from '../webhooks/sign.ts';
import { errorHandler } from '../api/problem.ts';
import { createLogger } from '../logger.ts';

// A real server on loopback: a signed route addressed by reference, as the inbound API will have it.
const secret = generateSecret();
const secrets = new Map([['INC-7', secret]]);
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  app = Fastify({ bodyLimit: 5 * 1024 * 1024 });
  app.setErrorHandler(errorHandler(createLogger({ level: 'silent' })));
  const guard = new MemoryReplayGuard(() => Date.now());
  await app.register(
    async (scope) => {
      useRawJsonBody(scope, { bodyLimit: 16 * 1024 });
      scope.post('/inbound/:ref', { config: { rawBody: true } }, async (req) => {
        const ref = (req.params as { ref: string }).ref;
        await verifyInbound(req.headers, rawBodyOf(req), {
          secret: secrets.get(ref),
          scope: 'vendor',
          replayGuard: guard,
          now: Date.now(),
        });
        return { verified: true, body: req.body ?? null };
      });
      scope.post('/unsigned', async (req) => ({ rawBody: req.rawBody, body: req.body }));
    },
    { prefix: '/v1' },
  );
  app.post('/outside', async (req) => ({ body: req.body, hasRaw: 'rawBody' in req }));
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app.close();
});

let n = 0;
function signedHeaders(payload: string, key = secret, at = new Date()): Record<string, string> {
  const id = `msg_${++n}_${Date.now()}`;
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(key).sign(id, at, payload),
  };
}
const post = (path: string, body: string | undefined, headers: Record<string, string>) =>
  fetch(`${base}${path}`, { method: 'POST', headers, ...(body !== undefined ? { body } : {}) });

describe('raw body for signed inbound routes (real Fastify on loopback, signed with standardwebhooks)', () => {
  const payload = '{ "externalReference" :"INC-7",\n  "note": "caf\u00e9" }';

  it('verifies over the exact bytes sent, and the handler still gets the parsed body', async () => {
    const res = await post('/v1/inbound/INC-7', payload, signedHeaders(payload));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ verified: true, body: { externalReference: 'INC-7', note: 'café' } });
  });

  it('a request whose body was changed after signing gets 401 problem+json', async () => {
    const headers = signedHeaders(payload);
    const res = await post('/v1/inbound/INC-7', JSON.stringify(JSON.parse(payload)), headers);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 401, code: 'UNAUTHORIZED', detail: INBOUND_REFUSAL });
  });

  it('unsigned, stale, replayed, wrong-secret and unknown-reference requests all get the identical 401', async () => {
    const bodies: unknown[] = [];
    const collect = async (res: Response) => {
      expect(res.status).toBe(401);
      bodies.push(await res.json());
    };
    await collect(await post('/v1/inbound/INC-7', payload, { 'content-type': 'application/json' }));
    await collect(await post('/v1/inbound/INC-7', payload, signedHeaders(payload, secret, new Date(Date.now() - 301_000))));
    const once = signedHeaders(payload);
    expect((await post('/v1/inbound/INC-7', payload, once)).status).toBe(200);
    await collect(await post('/v1/inbound/INC-7', payload, once));
    await collect(await post('/v1/inbound/INC-7', payload, signedHeaders(payload, generateSecret())));
    await collect(await post('/v1/inbound/INC-404', payload, signedHeaders(payload)));
    expect(bodies).toHaveLength(5);
    for (const b of bodies) expect(b).toEqual(bodies[0]);
  });

  it('a signed request with no body verifies over the empty bytes', async () => {
    const headers = signedHeaders('');
    delete headers['content-type'];
    const res = await post('/v1/inbound/INC-7', undefined, headers);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ verified: true, body: null });
  });

  it('a signed route refuses a body of another type with 415, since its bytes were not kept', async () => {
    const headers = { ...signedHeaders('hello'), 'content-type': 'text/plain' };
    const res = await post('/v1/inbound/INC-7', 'hello', headers);
    expect(res.status).toBe(415);
  });

  it('applies the body limit of the signed routes and the poisoning checks of the default parser (400)', async () => {
    const fits = JSON.stringify({ note: 'x'.repeat(15 * 1024) });
    expect((await post('/v1/inbound/INC-7', fits, signedHeaders(fits))).status).toBe(200);
    const big = JSON.stringify({ note: 'x'.repeat(20 * 1024) });
    const tooBig = await post('/v1/inbound/INC-7', big, signedHeaders(big));
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as { detail: string }).detail).toMatch(/larger than/i);
    const poisoned = '{ "__proto__": { "admin": true } }';
    expect((await post('/v1/inbound/INC-7', poisoned, signedHeaders(poisoned))).status).toBe(400);
    expect((await post('/v1/inbound/INC-7', '{ nope', signedHeaders('{ nope'))).status).toBe(400);
  });

  it('routes that do not opt in keep no bytes, and routes outside the plugin keep the usual parser', async () => {
    const res = await post('/v1/unsigned', '{"a":1}', { 'content-type': 'application/json' });
    expect(await res.json()).toEqual({ rawBody: null, body: { a: 1 } });
    const big = JSON.stringify({ note: 'x'.repeat(20 * 1024) });
    const out = await post('/outside', big, { 'content-type': 'application/json' });
    expect(out.status).toBe(200);
    expect(await out.json()).toMatchObject({ hasRaw: false });
  });
});
