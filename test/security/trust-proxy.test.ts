// CALLOUT_TRUST_PROXY (the proxies' addresses; no hop count): behind a reverse proxy, the per-address limits count each client (from
// X-Forwarded-For) rather than the proxy, and the UI's cookie is Secure behind TLS (X-Forwarded-Proto).
// Without it those headers are ignored, so a client cannot choose the address it is counted as.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { readSettings } from '../../src/settings.ts';
import { ValidationError } from '../../src/errors.ts';
import { freePort, startHarness, type Harness } from '../helpers/harness.ts';
import { startChildServer, testNodeEnv, type ChildServer } from '../helpers/child-server.ts';
import { settingsRefusal } from '../helpers/settings.ts';

const refusal = (value: string): unknown => settingsRefusal({ CALLOUT_TRUST_PROXY: value });

/** Statuses of requests without a key, each sent as from `forwardedFor` (when given). */
async function statuses(h: Harness, forwardedFor: Array<string | undefined>): Promise<number[]> {
  const out: number[] = [];
  for (const xff of forwardedFor) {
    const r = await request(`${h.url}/v1/actions`, { headers: xff ? { 'x-forwarded-for': xff } : {} });
    await r.body.text();
    out.push(r.statusCode);
  }
  return out;
}

describe('CALLOUT_TRUST_PROXY', () => {
  it('is off by default; takes addresses, ranges and presets; anything else (a hop count included) is refused, naming it', () => {
    expect(readSettings({}, {}).trustProxy).toBeUndefined();
    expect(readSettings({}, { CALLOUT_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,loopback, ::1, fd00::/8' }).trustProxy).toEqual([
      '127.0.0.1',
      '10.0.0.0/8',
      'loopback',
      '::1',
      'fd00::/8',
    ]);
    for (const bad of ['true', '0', '1', '2', '10.0.0.0/33', 'proxy.example', '1.2.3.4/8/9', '127.0.0.1,', '::1/129']) {
      const err = refusal(bad);
      expect(err, bad).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).errors).toEqual([{ field: 'CALLOUT_TRUST_PROXY', message: expect.stringContaining('must be') }]);
    }
  });

  it('without it, X-Forwarded-For is ignored: changing it does not escape the per-address limit', async () => {
    const h = await startHarness({ start: false, server: { limits: { perAddressWithoutKey: 3 } } });
    try {
      // Three a minute from this address (the harness's own start-up read of /openapi.json counts too).
      const s = await statuses(h, ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5']);
      expect(s.slice(-2)).toEqual([429, 429]);
    } finally {
      await h.close();
    }
  });

  it('with the proxy trusted, each client behind it has its own allowance, and X-Forwarded-Proto https makes the cookie Secure', async () => {
    const h = await startHarness({ start: false, server: { limits: { perAddressWithoutKey: 3 }, trustProxy: ['127.0.0.1'] } });
    try {
      expect(await statuses(h, ['10.0.0.1', '10.0.0.1', '10.0.0.1', '10.0.0.1'])).toEqual([401, 401, 401, 429]);
      // Another client behind the same proxy is not locked out by the first.
      expect(await statuses(h, ['10.0.0.2'])).toEqual([401]);
      // An IPv6 client is counted by its /64, as the connection cap counts it: a host holds all of one.
      expect(await statuses(h, ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff::9', '2001:db8:1:2::3'])).toEqual([
        401, 401, 401, 429,
      ]);
      expect(await statuses(h, ['2001:db8:1:3::1'])).toEqual([401]);
      const r = await request(`${h.url}/ui/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https', 'x-forwarded-for': '10.0.0.9' },
        body: JSON.stringify({ key: h.adminKey }),
      });
      await r.body.text();
      expect(r.statusCode).toBe(200);
      expect(String(r.headers['set-cookie'])).toMatch(/^__Host-callout_session=.*; Secure$/);
    } finally {
      await h.close();
    }
  });

  describe('in callout serve', () => {
    const dir = mkdtempSync(join(tmpdir(), 'callout-trustproxy-'));
    let child: ChildServer | undefined;
    afterAll(async () => {
      await child?.kill();
      rmSync(dir, { recursive: true, force: true });
    });

    it('is applied: a sign-in through a trusted TLS proxy gets a Secure cookie', async () => {
      const key = 'trust-proxy-admin-key-0123456789';
      child = await startChildServer(testNodeEnv(key, { CALLOUT_DATA_DIR: dir, CALLOUT_TRUST_PROXY: 'loopback' }), await freePort());
      const r = await request(`${child.url}/ui/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
        body: JSON.stringify({ key }),
      });
      await r.body.text();
      expect(r.statusCode).toBe(200);
      expect(String(r.headers['set-cookie'])).toMatch(/; Secure$/);
    });
  });
});
