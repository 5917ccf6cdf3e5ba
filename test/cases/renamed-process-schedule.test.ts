// A schedule that launches cases of a process, and the process renamed: the schedule named the process
// as the request gave it (its name), so every tick after the rename was refused ("no process ... exists")
// and launched nothing. It now holds the process by id, as a schedule of actions holds its action type,
// and shows it by id (the UI and the config export show its name).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';

type Tick = { launchedId: string | null; error: string | null };

for (const backend of storeHarnesses)
  describe(`${backend.name}: a schedule of a renamed process`, () => {
    let h: StoreHarnessed;
    let processId: string;

    beforeAll(async () => {
      h = await backend.open();
      const p = await h.api('POST', '/v1/processes', { name: 'intake', steps: [{ name: 'approve', kind: 'manual', queue: 'hr' }] });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
      processId = p.body.id as string;
    });
    afterAll(async () => h?.close());

    it('names the process by id, and its ticks go on launching cases of it after the rename', async () => {
      const s = await h.api('POST', '/v1/schedules', {
        name: 'every-second',
        cron: '* * * * * *',
        launch: { process: 'intake', title: 'Tick' },
      });
      expect(s.status, JSON.stringify(s.body)).toBe(201);
      expect((await h.api('PATCH', `/v1/processes/${processId}`, { name: 'onboarding' })).status).toBe(200);
      const renamedAt = Date.now();
      // Ticks after the rename: each launched a case, none refused.
      await expect
        .poll(
          async () => {
            const ticks = (await h.api('GET', `/v1/schedules/${s.body.id}`)).body.recentTicks as Tick[];
            return ticks.filter((t) => t.launchedId !== null || t.error !== null).length;
          },
          { timeout: 10_000 },
        )
        .toBeGreaterThanOrEqual(3);
      expect((await h.api('PATCH', `/v1/schedules/${s.body.id}`, { paused: true })).status).toBe(200);
      const ticks = (await h.api('GET', `/v1/schedules/${s.body.id}`)).body.recentTicks as Tick[];
      expect(ticks.filter((t) => t.error !== null)).toEqual([]);
      const cases = (await h.api('GET', '/v1/cases?process=onboarding&limit=500')).body.items as Array<{
        process: string;
        createdAt: string;
      }>;
      expect(cases.filter((c) => Date.parse(c.createdAt) >= renamedAt - 1000).length).toBeGreaterThanOrEqual(2);
      expect(cases.every((c) => c.process === 'onboarding')).toBe(true);
      expect((await h.api('GET', `/v1/schedules/${s.body.id}`)).body.launch.process).toBe(processId);
    });

    it('a schedule changed without naming its process keeps it; one naming a process that is not there is refused, naming launch.process', async () => {
      const s = await h.api('POST', '/v1/schedules', { name: 'daily', cron: '@daily', launch: { process: 'onboarding' } });
      expect(s.status, JSON.stringify(s.body)).toBe(201);
      const renamed = await h.api('PATCH', `/v1/schedules/${s.body.id}`, { name: 'daily-intake' });
      expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
      expect(renamed.body.launch.process).toBe(processId);
      const bad = await h.api('PATCH', `/v1/schedules/${s.body.id}`, { launch: { process: 'intake' } });
      expect(bad.status).toBe(422);
      expect(bad.body.errors).toEqual([{ field: 'launch.process', message: 'no process "intake" exists' }]);
      expect((await h.api('GET', `/v1/schedules/${s.body.id}`)).body.launch.process).toBe(processId);
    });

    it('a config import stores its schedules of processes by id too, the file’s new processes included, and exports them by name', async () => {
      const file = {
        processes: [{ name: 'imported', steps: [{ name: 'approve', kind: 'manual', queue: 'hr' }] }],
        schedules: [
          { name: 'of-imported', cron: '@daily', launch: { process: 'imported' } },
          { name: 'of-stored', cron: '@daily', launch: { process: 'onboarding' } },
        ],
      };
      const r = await h.api('POST', '/v1/config/import', file);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const imported = (await h.api('GET', '/v1/processes/imported')).body.id as string;
      expect((await h.api('GET', '/v1/schedules/of-imported')).body.launch.process).toBe(imported);
      expect((await h.api('GET', '/v1/schedules/of-stored')).body.launch.process).toBe(processId);
      // The same file again changes nothing.
      const again = await h.api('POST', '/v1/config/import', file);
      expect(again.status, JSON.stringify(again.body)).toBe(200);
      expect(again.body.schedules.unchanged).toEqual(['of-imported', 'of-stored']);
      const exported = (await h.api('GET', '/v1/config/export?format=json')).body.schedules as Array<{
        name: string;
        launch: { process?: string };
      }>;
      expect(exported.find((s) => s.name === 'of-imported')?.launch.process).toBe('imported');
    });

    it('migration 035 gives schedules stored with a process name its id; a name of no process, and an id, stay as they are', async () => {
      const p = await h.api('POST', '/v1/processes', { name: 'migrated', steps: [{ name: 'approve', kind: 'manual', queue: 'hr' }] });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
      const mk = async (name: string, process: string): Promise<string> => {
        const r = await h.api('POST', '/v1/schedules', { name, cron: '@daily', paused: true, launch: { process: 'migrated' } });
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        // As an older version stored it: the process as the request named it.
        await h.sql(
          backend.name === 'SQLite'
            ? `UPDATE schedules SET launch = json_set(launch, '$.process', '${process}') WHERE id = '${r.body.id}'`
            : `UPDATE schedules SET launch = jsonb_set(launch, '{process}', '"${process}"') WHERE id = '${r.body.id}'`,
        );
        return r.body.id as string;
      };
      const byName = await mk('old-by-name', 'migrated');
      const ghost = await mk('old-ghost', 'no-such-process');
      const byId = await mk('old-by-id', p.body.id as string);
      expect((await h.api('GET', `/v1/schedules/${byName}`)).body.launch.process).toBe('migrated');
      await h.sql('DELETE FROM callout_migrations WHERE version = 35');
      await h.callout.store.migrate();
      const after = async (id: string) => (await h.api('GET', `/v1/schedules/${id}`)).body;
      expect((await after(byName)).launch.process).toBe(p.body.id);
      expect((await after(ghost)).launch.process).toBe('no-such-process');
      expect((await after(byId)).launch.process).toBe(p.body.id);
      // Renamed again: the migrated schedule still names it, and its next change is taken.
      expect((await h.api('PATCH', `/v1/processes/${p.body.id}`, { name: 'migrated-2' })).status).toBe(200);
      const resumed = await h.api('PATCH', `/v1/schedules/${byName}`, { paused: false });
      expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
      expect(resumed.body.launch.process).toBe(p.body.id);
    });
  });
