import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import {
  INBOUND_REFUSAL,
  InboundSignatureError,
  MemoryReplayGuard,
  REPLAY_MEMORY_MS,
  verifyInbound,
  type InboundHeaders,
} from './verify.ts';
import { generateSecret } from '../webhooks/sign.ts';

const secret = generateSecret();
const T0 = Date.UTC(2026, 11, 2, 9, 0, 0);
const body = Buffer.from('{ "externalReference": "INC-7",  "note": "déjà vu" }');

/** Headers as a provider using the standardwebhooks package sends them. */
function signed(id: string, atMs: number, payload: Buffer = body, key = secret): InboundHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(atMs / 1000)),
    'webhook-signature': new Webhook(key).sign(id, new Date(atMs), payload),
  };
}

function setup(now = T0) {
  const clock = { now };
  const guard = new MemoryReplayGuard(() => clock.now);
  const verify = (headers: InboundHeaders, payload: Buffer = body, s: string | null = secret) =>
    verifyInbound(headers, payload, { secret: s, scope: 'conn-1', replayGuard: guard, now: clock.now });
  return { clock, guard, verify };
}

async function refusal(p: Promise<unknown>): Promise<InboundSignatureError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(InboundSignatureError);
  const err = e as InboundSignatureError;
  expect(err.status).toBe(401);
  expect(err.code).toBe('UNAUTHORIZED');
  expect(err.message).toBe(INBOUND_REFUSAL);
  return err;
}

describe('verifying a signed inbound request', () => {
  it('accepts a request signed by the standardwebhooks package with the connector secret', async () => {
    const { verify } = setup();
    await expect(verify(signed('msg_1', T0))).resolves.toEqual({ id: 'msg_1', timestamp: T0 / 1000, spent: 'conn-1:msg_1' });
  });

  it('accepts when any of several signatures matches (the sender is rotating), ignoring other versions', async () => {
    const { verify } = setup();
    const h = signed('msg_2', T0);
    const other = signed('msg_2', T0, body, generateSecret())['webhook-signature'];
    h['webhook-signature'] = `v1a,AAAA ${other} ${String(h['webhook-signature'])}`;
    await expect(verify(h)).resolves.toMatchObject({ id: 'msg_2' });
  });

  it('accepts timestamps up to 300 s off either way and refuses 301 s (stale or from the future)', async () => {
    const { verify } = setup();
    await expect(verify(signed('msg_old_ok', T0 - 300_000))).resolves.toBeDefined();
    await expect(verify(signed('msg_new_ok', T0 + 300_000))).resolves.toBeDefined();
    await refusal(verify(signed('msg_stale', T0 - 301_000)));
    await refusal(verify(signed('msg_future', T0 + 301_000)));
  });

  it('refuses a replayed id, even with a fresh signature, and remembers ids for 7 days', async () => {
    const { verify, clock, guard } = setup();
    await verify(signed('msg_r', T0));
    await refusal(verify(signed('msg_r', T0)));
    clock.now = T0 + 60_000;
    await refusal(verify(signed('msg_r', clock.now)));
    clock.now = T0 + REPLAY_MEMORY_MS - 1;
    expect(guard.seen('conn-1:msg_r', clock.now + REPLAY_MEMORY_MS)).toBe(true);
    clock.now = T0 + REPLAY_MEMORY_MS + 60_001;
    await expect(verify(signed('msg_r', clock.now))).resolves.toBeDefined();
  });

  it('scopes remembered ids by connector, so two senders may use the same id', async () => {
    const { guard } = setup();
    const opts = (scope: string) => ({ secret, scope, replayGuard: guard, now: T0 });
    await verifyInbound(signed('msg_s', T0), body, opts('conn-1'));
    await expect(verifyInbound(signed('msg_s', T0), body, opts('conn-2'))).resolves.toBeDefined();
  });

  it('a forged request does not spend the id of the real one', async () => {
    const { verify } = setup();
    await refusal(verify(signed('msg_f', T0, body, generateSecret())));
    await expect(verify(signed('msg_f', T0))).resolves.toBeDefined();
  });

  it('refuses tampered bytes, a tampered id or timestamp, the wrong secret, and unsigned requests, all with the same error', async () => {
    const { verify } = setup();
    const h = signed('msg_t', T0);
    await refusal(verify(h, Buffer.from(body.toString().replace('INC-7', 'INC-8'))));
    // Re-serialised JSON is different bytes: verification is over the raw body only.
    await refusal(verify(h, Buffer.from(JSON.stringify(JSON.parse(body.toString())))));
    await refusal(verify({ ...h, 'webhook-id': 'msg_u' }));
    await refusal(verify({ ...h, 'webhook-timestamp': String(T0 / 1000 - 1) }));
    await refusal(verify(signed('msg_w', T0, body, generateSecret())));
    await refusal(verify({}));
    await refusal(verify({ 'webhook-id': 'msg_x', 'webhook-timestamp': String(T0 / 1000) }));
  });

  it('an unknown reference or a connector without an inbound secret looks exactly like a forgery', async () => {
    const { verify } = setup();
    const forged = await refusal(verify(signed('msg_k', T0, body, generateSecret())));
    const unknown = await refusal(verify(signed('msg_k', T0), body, null));
    expect({ ...unknown, stack: '' }).toEqual({ ...forged, stack: '' });
    await refusal(verify(signed('msg_k', T0), body, 'not-a-secret'));
  });

  it('refuses malformed headers: repeated, non-numeric or overlong timestamp, bad entries, oversize', async () => {
    const { verify } = setup();
    const h = signed('msg_m', T0);
    await refusal(verify({ ...h, 'webhook-signature': [String(h['webhook-signature']), 'v1,AAAA'] }));
    await refusal(verify({ ...h, 'webhook-timestamp': `${T0 / 1000}.0` }));
    await refusal(verify({ ...h, 'webhook-timestamp': '-1' }));
    await refusal(verify({ ...h, 'webhook-timestamp': '9'.repeat(13) }));
    await refusal(verify({ ...h, 'webhook-signature': 'v1' }));
    await refusal(verify({ ...h, 'webhook-signature': 'v1,' + 'A'.repeat(40) }));
    await refusal(verify({ ...h, 'webhook-id': 'x'.repeat(257) }));
    await refusal(verify({ ...h, 'webhook-signature': `${'v1,AAAA '.repeat(600)}${String(h['webhook-signature'])}` }));
  });
});

describe('the in-memory replay guard', () => {
  it('answers true only for an id recorded and not yet expired, and forgets expired ids', () => {
    let now = 0;
    const g = new MemoryReplayGuard(() => now);
    expect(g.seen('a', 100)).toBe(false);
    expect(g.seen('a', 200)).toBe(true);
    expect(g.seen('b', 150)).toBe(false);
    now = 120;
    expect(g.seen('c', 220)).toBe(false);
    expect(g.size).toBe(2);
    expect(g.seen('a', 220)).toBe(false);
  });
});
