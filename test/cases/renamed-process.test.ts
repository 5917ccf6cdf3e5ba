// A process renamed (PATCH /v1/processes/{id} with a new `name`): its cases, those started before the
// rename too, show its name now and are found by it. A case holds its process by id; it showed the
// name its definition had when it started, and case.created / case.closed named the process by what
// the request had said (an id, a name) or by its id.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';
import { actionOf, waitForCase } from '../helpers/cases.ts';

type Listed = { id: string; process: string | null };

for (const backend of storeHarnesses)
  describe(`${backend.name}: the cases of a renamed process`, () => {
    let h: StoreHarnessed;
    let processId: string;
    const list = async (query: string): Promise<Listed[]> => {
      const r = await h.api('GET', `/v1/cases?${query}`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body.items as Listed[];
    };
    /** The process each case event the subscriber received names, as "type id process". */
    const received = (): string[] =>
      h.mock.log
        .map((e) => e.body as { type?: string; data?: { caseId?: string; process?: string | null } } | undefined)
        .filter((b) => b?.type?.startsWith('case.'))
        .map((b) => `${b!.type} ${b!.data?.caseId} ${b!.data?.process}`);

    beforeAll(async () => {
      h = await backend.open({ mock: { keepBodies: true } });
      const w = await h.api('POST', '/v1/webhooks', { url: `${h.mock.url}/ok`, events: ['case.created', 'case.closed'] });
      expect(w.status, JSON.stringify(w.body)).toBe(201);
      const p = await h.api('POST', '/v1/processes', { name: 'intake', steps: [{ name: 'approve', kind: 'manual', queue: 'hr' }] });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
      processId = p.body.id as string;
      const other = await h.api('POST', '/v1/processes', { name: 'other', steps: [{ name: 'look', kind: 'manual', queue: 'hr' }] });
      expect(other.status, JSON.stringify(other.body)).toBe(201);
    });
    afterAll(async () => h?.close());

    it('cases started before the rename show the new name and are found by it, not by the old one', async () => {
      const byName = (await h.api('POST', '/v1/cases', { process: 'intake', title: 'by name' })).body.id as string;
      const byId = (await h.api('POST', '/v1/cases', { process: processId, title: 'by id' })).body.id as string;
      const plain = (await h.api('POST', '/v1/cases', { title: 'plain' })).body.id as string;
      const ofOther = (await h.api('POST', '/v1/cases', { process: 'other', title: 'other' })).body.id as string;
      const renamed = await h.api('PATCH', `/v1/processes/${processId}`, { name: 'onboarding' });
      expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
      const after = (await h.api('POST', '/v1/cases', { process: 'onboarding', title: 'after' })).body.id as string;

      const found = await list('process=onboarding&limit=500');
      expect(found.map((c) => c.id).sort()).toEqual([byName, byId, after].sort());
      expect(found.every((c) => c.process === 'onboarding')).toBe(true);
      expect(await list(`process=${processId}&limit=500`)).toHaveLength(3);
      // The old name is no process's now: it finds nothing.
      expect(await list('process=intake')).toEqual([]);
      for (const id of [byName, byId]) expect((await h.api('GET', `/v1/cases/${id}`)).body.process).toBe('onboarding');
      // Unfiltered, each case shows its own process (several processes on one page), a plain case none.
      const all = new Map((await list('limit=500')).map((c) => [c.id, c.process]));
      expect([all.get(byName), all.get(after), all.get(ofOther), all.get(plain)]).toEqual(['onboarding', 'onboarding', 'other', null]);
      // A saved view of the cases screen counts them by the new name.
      const v = await h.api('POST', '/v1/views', { name: 'Onboarding', screen: 'cases', query: 'process=onboarding' });
      expect(v.status, JSON.stringify(v.body)).toBe(201);
      expect((await h.api('GET', `/v1/views/${v.body.id}/count`)).body.value).toBe(3);
    });

    it('case.created and case.closed name the process by its name at the time, however the case named it', async () => {
      const p = await h.api('POST', '/v1/processes', { name: 'leaver', steps: [{ name: 'approve', kind: 'manual', queue: 'hr' }] });
      const c = await h.api('POST', '/v1/cases', { process: p.body.id });
      expect(c.status, JSON.stringify(c.body)).toBe(201);
      expect((await h.api('PATCH', `/v1/processes/${p.body.id}`, { name: 'offboarding' })).status).toBe(200);
      const task = actionOf(await waitForCase(h, c.body.id, (x) => x.steps[0].actionId !== null), 'approve');
      expect((await h.api('POST', `/v1/actions/${task}/complete`, { resolution: 'done_successfully' })).status).toBe(200);
      await waitForCase(h, c.body.id, (x) => x.status === 'closed');
      const byHand = (await h.api('POST', '/v1/cases', { process: 'offboarding' })).body.id as string;
      expect((await h.api('POST', `/v1/cases/${byHand}/close`)).status).toBe(200);
      await expect
        .poll(received)
        .toEqual(
          expect.arrayContaining([
            `case.created ${c.body.id} leaver`,
            `case.closed ${c.body.id} offboarding`,
            `case.created ${byHand} offboarding`,
            `case.closed ${byHand} offboarding`,
          ]),
        );
    });

    it('a case whose process is no longer stored shows the name it started with', async () => {
      // No route deletes a process; a process taken away in the database leaves its cases readable.
      const p = await h.api('POST', '/v1/processes', { name: 'short-lived', steps: [{ name: 'approve', kind: 'manual', queue: 'hr' }] });
      const c = (await h.api('POST', '/v1/cases', { process: 'short-lived' })).body.id as string;
      expect((await h.api('PATCH', `/v1/processes/${p.body.id}`, { name: 'renamed-then-gone' })).status).toBe(200);
      await h.sql(`DELETE FROM processes WHERE id = '${p.body.id}'`);
      expect((await h.api('GET', `/v1/cases/${c}`)).body.process).toBe('short-lived');
      expect((await list('limit=500')).find((x) => x.id === c)?.process).toBe('short-lived');
    });

    it('saved views of the cases list that filter by the old name filter by the new one; others are left as they are', async () => {
      const p = await h.api('POST', '/v1/processes', { name: 'renamable', steps: [{ name: 'approve', kind: 'manual', queue: 'hr' }] });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
      const c = (await h.api('POST', '/v1/cases', { process: 'renamable' })).body.id as string;
      const view = async (name: string, query: string, shared = false): Promise<string> => {
        const r = await h.api('POST', '/v1/views', { name, screen: 'cases', query, shared });
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        return r.body.id as string;
      };
      const mine = await view('Renamable', 'process=renamable&status=open');
      const shared = await view('Renamable, shared', 'status=open&process=renamable', true);
      const other = await view('Other', 'process=other');
      expect((await h.api('PATCH', `/v1/processes/${p.body.id}`, { name: 'renamed-one' })).status).toBe(200);
      const read = async (id: string) => (await h.api('GET', `/v1/views/${id}`)).body as { query: string; revision: number };
      expect(await read(mine)).toMatchObject({ query: 'process=renamed-one&status=open', revision: 2 });
      expect(await read(shared)).toMatchObject({ query: 'status=open&process=renamed-one', revision: 2 });
      expect(await read(other)).toMatchObject({ query: 'process=other', revision: 1 });
      expect((await h.api('GET', `/v1/views/${mine}/count`)).body).toEqual({ value: 1, more: false });
      expect((await h.api('GET', '/v1/cases?process=renamed-one')).body.items.map((x: Listed) => x.id)).toEqual([c]);
    });

    it("saved views end on the name a process has after two renames at once, not the first rename's", async () => {
      const p = await h.api('POST', '/v1/processes', { name: 'drafting', steps: [{ name: 'approve', kind: 'manual', queue: 'hr' }] });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
      const v = await h.api('POST', '/v1/views', { name: 'Drafting', screen: 'cases', query: 'process=drafting' });
      expect(v.status, JSON.stringify(v.body)).toBe(201);
      // The first rename's views are written only after the second rename looked for the views naming
      // the first's new name (two renames sent at once, on one node or two): they were left on that
      // name, which is no process's, and found nothing.
      const store = h.callout.store as unknown as { updateSavedView: (...a: unknown[]) => Promise<boolean> };
      const write = store.updateSavedView;
      let held!: () => void;
      const reached = new Promise<void>((hit) => {
        const release = new Promise<void>((r) => (held = r));
        store.updateSavedView = async (...a: unknown[]) => {
          hit();
          await release;
          return write(...a);
        };
      });
      try {
        const first = h.api('PATCH', `/v1/processes/${p.body.id}`, { name: 'reviewing' });
        await reached;
        const second = await h.api('PATCH', `/v1/processes/${p.body.id}`, { name: 'approving' });
        expect(second.status, JSON.stringify(second.body)).toBe(200);
        held();
        expect((await first).status).toBe(200);
      } finally {
        held();
        store.updateSavedView = write;
      }
      expect((await h.api('GET', `/v1/views/${v.body.id}`)).body.query).toBe('process=approving');
      expect((await h.api('GET', `/v1/views/${v.body.id}/count`)).status).toBe(200);
    });

    it('a page of cases of many processes shows each its own process, the renamed one by its new name', async () => {
      const made = new Map<string, string>();
      for (let i = 1; i <= 7; i++) {
        const p = await h.api('POST', '/v1/processes', { name: `many-${i}`, steps: [{ name: 'approve', kind: 'manual', queue: 'hr' }] });
        expect(p.status, JSON.stringify(p.body)).toBe(201);
        made.set((await h.api('POST', '/v1/cases', { process: p.body.id })).body.id as string, `many-${i}`);
        if (i === 7) expect((await h.api('PATCH', `/v1/processes/${p.body.id}`, { name: 'many-seventh' })).status).toBe(200);
      }
      made.set([...made.keys()].at(-1)!, 'many-seventh');
      const listed = new Map((await list('limit=500')).map((c) => [c.id, c.process]));
      for (const [id, name] of made) expect(listed.get(id)).toBe(name);
    });
  });
