// CALLOUT_API_RATE_LIMIT: read and checked with the other settings, and applied by `callout serve`.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { readSettings } from '../../src/settings.ts';
import { ValidationError } from '../../src/errors.ts';
import { freePort } from '../helpers/harness.ts';
import { startChildServer, testNodeEnv, type ChildServer } from '../helpers/child-server.ts';

describe('CALLOUT_API_RATE_LIMIT', () => {
  it('defaults to 6000 a minute per key; the flag wins over the environment', () => {
    expect(readSettings({}, {}).apiRateLimit).toBe(6000);
    expect(readSettings({}, { CALLOUT_API_RATE_LIMIT: '120' }).apiRateLimit).toBe(120);
    expect(readSettings({ apiRateLimit: '50' }, { CALLOUT_API_RATE_LIMIT: '120' }).apiRateLimit).toBe(50);
  });

  it('anything but a positive whole number is refused, naming the setting', () => {
    for (const bad of ['0', '-5', '1.5', 'lots', '1e3']) {
      const err = (() => {
        try {
          readSettings({}, { CALLOUT_API_RATE_LIMIT: bad });
        } catch (e) {
          return e;
        }
      })();
      expect(err, bad).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).errors).toEqual([{ field: 'CALLOUT_API_RATE_LIMIT', message: expect.stringContaining(bad) }]);
    }
  });

  describe('in callout serve', () => {
    const dir = mkdtempSync(join(tmpdir(), 'callout-ratelimit-'));
    let child: ChildServer | undefined;
    afterAll(async () => {
      await child?.kill();
      rmSync(dir, { recursive: true, force: true });
    });

    it('a key over the limit gets 429 with Retry-After', async () => {
      const key = 'rate-limit-admin-key-0123456789';
      child = await startChildServer(testNodeEnv(key, { CALLOUT_DATA_DIR: dir, CALLOUT_API_RATE_LIMIT: '3' }), await freePort());
      const statuses: number[] = [];
      let retryAfter: unknown;
      for (let i = 0; i < 5; i++) {
        const r = await request(`${child.url}/v1/connectors`, { headers: { authorization: `Bearer ${key}` } });
        await r.body.text();
        statuses.push(r.statusCode);
        retryAfter ??= r.headers['retry-after'];
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
    });
  });
});
