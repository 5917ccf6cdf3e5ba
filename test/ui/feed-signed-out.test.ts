// A live feed (GET /v1/events) ends once its key is revoked or its UI session signed out: the key was
// checked only when the feed opened, and a stream opened before kept receiving every action's id and
// state for as long as it stayed open.

import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';
import { RECHECK_MS } from '../../src/ui/events.ts';

/** Opens a feed; `ended` resolves with everything it received once the server ends it. */
async function feed(h: Harness, headers: Record<string, string>): Promise<{ ended: Promise<string>; abort: () => void }> {
  const ac = new AbortController();
  const res = await request(`${h.url}/v1/events`, { headers, signal: ac.signal });
  expect(res.statusCode).toBe(200);
  const ended = (async () => {
    let text = '';
    try {
      for await (const chunk of res.body) text += String(chunk);
    } catch {
      text += '(aborted)';
    }
    return text;
  })();
  return { ended, abort: () => ac.abort() };
}

describe('a live feed', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await connector(h);
    await actionType(h, { name: 'ok', path: '/ok' });
  });
  afterAll(async () => h?.close());

  it('ends when its key is revoked, and says so', async () => {
    const made = await h.api('POST', '/v1/api-keys', { name: 'olga', roles: ['operator'] });
    const f = await feed(h, { authorization: `Bearer ${made.body.key}` });
    const untouched = await feed(h, { authorization: `Bearer ${h.adminKey}` });
    try {
      expect((await h.api('DELETE', `/v1/api-keys/${made.body.id}`)).status).toBeLessThan(300);
      const started = Date.now();
      const text = await Promise.race([f.ended, new Promise<string>((r) => setTimeout(() => r('(still open)'), RECHECK_MS + 5000))]);
      expect(text.endsWith('event: signed-out\ndata: {}\n\n')).toBe(true);
      expect(Date.now() - started).toBeLessThan(RECHECK_MS + 3000);
      // Nothing after the revocation reaches it; another key's feed goes on.
      const id = (await h.api('POST', '/v1/actions', { actionType: 'ok' })).body.id as string;
      await h.waitFor(id, (a) => a.state === 'closed');
    } finally {
      f.abort();
      untouched.abort();
    }
    expect(await untouched.ended).toContain('(aborted)');
  }, 30_000);

  it('ends when its UI session signs out', async () => {
    const made = await h.api('POST', '/v1/api-keys', { name: 'bob', roles: ['operator'] });
    const signIn = await request(`${h.url}/ui/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: made.body.key }),
    });
    const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
    await signIn.body.text();
    const f = await feed(h, { cookie });
    try {
      const out = await request(`${h.url}/ui/session`, { method: 'DELETE', headers: { cookie } });
      expect(out.statusCode).toBe(204);
      await out.body.text();
      const text = await Promise.race([f.ended, new Promise<string>((r) => setTimeout(() => r('(still open)'), RECHECK_MS + 5000))]);
      expect(text.endsWith('event: signed-out\ndata: {}\n\n')).toBe(true);
    } finally {
      f.abort();
    }
  }, 30_000);
});
