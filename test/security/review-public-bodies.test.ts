// An outside probe (session 21): a made-up callback token with a 5 MB body of `[[[[…` (2.6 million
// levels) held the event loop about 2.3 s per request, without any key, because the whole body was
// parsed before the token was looked at. Public routes now read at most what they need, and JSON
// nested past 64 levels is refused before it is parsed, on every route.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { nestsDeeperThan } from '../../src/api/body-depth.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const deep = (bytes: number): string => `{"outcome":"success","data":${'['.repeat(bytes / 2)}${']'.repeat(bytes / 2)}}`;
const forged = `forged.${'A'.repeat(43)}`;

describe('public routes', () => {
  it('a callback body past its limit is refused before it is read (413), with or without a real token', async () => {
    const r = await h.api('POST', `/v1/callbacks/${forged}`, deep(5 * 1024 * 1024), {
      authorization: '',
      'content-type': 'application/json',
    });
    expect(r.status).toBe(413);
    for (const sub of ['acknowledge', 'heartbeat', 'messages', 'hand-back'])
      expect((await h.api('POST', `/v1/callbacks/${forged}/${sub}`, deep(2 * 1024 * 1024), { authorization: '' })).status).toBe(413);
  });

  it('a deep body within the limit is refused as too deep (422) before it is parsed', async () => {
    const r = await h.api('POST', `/v1/callbacks/${forged}`, deep(1024 * 1024), { authorization: '', 'content-type': 'application/json' });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([{ field: '', message: 'is nested deeper than 64 levels' }]);
  });

  it('sign-in reads a key, not megabytes', async () => {
    const r = await h.api('POST', '/ui/session', JSON.stringify({ key: 'x'.repeat(20 * 1024) }), { authorization: '' });
    expect(r.status).toBe(413);
  });

  it('a keyed route refuses a deep body before parsing it too, and still takes one 64 levels deep', async () => {
    const r = await h.api('POST', '/v1/cases', `{"data":{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`);
    expect(r.status).toBe(422);
    const ok = await h.api('POST', '/v1/cases', `{"data":{"a":${'['.repeat(30)}${']'.repeat(30)}}}`);
    expect(ok.status).toBe(201);
  });
});

describe('nestsDeeperThan', () => {
  it('counts brackets outside strings only, escapes included', () => {
    expect(nestsDeeperThan('[[[]]]', 3)).toBe(false);
    expect(nestsDeeperThan('[[[[]]]]', 3)).toBe(true);
    expect(nestsDeeperThan(`{"a":"${'['.repeat(100)}"}`, 3)).toBe(false);
    expect(nestsDeeperThan(`{"a":"\\"${'{'.repeat(100)}"}`, 3)).toBe(false);
    expect(nestsDeeperThan(`{"a\\\\":${'['.repeat(5)}${']'.repeat(5)}}`, 3)).toBe(true);
    expect(nestsDeeperThan('[1,[2],[3],{"x":[4]}]', 3)).toBe(false);
  });
});
