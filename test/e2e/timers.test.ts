// Timers without sleeping: the engine on a fake clock, stepped with tick(). Retries and completion
// timeouts fire exactly when due, and still do after the process is closed and opened again on the
// same SQLite file (no timer lives in memory).

import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Callout } from '../../src/callout.ts';
import { FakeClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { startMockServer, type MockServer } from '../../src/mock/server.ts';

let mock: MockServer;
let dataDir: string;
const clock = new FakeClock(Date.UTC(2026, 10, 28, 9, 0, 0));
const open = (): Promise<Callout> =>
  Callout.open({ dataDir, clock, allowPrivateNetworks: true, publicUrl: 'http://127.0.0.1:9', logger: createLogger({ level: 'silent' }) });

beforeAll(async () => {
  mock = await startMockServer();
  dataDir = mkdtempSync(join(tmpdir(), 'callout-timers-'));
});
afterAll(async () => {
  await mock.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const MIN = 60_000;
const sends = (id: string): number => mock.log.filter((e) => e.key === id).length;

it('retries fire when due, not before, and survive a restart', async () => {
  let c = await open();
  await c.connectors.create({ name: 'vendor', baseUrl: mock.url });
  await c.actionTypes.create({
    name: 'down',
    connector: 'vendor',
    path: '/status/503',
    retry: { maxRetries: 2, interval: '30m', backoff: 'exponential' },
  });
  const { action } = await c.actions.launch({ actionType: 'down' });
  await c.engine.tick();
  expect(sends(action.id)).toBe(1);
  let a = await c.actions.getAction(action.id);
  expect(a).toMatchObject({ phase: 'retry_scheduled', retry: { count: 0, nextRetryAt: new Date(clock.now() + 30 * MIN).toISOString() } });

  clock.advance(30 * MIN - 1);
  await c.engine.tick();
  expect(sends(action.id)).toBe(1);

  // The process goes away; the timer is in the store, not in memory.
  await c.close();
  clock.advance(1);
  c = await open();
  await c.engine.tick();
  expect(sends(action.id)).toBe(2);
  a = await c.actions.getAction(action.id);
  expect(a).toMatchObject({ phase: 'retry_scheduled', retry: { count: 1, nextRetryAt: new Date(clock.now() + 60 * MIN).toISOString() } });

  clock.advance(60 * MIN);
  await c.engine.tick();
  a = await c.actions.getAction(action.id);
  expect(a).toMatchObject({ state: 'closed', resolution: 'not_done_successfully', escalated: true, retry: { count: 2, max: 2 } });
  clock.advance(24 * 60 * MIN);
  await c.engine.tick();
  expect(sends(action.id)).toBe(3);
  await c.close();
});

it('a completion timeout of four hours turns the action To Do, Timeout, at four hours, across a restart', async () => {
  let c = await open();
  await c.actionTypes.create({
    name: 'slow-vendor',
    connector: 'vendor',
    path: '/callback?never=1',
    body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}"}' },
    completion: { mode: 'callback', timeout: '4h' },
    allocation: { queue: 'service-desk' },
  });
  const { action } = await c.actions.launch({ actionType: 'slow-vendor' });
  await c.engine.tick();
  expect((await c.actions.getAction(action.id)).phase).toBe('awaiting_callback');
  clock.advance(4 * 60 * MIN - 1000);
  await c.engine.tick();
  expect((await c.actions.getAction(action.id)).state).toBe('waiting');
  await c.close();
  clock.advance(1000);
  c = await open();
  await c.engine.tick();
  expect(await c.actions.getAction(action.id)).toMatchObject({ state: 'todo', reason: 'timeout', queue: 'service-desk', escalated: false });
  await c.close();
});

it('a heartbeat keeps a long callback alive; silence past heartbeatTimeout times it out', async () => {
  const c = await open();
  await c.actionTypes.create({
    name: 'beating',
    connector: 'vendor',
    path: '/callback?never=1',
    body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}"}' },
    completion: { mode: 'callback', timeout: '7d', heartbeatTimeout: '10m' },
  });
  const { action } = await c.actions.launch({ actionType: 'beating' });
  await c.engine.tick();
  const token = c.engine.callbackToken(action.id);
  clock.advance(9 * MIN);
  await c.callbacks.heartbeat(token, { note: '50 % done' });
  clock.advance(9 * MIN);
  await c.engine.tick();
  expect((await c.actions.getAction(action.id)).state).toBe('waiting');
  clock.advance(2 * MIN);
  await c.engine.tick();
  const a = await c.actions.getAction(action.id);
  expect(a).toMatchObject({ state: 'todo', reason: 'timeout', retry: { lastError: 'No heartbeat from the external system in time' } });
  expect((await c.actions.timeline(action.id)).some((e) => e.kind === 'heartbeat' && e.message === 'Progress: 50 % done')).toBe(true);
  await c.close();
});

it('a system beating every 30 s keeps its action alive without burying the timeline: a repeat within the hour is counted, not noted', async () => {
  let c = await open();
  const { action } = await c.actions.launch({ actionType: 'beating' });
  await c.engine.tick();
  const token = c.engine.callbackToken(action.id);
  const beats = async (n: number, note?: string): Promise<void> => {
    for (let i = 0; i < n; i++) {
      clock.advance(30_000);
      await c.callbacks.heartbeat(token, note === undefined ? {} : { note });
    }
  };
  const noted = async (): Promise<string[]> =>
    (await c.actions.timeline(action.id)).filter((e) => e.kind === 'heartbeat').map((e) => e.message);
  // 40 beats over 20 minutes, twice the 10 m heartbeat timeout: each one moved the deadline, one is on the timeline.
  await beats(40);
  await c.engine.tick();
  expect(await noted()).toEqual(['Heartbeat']);
  let a = await c.actions.getAction(action.id);
  expect(a).toMatchObject({ state: 'waiting', lastHeartbeatAt: new Date(clock.now()).toISOString() });
  // Progress notes are news: a new one is noted, its repeats are not, and the bare beat after them is new again.
  await beats(3, '60 %');
  await beats(1, '70 %');
  await beats(2);
  expect(await noted()).toEqual(['Heartbeat', 'Progress: 60 %', 'Progress: 70 %', 'Heartbeat']);
  // Past the hour the same beat is noted again, so a long wait still shows the system was alive.
  for (let i = 0; i < 7; i++) await beats(20);
  expect((await noted()).length).toBe(5);
  // The quiet beats were written, not only counted in memory: a restart still sees the last one.
  await c.close();
  c = await open();
  a = await c.actions.getAction(action.id);
  expect(a).toMatchObject({ state: 'waiting', lastHeartbeatAt: new Date(clock.now()).toISOString() });
  clock.advance(11 * MIN);
  await c.engine.tick();
  expect((await c.actions.getAction(action.id)).state).toBe('todo');
  await c.close();
});

it('a launch with startAt is sent at that time, not before; a bad startAt is refused naming the field', async () => {
  const c = await open();
  await c.actionTypes.create({ name: 'later', connector: 'vendor', path: '/ok' });
  const startAt = new Date(clock.now() + 60 * MIN).toISOString();
  const { action } = await c.actions.launch({ actionType: 'later', startAt });
  await c.engine.tick();
  expect(sends(action.id)).toBe(0);
  clock.advance(60 * MIN - 1);
  await c.engine.tick();
  expect(sends(action.id)).toBe(0);
  clock.advance(1);
  await c.engine.tick();
  expect(sends(action.id)).toBe(1);
  expect((await c.actions.getAction(action.id)).state).toBe('closed');
  await expect(c.actions.launch({ actionType: 'later', startAt: 'tomorrow' })).rejects.toMatchObject({ errors: [{ field: 'startAt' }] });
  await c.close();
});

it('the running engine sends a launch with a start time at that time, not at its next poll', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'callout-timers-loop-'));
  const c = await Callout.open({
    dataDir: dir,
    clock,
    allowPrivateNetworks: true,
    publicUrl: 'http://127.0.0.1:9',
    logger: createLogger({ level: 'silent' }),
    engine: { pollIntervalMs: 60 * MIN },
  });
  try {
    await c.connectors.create({ name: 'vendor', baseUrl: mock.url });
    await c.actionTypes.create({ name: 'plain', connector: 'vendor', path: '/ok' });
    c.start();
    // Let the loop find nothing due and go to sleep until its poll, an hour away.
    const idle = async (): Promise<void> => {
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    };
    await idle();
    const soon = await c.actions.launch({ actionType: 'plain', startAt: clock.now() + 5 * MIN });
    const later = await c.actions.launch({ actionType: 'plain', startAt: clock.now() + 10 * MIN });
    await idle();
    clock.advance(5 * MIN - 1);
    await idle();
    expect(sends(soon.action.id)).toBe(0);
    clock.advance(1);
    await expect.poll(() => sends(soon.action.id), { timeout: 2000 }).toBe(1);
    expect(sends(later.action.id)).toBe(0);
    clock.advance(5 * MIN);
    await expect.poll(() => sends(later.action.id), { timeout: 2000 }).toBe(1);
    await expect.poll(async () => (await c.actions.getAction(later.action.id)).state, { timeout: 2000 }).toBe('closed');
  } finally {
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
