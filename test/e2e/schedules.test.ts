// Schedules over HTTP on a real SQLite file: create with nextRunAt, validation naming the field,
// pause and resume, delete, roles, and a seconds schedule launching one action per tick.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
let typeId: string;
beforeAll(async () => {
  h = await startHarness();
  await connector(h);
  typeId = await actionType(h, { name: 'sync-payroll', path: '/ok', fields: { Priority: { type: 'integer', required: false } } });
});
afterAll(async () => h.close());

describe('schedules', () => {
  it('creates the SPEC example with nextRunAt in its zone, lists, reads, pauses, resumes and deletes it', async () => {
    const r = await h.api('POST', '/v1/schedules', {
      name: 'daily-sync',
      cron: '0 8 * * 1-5',
      timezone: 'Europe/Amsterdam',
      launch: { actionType: 'sync-payroll', input: {} },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'daily-sync', paused: false, launch: { actionType: typeId, input: {} } });
    const next = new Date(r.body.nextRunAt);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    // 08:00 in Amsterdam is 06:00 or 07:00 UTC, on a weekday.
    expect([6, 7]).toContain(next.getUTCHours());
    expect([1, 2, 3, 4, 5]).toContain(next.getUTCDay());
    expect((await h.api('GET', '/v1/schedules')).body.items.map((s: { name: string }) => s.name)).toContain('daily-sync');
    expect((await h.api('GET', '/v1/schedules/daily-sync')).body).toMatchObject({ id: r.body.id, recentTicks: [] });

    const paused = await h.api('PATCH', `/v1/schedules/${r.body.id}`, { paused: true });
    expect(paused.body).toMatchObject({ paused: true, nextRunAt: null });
    const resumed = await h.api('PATCH', `/v1/schedules/${r.body.id}`, { paused: false });
    expect(resumed.body).toMatchObject({ paused: false, nextRunAt: r.body.nextRunAt });
    expect((await h.api('POST', '/v1/schedules', { ...r.body, id: undefined })).status).toBe(422);
    expect((await h.api('DELETE', `/v1/schedules/${r.body.id}`)).status).toBe(204);
    expect((await h.api('GET', `/v1/schedules/${r.body.id}`)).status).toBe(404);
  });

  it('refuses a bad pattern, zone, action type or input: 422 naming the field, nothing stored', async () => {
    const bad = await h.api('POST', '/v1/schedules', {
      name: 'bad',
      cron: '61 * * * *',
      timezone: 'Mars/Base',
      launch: { actionType: 'sync-payroll' },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['timezone', 'cron']);
    const type = await h.api('POST', '/v1/schedules', { name: 'bad', cron: '@daily', launch: { actionType: 'nope' } });
    expect(type.body.errors).toEqual([{ field: 'launch.actionType', message: 'no action type "nope" exists' }]);
    const input = await h.api('POST', '/v1/schedules', {
      name: 'bad',
      cron: '@daily',
      launch: { actionType: 'sync-payroll', input: { Priority: 'x' } },
    });
    expect(input.body.errors).toEqual([{ field: 'launch.input.Priority', message: 'must be an integer' }]);
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { a: deep };
    const tooDeep = await h.api('POST', '/v1/schedules', { name: 'bad', cron: '@daily', launch: { process: 'p', data: { deep } } });
    expect(tooDeep.body.errors).toEqual([{ field: 'launch.data', message: expect.stringContaining('nested deeper') }]);
    // A case's owner is checked as the case itself checks it: every tick would otherwise be refused.
    const ghost = await h.api('POST', '/v1/schedules', { name: 'bad', cron: '@daily', launch: { process: 'p', owner: 'ghost' } });
    expect(ghost.body.errors).toEqual([
      { field: 'launch.process', message: 'no process "p" exists' },
      { field: 'launch.owner', message: expect.stringContaining('would reach nobody') },
    ]);
    // An owner disabled since does not stop the schedule from being paused or changed otherwise.
    expect((await h.api('POST', '/v1/processes', { name: 'p', steps: [{ name: 'a', kind: 'map', expression: '{}' }] })).status).toBe(201);
    expect((await h.api('POST', '/v1/users', { name: 'sam' })).status).toBe(201);
    const owned = await h.api('POST', '/v1/schedules', { name: 'owned', cron: '@daily', launch: { process: 'p', owner: 'sam' } });
    expect(owned.status).toBe(201);
    expect((await h.api('PATCH', '/v1/users/sam', { disabled: true })).status).toBe(200);
    expect((await h.api('PATCH', '/v1/schedules/owned', { paused: true })).body.paused).toBe(true);
    expect((await h.api('DELETE', '/v1/schedules/owned')).status).toBe(204);
    expect((await h.api('GET', '/v1/schedules/bad')).status).toBe(404);
    const dup = { name: 'twice', cron: '@daily', launch: { actionType: 'sync-payroll' } };
    expect((await h.api('POST', '/v1/schedules', dup)).status).toBe(201);
    expect((await h.api('POST', '/v1/schedules', dup)).status).toBe(409);
    expect((await h.api('PATCH', '/v1/schedules/twice', { cron: 'often' })).body.errors[0].field).toBe('cron');
  });

  it('a seconds schedule launches one action per tick, with the tick in its launch key; paused, it launches nothing', async () => {
    const s = (
      await h.api('POST', '/v1/schedules', {
        name: 'every-second',
        cron: '* * * * * *',
        launch: { actionType: 'sync-payroll', input: { Priority: 1 } },
      })
    ).body;
    await new Promise((r) => setTimeout(r, 3500));
    await h.api('PATCH', `/v1/schedules/${s.id}`, { paused: true });
    await new Promise((r) => setTimeout(r, 300));
    const ticks = (await h.api('GET', `/v1/schedules/${s.id}`)).body.recentTicks;
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    for (const t of ticks) expect(t).toMatchObject({ launchedId: expect.any(String), error: null });
    const ids = ticks.map((t: { launchedId: string }) => t.launchedId);
    expect(new Set(ids).size).toBe(ids.length);
    const a = (await h.api('GET', `/v1/actions/${ids[0]}`)).body;
    expect(a.input).toEqual({ Priority: 1 });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await h.api('GET', `/v1/schedules/${s.id}`)).body.recentTicks).toHaveLength(ticks.length);
  });

  it('roles: builders write schedules, operators and integrations only read', async () => {
    const key = async (name: string, roles: string[]) => (await h.api('POST', '/v1/api-keys', { name, roles })).body.key as string;
    const as = async (k: string, method: string, path: string, body?: unknown) =>
      (
        await request(`${h.url}${path}`, {
          method: method as 'GET',
          headers: { authorization: `Bearer ${k}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        })
      ).statusCode;
    const body = { name: 'by-role', cron: '@daily', launch: { actionType: 'sync-payroll' } };
    for (const role of ['operator', 'integration']) {
      const k = await key(`sch-${role}`, [role]);
      expect(await as(k, 'POST', '/v1/schedules', body)).toBe(403);
      expect(await as(k, 'GET', '/v1/schedules')).toBe(200);
    }
    expect(await as(await key('sch-builder', ['builder']), 'POST', '/v1/schedules', body)).toBe(201);
  });
});
