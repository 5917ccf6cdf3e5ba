// A bulk launch of a process renamed while it runs: the launch named the process as the request gave
// it (its name), so every row launched after the rename was refused ("no process ... exists"), and a
// run another node resumed later refused the rest. It now holds the process by id (as it holds an
// action type), and its report names the process by its name now.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';

for (const backend of storeHarnesses)
  describe(`${backend.name}: a bulk launch of a process renamed while it runs`, () => {
    let h: StoreHarnessed;
    let processId: string;

    beforeAll(async () => {
      h = await backend.open();
      const p = await h.api('POST', '/v1/processes', { name: 'intake', steps: [{ name: 'approve', kind: 'manual', queue: 'hr' }] });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
      processId = p.body.id as string;
    });
    afterAll(async () => h?.close());

    it('launches every row a case of the process, and reports it by its new name', async () => {
      const cases = h.callout.cases;
      const create = cases.createCase.bind(cases);
      let renamed = false;
      // The process is renamed just before the bulk launch's first case is made.
      cases.createCase = async (body, opts) => {
        if (!renamed) {
          renamed = true;
          expect((await h.api('PATCH', `/v1/processes/${processId}`, { name: 'onboarding' })).status).toBe(200);
        }
        return create(body, opts);
      };
      try {
        const r = await h.api('POST', '/v1/bulk-launches', { process: 'intake', rows: [{ n: 1 }, { n: 2 }, { n: 3 }] });
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        expect(renamed).toBe(true);
        expect(r.body.rows.filter((x: { status: string }) => x.status !== 'launched')).toEqual([]);
        expect(r.body).toMatchObject({ process: 'onboarding', total: 3, launched: 3, refused: 0 });
        expect((await h.api('GET', `/v1/bulk-launches/${r.body.id}`)).body.process).toBe('onboarding');
        const made = (await h.api('GET', '/v1/cases?process=onboarding&limit=500')).body.items as unknown[];
        expect(made).toHaveLength(3);
      } finally {
        cases.createCase = create;
      }
    });

    it('a bulk launch naming no process still refuses each row, naming process', async () => {
      const r = await h.api('POST', '/v1/bulk-launches', { process: 'intake', rows: [{ n: 1 }] });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body).toMatchObject({ process: 'intake', launched: 0, refused: 1 });
      expect(r.body.rows[0].errors).toEqual([{ field: 'process', message: 'no process "intake" exists' }]);
    });
  });
