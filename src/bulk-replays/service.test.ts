// A bulk replay's hold on its Idempotency-Key over a long run, on a real SQLite file with the clock
// injected: a run that outlasts one lease keeps its key, and a run that lost it stops.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FakeClock } from '../clock.ts';
import { sha256 } from '../ids.ts';
import { SqliteStore } from '../store/sqlite/store.ts';
import { ConflictError } from '../errors.ts';
import { BulkReplayService } from './service.ts';
import { launched } from '../../test/store-conformance/stores.ts';

const MINUTE = 60_000;
let dir: string;
let store: SqliteStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'callout-replay-'));
  store = new SqliteStore({ file: join(dir, 'callout.db'), synchronous: 'normal' });
  await store.migrate();
  // Twenty To Do actions to retry.
  await store.insertActions(
    Array.from({ length: 20 }, (_, i) => launched({ createdAt: 1_000 + i, state: 'todo', reason: 'request_rejected' })),
  );
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const body = { filter: { state: 'todo' }, operation: 'retry' } as const;
/** The same request again, as the service hashes it. */
const sameRequest = sha256(JSON.stringify(body));
const repeat = (clock: FakeClock) =>
  store.takeReplayKey({
    key: 'k-1',
    requestHash: sameRequest,
    owner: 'repeat',
    now: clock.now(),
    leaseUntil: clock.now() + MINUTE,
    keepSince: 0,
  });

it('a run of 20 minutes keeps its key past the 10-minute lease: a repeat at minute 15 is told it still runs', async () => {
  const clock = new FakeClock();
  const seen: unknown[] = [];
  const replays = new BulkReplayService(
    store,
    {
      retry: async () => {
        clock.advance(MINUTE); // each action takes a minute
        if (clock.now() - Date.UTC(2026, 0, 1) === 15 * MINUTE) seen.push(await repeat(clock));
      },
      close: async () => undefined,
    },
    clock,
    async () => ({ error: 'not previewed here' }),
  );
  const report = await replays.replay(body, 'alice', 'k-1');
  expect(report).toMatchObject({ done: 20 });
  expect(seen).toEqual([{ taken: false, requestHash: sameRequest, report: null }]);
  // Asked again afterwards: the report, with nothing run again.
  expect(await replays.replay(body, 'alice', 'k-1')).toEqual(report);
});

it('a run whose key was taken over (it stalled past its lease) stops, saying so, and does not write its report over the other run', async () => {
  const clock = new FakeClock();
  let n = 0;
  const replays = new BulkReplayService(
    store,
    {
      retry: async () => {
        // The third action stalls for 11 minutes; meanwhile a repeat of the request takes the key over.
        if (++n === 3) {
          clock.advance(11 * MINUTE);
          const hash = (await store.takeReplayKey({
            key: 'k-1',
            requestHash: 'probe',
            owner: 'p',
            now: clock.now(),
            leaseUntil: 0,
            keepSince: 0,
          })) as {
            requestHash: string;
          };
          expect(
            await store.takeReplayKey({
              key: 'k-1',
              requestHash: hash.requestHash,
              owner: 'repeat',
              now: clock.now(),
              leaseUntil: clock.now() + 10 * MINUTE,
              keepSince: 0,
            }),
          ).toEqual({ taken: true });
        }
      },
      close: async () => undefined,
    },
    clock,
    async () => ({ error: 'not previewed here' }),
  );
  const e = await replays.replay(body, 'alice', 'k-1').catch((x: unknown) => x);
  expect(e).toBeInstanceOf(ConflictError);
  expect((e as Error).message).toMatch(/lost its Idempotency-Key to a repeat/);
  expect(n).toBe(3);
  // The repeat still holds the key: its run is not freed by the failed one.
  const after = await store.takeReplayKey({ key: 'k-1', requestHash: 'other', owner: 'q', now: clock.now(), leaseUntil: 0, keepSince: 0 });
  expect(after).toMatchObject({ taken: false, report: null });
});
