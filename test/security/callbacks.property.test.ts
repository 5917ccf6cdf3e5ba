// Property: whatever an outside system sends to the callback routes (any JSON, nesting a hundred
// thousand deep, megabytes of string, wrong types, not JSON at all), the answer is a 2xx or a 4xx
// problem+json, never a 500, and a good callback sent at the same moment still succeeds.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';

const RUNS = 100;
const ROUTES = ['', '/acknowledge', '/heartbeat', '/messages'] as const;

let h: Harness;
let victims: string[] = [];
let fresh: string[] = [];
beforeAll(async () => {
  h = await startHarness();
  await connector(h);
  await actionType(h, {
    name: 'cb',
    path: '/callback?never=1',
    body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}"}' },
    completion: { mode: 'callback' },
    response: { output: '{ "n": n, "list": list }' },
  });
  const ids = [];
  for (let i = 0; i < RUNS + 4; i++) ids.push((await launch(h, 'cb')).id);
  for (const id of ids) await h.waitFor(id, (x) => x.phase === 'awaiting_callback');
  victims = ids.slice(0, 4);
  fresh = ids.slice(4);
}, 120_000);
afterAll(async () => h?.close());

const nested = (depth: number, open: string, close: string, inner = '1'): string => `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

/** Request body text: JSON of every shape, hostile JSON, and text that is not JSON. */
const bodyText = fc.oneof(
  { arbitrary: fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'), weight: 1 },
  {
    weight: 2,
    arbitrary: fc
      .record(
        {
          outcome: fc.oneof(fc.constantFrom('success', 'failure'), fc.jsonValue()),
          data: fc.jsonValue({ maxDepth: 6 }),
          reason: fc.oneof(fc.string(), fc.jsonValue()),
          externalReference: fc.oneof(fc.string(), fc.jsonValue()),
          message: fc.oneof(fc.string(), fc.jsonValue()),
          note: fc.oneof(fc.string(), fc.jsonValue()),
        },
        { requiredKeys: [] },
      )
      .map((v) => JSON.stringify(v)),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.integer({ min: 1, max: 200_000 }),
        fc.constantFrom(['[', ']'], ['{"a":', '}']),
        fc.constantFrom('data', 'data', 'data', 'reason', 'message', 'note', 'x'),
      )
      .map(([depth, [open, close], key]) => `{"outcome":"success","${key}":${nested(depth, open!, close!)}}`),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 2_000_000 }), fc.constantFrom('data', 'data', 'reason', 'message', 'note', 'externalReference'))
      .map(([n, key]) => JSON.stringify({ outcome: 'success', [key]: 'x'.repeat(n), message: 'y' })),
  },
  { arbitrary: fc.string(), weight: 1 },
);

describe('callback routes with arbitrary bodies', () => {
  it('always answer 2xx or a 4xx problem, never 5xx; a good callback alongside succeeds', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES, '', ''),
        fc.integer({ min: 0, max: 4 }),
        bodyText,
        fc.constantFrom('application/json', 'text/plain'),
        async (route, target, text, type) => {
          const token = target < 4 ? h.callout.engine.callbackToken(victims[target]!) : `${victims[0]}.${'A'.repeat(32)}`;
          const good = fresh[run++ % fresh.length]!;
          const [r, ok] = await Promise.all([
            h.api('POST', `/v1/callbacks/${token}${route}`, text, { 'content-type': type, authorization: '' }),
            h.api('POST', `/v1/callbacks/${h.callout.engine.callbackToken(good)}`, { outcome: 'success', data: { n: run, list: [1] } }),
          ]);
          expect(r.status, JSON.stringify(r.body)?.slice(0, 300)).toBeGreaterThanOrEqual(200);
          expect(r.status, JSON.stringify(r.body)?.slice(0, 300)).toBeLessThan(500);
          if (r.status >= 400) {
            expect(r.headers['content-type']).toContain('application/problem+json');
            expect(typeof r.body.detail).toBe('string');
          }
          // The good one was closed by this callback or an earlier run's (the same answer again).
          expect(ok.status).toBe(200);
          expect(ok.body).toMatchObject({ state: 'closed', resolution: 'done_successfully' });
        },
      ),
      { numRuns: RUNS },
    );
  }, 120_000);
});
