// An outside probe (session 21): a made-up callback token with a 5 MB body of `[[[[…` (2.6 million
// levels) held the event loop about 2.3 s per request, without any key, because the whole body was
// parsed before the token was looked at. A callback token's MAC is now checked before its body is
// read, public routes read at most what they need, and JSON nested past 1,000 levels is refused
// before it is parsed, on every route.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { tooDeepAt } from '../../src/api/body-depth.ts';

let h: Harness;
let token: string;
beforeAll(async () => {
  h = await startHarness();
  await connector(h);
  await actionType(h, { name: 'cb', path: '/callback?never=1', completion: { mode: 'callback' } });
  const a = await launch(h, 'cb');
  await h.waitFor(a.id, (x) => x.phase === 'awaiting_callback');
  token = h.callout.engine.callbackToken(a.id);
});
afterAll(async () => h.close());

const deep = (bytes: number): string => `{"outcome":"success","data":${'['.repeat(bytes / 2)}${']'.repeat(bytes / 2)}}`;
const forged = `forged.${'A'.repeat(43)}`;

/** Posts `body` over a raw request; a server that answers before reading may close while the body is still going. */
async function post(path: string, body: string): Promise<{ status: number; body: any } | 'closed'> {
  try {
    return await h.api('POST', path, body, { authorization: '', 'content-type': 'application/json' });
  } catch {
    return 'closed';
  }
}

describe('public routes', () => {
  it('a made-up callback token is answered 404 before its body is read, whatever the body', async () => {
    for (const sub of ['', '/acknowledge', '/heartbeat', '/messages', '/hand-back']) {
      const r = await post(`/v1/callbacks/${forged}${sub}`, deep(4 * 1024 * 1024));
      if (r !== 'closed') expect(r.status, sub).toBe(404);
      const small = await post(`/v1/callbacks/${forged}${sub}`, '{"outcome":"success"}');
      expect(small !== 'closed' && small.status, sub).toBe(404);
    }
  });

  it("a real token's body past the callback limit is refused before it is read (413)", async () => {
    const r = await post(`/v1/callbacks/${token}`, deep(2 * 1024 * 1024));
    expect(r !== 'closed' && r.status).toBe(413);
  });

  it('a body nested past 1,000 levels is refused (422) before it is parsed, naming its field', async () => {
    const r = await post(`/v1/callbacks/${token}`, deep(1024 * 1024));
    expect(r !== 'closed' && r.status).toBe(422);
    expect(r !== 'closed' && r.body.errors).toEqual([{ field: 'data', message: 'is nested deeper than 32 levels' }]);
  });

  it('sign-in reads a key, not megabytes', async () => {
    const r = await post('/ui/session', JSON.stringify({ key: 'x'.repeat(20 * 1024) }));
    expect(r !== 'closed' && r.status).toBe(413);
  });

  it('a keyed route refuses a deep body before parsing it too, and still names a field nested past 64 levels after parsing', async () => {
    const r = await h.api('POST', '/v1/cases', `{"data":{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`);
    expect(r.status).toBe(422);
    const mid = await h.api('POST', '/v1/cases', `{"title":"t","data":{"a":${'['.repeat(100)}${']'.repeat(100)}}}`);
    expect(mid.status).toBe(422);
    expect(mid.body.errors.map((e: { field: string }) => e.field)).toEqual(['data']);
    const ok = await h.api('POST', '/v1/cases', `{"data":{"a":${'['.repeat(30)}${']'.repeat(30)}}}`);
    expect(ok.status).toBe(201);
  });
});

describe('tooDeepAt', () => {
  it('counts brackets outside strings only, escapes included, and names the top-level field', () => {
    expect(tooDeepAt('[[[]]]', 3)).toBeNull();
    expect(tooDeepAt('[[[[]]]]', 3)).toBe('');
    expect(tooDeepAt(`{"a":"${'['.repeat(100)}"}`, 3)).toBeNull();
    expect(tooDeepAt(`{"a":"\\"${'{'.repeat(100)}"}`, 3)).toBeNull();
    expect(tooDeepAt(`{"a\\\\":${'['.repeat(5)}${']'.repeat(5)}}`, 3)).toBe('a\\');
    expect(tooDeepAt(`{"x":1,"d\\u00e9":{"k":[[[1]]]}}`, 3)).toBe('dé');
    expect(tooDeepAt('[1,[2],[3],{"x":[4]}]', 3)).toBeNull();
  });
});
