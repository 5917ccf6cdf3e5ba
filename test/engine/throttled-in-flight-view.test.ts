// An action held by a limit, once claimed and sent, is shown as being sent: a claim keeps the phase
// `throttled` (so a hold is noted once), and the view used to show it held, with the claim's lease as
// `throttledUntil`, for as long as its attempt took; and a look racing the attempt's end showed it held
// with the ended claim's lease as its time. Both stores.

import { describe, expect, it } from 'vitest';
import { NODE_BACKENDS } from '../helpers/callout-node.ts';
import { fileMock, settle } from '../helpers/file-mock.ts';

const mock = fileMock();

for (const backend of NODE_BACKENDS)
  describe(`${backend.name}: the view of a held action being sent`, () => {
    it('says sending, not throttled, while its attempt is in flight', async () => {
      const { c, close } = await backend.open();
      try {
        await c.connectors.create({ name: 'one-at-a-time', baseUrl: mock.url, maxConcurrency: 1 });
        await c.actionTypes.create({ name: 'slow', connector: 'one-at-a-time', path: '/slow?ms=1500' });
        const [first, second] = (await c.actions.launchMany([{ actionType: 'slow' }, { actionType: 'slow' }])) as [string, string];
        c.start();
        let firstClosedAt: number | null = null;
        const seen: Array<{ at: number; phase: string | null; throttledUntil: string | null; heldBy: unknown }> = [];
        const end = Date.now() + 10_000;
        while (Date.now() < end) {
          const at = Date.now();
          const [a, b] = await Promise.all([c.actions.getAction(first), c.actions.getAction(second)]);
          if (b.state === 'closed') break;
          if (a.state === 'closed') firstClosedAt ??= Date.now();
          seen.push({ at, phase: b.phase, throttledUntil: b.throttledUntil, heldBy: b.heldBy });
          await settle(25);
        }
        expect(firstClosedAt).not.toBeNull();
        // Held while the first was in flight...
        expect(seen.filter((s) => s.at < firstClosedAt!).map((s) => s.phase)).toContain('throttled');
        // ...and sent once it ended: every look begun after its request reached the system sees it sent. (A
        // claim made before the first's place was given back may be held again: seen as sending, then held.)
        await expect.poll(async () => (await c.actions.getAction(second)).resolution, { timeout: 5000 }).toBe('done_successfully');
        const arrived = mock.server.log.find((e) => e.key === second)!.at;
        const inFlight = seen.filter((s) => s.at >= arrived);
        expect(inFlight.length).toBeGreaterThan(10);
        expect(inFlight.filter((s) => s.phase !== 'sending' || s.throttledUntil !== null || s.heldBy !== undefined)).toEqual([]);
        expect(mock.sends(second)).toBe(1);
      } finally {
        await close();
      }
    }, 30_000);

    it('a record read while claimed, whose attempt ended before its claim was looked up, is shown as it now is', async () => {
      const { c, close } = await backend.open();
      try {
        await c.connectors.create({ name: 'one-more', baseUrl: mock.url, maxConcurrency: 1 });
        await c.actionTypes.create({ name: 'quick', connector: 'one-more', path: '/ok' });
        const [id] = (await c.actions.launchMany([{ actionType: 'quick' }])) as [string];
        c.start();
        await expect.poll(async () => (await c.actions.getAction(id)).state, { timeout: 10_000 }).toBe('closed');
        // A look that read the record while it was claimed (throttled, due at the claim's lease), then
        // asked for the claim after the attempt had ended and given it back: as a list racing a send does.
        const now = (await c.store.getAction(id))!;
        const readWhileClaimed = {
          ...now,
          state: 'waiting' as const,
          resolution: null,
          phase: 'throttled' as const,
          version: now.version - 1,
        };
        const v = await c.actions.view(readWhileClaimed);
        expect(v).toMatchObject({ state: 'closed', resolution: 'done_successfully', throttledUntil: null });
        expect(v.heldBy).toBeUndefined();
      } finally {
        await close();
      }
    }, 30_000);
  });
