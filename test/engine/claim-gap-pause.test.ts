// A pause made between the store's claim ahead and the engine holding what it claimed: the row is
// already 'sending', and the engine did not hold its copy yet. The pause used to take it for an
// attempt on its way (it answered 'sending', paused) and the copy was sent at its due time anyway.
// A person's change now waits for the claims begun before it, finds the held copy and takes it back.

import { expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Callout } from '../../src/callout.ts';
import { FakeClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { fileMock, settle } from '../helpers/file-mock.ts';

const mock = fileMock();

it('a pause made while a claim ahead is on its way stops the send', async () => {
  const clock = new FakeClock(Date.UTC(2026, 11, 5, 9, 0, 0));
  const dataDir = mkdtempSync(join(tmpdir(), 'callout-claim-gap-'));
  const c = await Callout.open({
    dataDir,
    clock,
    allowPrivateNetworks: true,
    publicUrl: 'http://127.0.0.1:9',
    logger: createLogger({ level: 'silent' }),
    engine: { pollIntervalMs: 3_600_000, claimLeadMs: 50, maxInFlight: 16 },
  });
  try {
    await c.connectors.create({ name: 'vendor', baseUrl: mock.url });
    await c.actionTypes.create({ name: 'timer', connector: 'vendor', path: '/ok' });
    // The gap made wide: the claim is committed, and the engine hears of it 300 ms later.
    const claimDue = c.store.claimDue.bind(c.store);
    c.store.claimDue = async (p) => {
      const rows = await claimDue(p);
      if (rows.length > 0) await settle(300);
      return rows;
    };
    const t0 = clock.now();
    const [id] = await c.actions.launchMany([{ actionType: 'timer', startAt: t0 + 40 }]);
    c.start();
    await expect.poll(async () => (await c.actions.getAction(id!)).phase, { interval: 5 }).toBe('sending');
    const paused = await c.actions.pause(id!, 'ivy');
    expect(paused).toMatchObject({ state: 'waiting', phase: 'queued', retry: { paused: true } });
    clock.set(t0 + 40);
    await settle(500);
    expect(mock.sends(id!)).toBe(0);
    expect(await c.actions.getAction(id!)).toMatchObject({ state: 'waiting', phase: 'queued', retry: { paused: true } });
  } finally {
    await c.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
