// A process whose expression runs into its time limit (a regex that backtracks), on both stores: its
// cases fail that step, each after about a second, and cases of other processes move on meanwhile.
// The case worker applied the events it claimed one after another, so twenty such cases kept a case
// of another process waiting 22 s after its task was done; events of different cases now apply side by side.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.ts';
import { actionOf, stepOf, waitForCase } from '../helpers/cases.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';

const SLOW_CASES = 12;

for (const backend of storeHarnesses)
  describe(`${backend.name}: one process's slow expressions and the other cases`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await backend.open();
      const approve = { name: 'approve', kind: 'manual', queue: 'hr' };
      const slow = { name: 'shape', kind: 'map', expression: '{ "x": $match($pad("", 30, "a") & "!", /(a+)+$/) }', onFailure: 'continue' };
      expect((await h.api('POST', '/v1/processes', { name: 'backtracking', steps: [approve, slow] })).status).toBe(201);
      const quick = { name: 'shape', kind: 'map', expression: '{ "shaped": true }' };
      expect((await h.api('POST', '/v1/processes', { name: 'quick', steps: [approve, quick] })).status).toBe(201);
    });
    afterAll(async () => h?.close());

    const taskOf = async (caseId: string): Promise<string> =>
      actionOf(await waitForCase(h, caseId, (x) => stepOf(x, 'approve').actionId !== null), 'approve');

    it('a case of another process moves on as its task is done, not after every slow one before it', async () => {
      const slowCases: string[] = [];
      for (let i = 0; i < SLOW_CASES; i++) slowCases.push((await h.api('POST', '/v1/cases', { process: 'backtracking' })).body.id);
      const quick = (await h.api('POST', '/v1/cases', { process: 'quick' })).body.id as string;
      const slowTasks = await Promise.all(slowCases.map(taskOf));
      const quickTask = await taskOf(quick);

      for (const t of slowTasks)
        expect((await h.api('POST', `/v1/actions/${t}/complete`, { resolution: 'done_successfully' })).status).toBe(200);
      const t0 = Date.now();
      expect((await h.api('POST', `/v1/actions/${quickTask}/complete`, { resolution: 'done_successfully' })).status).toBe(200);
      const c = await waitForCase(h, quick, (x) => x.status === 'closed', 30_000);
      const took = Date.now() - t0;
      expect(c.data).toEqual({ shaped: true });
      // Each slow case takes about a second: one after another, the quick one waited for all of them.
      expect(took).toBeLessThan(6000);

      // The slow ones still fail their step, saying why, and go on past it.
      for (const id of slowCases) {
        const s = await waitForCase(h, id, (x) => x.status === 'closed', 60_000);
        expect(stepOf(s, 'shape')).toMatchObject({ status: 'failed', error: expect.stringContaining('time limit') });
      }
    });
  });
