// Times stay dates: a launch's startAt, a setting's duration and an external system's Retry-After
// are bounded, so no action can get a time JavaScript cannot show (one such action made
// GET /v1/actions a 500 for everyone, and no route could remove it). A row written before the bounds
// shows that time as null rather than failing the list.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';

const TEN_YEARS = 3650 * 86_400_000;

describe('time bounds', () => {
  let h: Harness;
  let hostile: Server;
  beforeAll(async () => {
    h = await startHarness();
    await connector(h);
    await actionType(h, { name: 'cb', path: '/callback?never=1', completion: { mode: 'callback', timeout: '1h' } });
    // An external system that asks to be retried after more seconds than any date holds.
    hostile = createServer((_req, res) => res.writeHead(503, { 'retry-after': '99999999999999999999' }).end('busy'));
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
    await connector(h, { name: 'hostile', baseUrl: `http://127.0.0.1:${(hostile.address() as AddressInfo).port}` });
    await actionType(h, {
      name: 'slow-down',
      connector: 'hostile',
      path: '/x',
      retry: { maxRetries: 3, interval: '1s', retryOn: ['5xx'] },
    });
  }, 60_000);
  afterAll(async () => {
    hostile?.close();
    await h?.close();
  });

  const list = async (): Promise<{ status: number; ids: string[] }> => {
    const r = await h.api('GET', '/v1/actions?limit=500');
    return { status: r.status, ids: (r.body.items ?? []).map((a: { id: string }) => a.id) };
  };

  it('a startAt more than ten years ahead is a 422 naming startAt, and nothing is launched', async () => {
    const before = await list();
    for (const startAt of [1e308, 8_639_999_999_999_999, '9999-12-31T00:00:00Z', Date.now() + TEN_YEARS + 60_000]) {
      const r = await h.api('POST', '/v1/actions', { actionType: 'cb', input: {}, startAt });
      expect(r.status, String(startAt)).toBe(422);
      expect(r.body.errors, String(startAt)).toEqual([{ field: 'startAt', message: 'must be at most ten years ahead' }]);
    }
    expect(await list()).toEqual(before);
    // Nine years ahead is a schedule, and its completion deadline counts from then.
    const later = Date.now() + 9 * 365 * 86_400_000;
    const a = await launch(h, 'cb', {}, { startAt: later });
    expect(Date.parse(a.timeoutAt!)).toBe(later + 3_600_000);
    expect((await list()).status).toBe(200);
  });

  it('a startAt on a day no calendar has is a 422, not the day it would roll over to', async () => {
    const before = await list();
    const r = await h.api('POST', '/v1/actions', { actionType: 'cb', input: {}, startAt: '2027-02-31T09:00:00Z' });
    expect(r.status).toBe(422);
    expect(r.body.errors[0].field).toBe('startAt');
    expect(await list()).toEqual(before);
    // Leap years are the calendar's, years below 100 too: 0000 is one, 0001 and 1900 are not.
    for (const [startAt, status] of [
      ['0000-02-29T00:00:00Z', 201],
      ['0001-02-29T00:00:00Z', 422],
      ['1900-02-29T00:00:00Z', 422],
      ['2024-02-29T00:00:00Z', 201],
    ] as const)
      expect((await h.api('POST', '/v1/actions', { actionType: 'cb', input: {}, startAt })).status, startAt).toBe(status);
  });

  it('a duration over ten years is refused where a setting takes one, naming the field', async () => {
    const r = await h.api('POST', '/v1/action-types', {
      name: 'forever',
      connector: 'vendor',
      path: '/ok',
      completion: { mode: 'callback', timeout: '99999999999999h' },
      retry: { interval: '999999999999h' },
    });
    expect(r.status).toBe(422);
    expect(r.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['completion.timeout', 'retry.interval']);
    expect(r.body.errors[0].message).toMatch(/at most ten years/);
    expect((await h.api('GET', '/v1/action-types/forever')).status).toBe(404);
  });

  it('an action type stored before the bound with a longer retry interval still loads, read as ten years', async () => {
    await actionType(h, { name: 'old-policy', path: '/ok', retry: { interval: '1h' } });
    const row = (await h.callout.store.getConfig('action_type', 'old-policy'))!;
    const retry = { ...(row.doc.retry as object), interval: 20 * 365 * 86_400_000, maxInterval: 20 * 365 * 86_400_000 };
    // As an earlier version, which took any duration, would have stored it.
    expect(
      await h.callout.store.updateConfig('action_type', { ...row, doc: { ...row.doc, retry }, revision: row.revision + 1 }, row.revision),
    ).toBe(true);
    const t = await h.api('GET', '/v1/action-types/old-policy');
    expect(t.status).toBe(200);
    expect(t.body.retry).toMatchObject({ interval: TEN_YEARS, maxInterval: TEN_YEARS });
    expect((await h.api('POST', '/v1/actions', { actionType: 'old-policy', input: {} })).status).toBe(201);
  });

  it("an external system's Retry-After is honoured up to ten years, and the action stays listable", async () => {
    const a = await launch(h, 'slow-down');
    const held = await h.waitFor(a.id, (x) => x.phase === 'retry_scheduled');
    const next = Date.parse(held.retry.nextRetryAt!);
    expect(next).toBeGreaterThan(Date.now() + TEN_YEARS - 60_000);
    expect(next).toBeLessThanOrEqual(Date.now() + TEN_YEARS);
    const listed = await list();
    expect(listed.status).toBe(200);
    expect(listed.ids).toContain(a.id);
  });

  it('a time written before the bounds shows as null; the list and the action still answer', async () => {
    const a = await launch(h, 'cb');
    await h.waitFor(a.id, (x) => x.phase === 'awaiting_callback');
    const db = new Database(join(h.dataDir, 'callout.db'));
    try {
      db.pragma('busy_timeout = 5000');
      db.prepare('UPDATE actions SET timeout_at = ? WHERE id = ?').run(9e15, a.id);
    } finally {
      db.close();
    }
    const one = await h.api('GET', `/v1/actions/${a.id}`);
    expect(one.status).toBe(200);
    expect(one.body.timeoutAt).toBeNull();
    const listed = await list();
    expect(listed.status).toBe(200);
    expect(listed.ids).toContain(a.id);
  });
});
