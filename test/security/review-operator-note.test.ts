// Review of issue 9: an operator's completion note had no length limit, so one request (up to the
// 5 MB body limit) wrote megabytes into the action's timeline, read back in full by every role. It is
// bounded like a callback's reason or message, refused with a 422 naming `note`, changing nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TEXT_CHARS } from '../../src/json-limits.ts';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await connector(h);
  await actionType(h, { name: 'later', path: '/later' });
});
afterAll(async () => h.close());

describe('POST /v1/actions/{id}/complete', () => {
  it('refuses a note longer than the text limit (422 naming note); the action stays open and its timeline small', async () => {
    const a = await launch(h, 'later', {}, { startAt: new Date(Date.now() + 5 * 365 * 86_400_000).toISOString() });
    const r = await h.api('POST', `/v1/actions/${a.id}/complete`, { note: 'x'.repeat(4_000_000) });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([{ field: 'note', message: expect.any(String) }]);
    expect((await h.api('GET', `/v1/actions/${a.id}`)).body.state).toBe('waiting');
    expect(JSON.stringify((await h.api('GET', `/v1/actions/${a.id}/timeline`)).body).length).toBeLessThan(20_000);
    // The library path is bounded too, not only the HTTP schema.
    await expect(h.callout.actions.complete(a.id, 'someone', { note: 'y'.repeat(MAX_TEXT_CHARS + 1) })).rejects.toMatchObject({
      errors: [{ field: 'note', message: expect.any(String) }],
    });
    const ok = await h.api('POST', `/v1/actions/${a.id}/complete`, { note: 'n'.repeat(MAX_TEXT_CHARS) });
    expect(ok.status).toBe(200);
  });
});
