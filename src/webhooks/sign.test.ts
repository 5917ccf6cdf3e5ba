import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import {
  DEFAULT_ROTATION_OVERLAP_MS,
  activeSecrets,
  assertSecret,
  generateSecret,
  rotateSecrets,
  MAX_SIGNING_SECRETS,
  secretKey,
  signWebhook,
  type SigningSecret,
} from './sign.ts';
import { ValidationError } from '../errors.ts';

const H = 3_600_000;
const body = '{"type":"action.state_changed","timestamp":"2026-12-02T09:00:00.000Z","data":{"actionId":"a1"}}';
const verifies = (secret: string, payload: string, headers: Record<string, string>): boolean => {
  try {
    new Webhook(secret).verify(payload, headers);
    return true;
  } catch {
    return false;
  }
};

describe('webhook secrets', () => {
  it('are whsec_ and the base64 of 24 to 64 random bytes, different every time', () => {
    const a = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(secretKey(a)).toHaveLength(32);
    expect(secretKey(generateSecret(24))).toHaveLength(24);
    expect(secretKey(generateSecret(64))).toHaveLength(64);
    expect(generateSecret()).not.toBe(a);
    expect(() => generateSecret(16)).toThrow(RangeError);
    expect(() => generateSecret(65)).toThrow(RangeError);
  });

  it('refuse a secret with the wrong prefix, bad base64 or too few bytes, naming the field', () => {
    for (const bad of ['abc', 'whsec_', 'whsec_!!!!', `whsec_${Buffer.alloc(8).toString('base64')}`, 42]) {
      expect(() => assertSecret('inboundSecret', bad)).toThrow(ValidationError);
      try {
        assertSecret('inboundSecret', bad);
      } catch (e) {
        expect((e as ValidationError).errors?.[0]?.field).toBe('inboundSecret');
      }
    }
    const good = generateSecret();
    expect(assertSecret('inboundSecret', good)).toBe(good);
  });
});

describe('signing a delivery (verified by the standardwebhooks package)', () => {
  const now = Date.now();
  const a: SigningSecret = { secret: generateSecret(), createdAt: now - 48 * H, expiresAt: null };

  it('gives the three Standard Webhooks headers, with the timestamp in Unix seconds', () => {
    const h = signWebhook([a], 'msg_1', now, body);
    expect(h['webhook-id']).toBe('msg_1');
    expect(h['webhook-timestamp']).toBe(String(Math.floor(now / 1000)));
    expect(h['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verifies(a.secret, body, { ...h })).toBe(true);
  });

  it('signs the exact bytes given, so a Buffer body with odd spacing and non-ASCII verifies', () => {
    const raw = Buffer.from('{ "note" : "café ✓",\n "n": 1 }');
    const h = signWebhook([a], 'msg_2', now, raw);
    expect(verifies(a.secret, raw.toString(), { ...h })).toBe(true);
  });

  it('fails verification when the body, the timestamp or the id is tampered with', () => {
    const h = signWebhook([a], 'msg_3', now, body);
    expect(verifies(a.secret, body.replace('a1', 'a2'), { ...h })).toBe(false);
    expect(verifies(a.secret, body, { ...h, 'webhook-timestamp': String(Math.floor(now / 1000) - 1) })).toBe(false);
    expect(verifies(a.secret, body, { ...h, 'webhook-id': 'msg_4' })).toBe(false);
    expect(verifies(generateSecret(), body, { ...h })).toBe(false);
  });

  it('refuses an id that would make the signed content ambiguous, and a subscription without an active secret', () => {
    expect(() => signWebhook([a], 'msg.1', now, body)).toThrow(RangeError);
    expect(() => signWebhook([a], 'msg 1', now, body)).toThrow(RangeError);
    expect(() => signWebhook([{ ...a, expiresAt: now }], 'msg_1', now, body)).toThrow(/no active signing secret/);
  });
});

describe('rotation with an overlap', () => {
  const now = Date.now();
  const old: SigningSecret = { secret: generateSecret(), createdAt: now - 100 * H, expiresAt: null };

  it('before rotation only the old secret signs', () => {
    const h = signWebhook([old], 'msg_r', now, body);
    expect(h['webhook-signature'].split(' ')).toHaveLength(1);
    expect(verifies(old.secret, body, { ...h })).toBe(true);
  });

  it('during the overlap both sign, so a receiver with either secret verifies', () => {
    const rotatedAt = now - 2 * H;
    const { secrets, secret } = rotateSecrets([old], rotatedAt);
    expect(secrets).toHaveLength(2);
    expect(secrets.find((s) => s.secret === old.secret)?.expiresAt).toBe(rotatedAt + DEFAULT_ROTATION_OVERLAP_MS);
    const h = signWebhook(secrets, 'msg_r', now, body);
    expect(h['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verifies(secret, body, { ...h })).toBe(true);
    expect(verifies(old.secret, body, { ...h })).toBe(true);
  });

  it('after the overlap only the new secret signs and the old one no longer verifies', () => {
    const { secrets, secret } = rotateSecrets([old], now - 25 * H);
    const h = signWebhook(secrets, 'msg_r', now, body);
    expect(h['webhook-signature'].split(' ')).toHaveLength(1);
    expect(verifies(secret, body, { ...h })).toBe(true);
    expect(verifies(old.secret, body, { ...h })).toBe(false);
  });

  it('a second rotation drops expired secrets and never extends an earlier expiry', () => {
    const first = rotateSecrets([old], now - 30 * H);
    const second = rotateSecrets(first.secrets, now - 2 * H, { overlapMs: 48 * H });
    expect(second.secrets.map((s) => s.secret)).toEqual([second.secret, first.secret]);
    const third = rotateSecrets(second.secrets, now - H, { overlapMs: 48 * H });
    // The one rotated out at now-2h keeps its expiry; it is not stretched by the later rotation.
    expect(third.secrets.find((s) => s.secret === first.secret)?.expiresAt).toBe(now - 2 * H + 48 * H);
    expect(activeSecrets(third.secrets, now).map((s) => s.secret)).toEqual([third.secret, second.secret, first.secret]);
  });

  it('rotated again and again within an overlap, the newest five sign: the header stays short', () => {
    let secrets: SigningSecret[] = [old];
    const made: string[] = [];
    for (let i = 0; i < 500; i++) {
      const r = rotateSecrets(secrets, now - H + i);
      secrets = r.secrets;
      made.push(r.secret);
    }
    expect(activeSecrets(secrets, now).map((s) => s.secret)).toEqual(made.slice(-MAX_SIGNING_SECRETS).reverse());
    const h = signWebhook(secrets, 'msg_r', now, body);
    expect(h['webhook-signature'].split(' ')).toHaveLength(MAX_SIGNING_SECRETS);
    expect(h['webhook-signature'].length).toBeLessThan(400);
  });

  it('an overlap of 0 switches at once', () => {
    const { secrets, secret } = rotateSecrets([old], now, { overlapMs: 0 });
    expect(secrets.map((s) => s.secret)).toEqual([secret]);
  });
});
