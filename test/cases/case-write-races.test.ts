// A PATCH or a close that lands while the case worker is starting a step, between its read of the case
// and its write: the step's action used to be inserted (and sent) before the write that lost the race,
// so a step the new data skipped, or a case already closed, had its action sent anyway. The actions of
// the steps a write starts are now inserted in that write, guarded by the case's version.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connector, actionType, type Harness } from '../helpers/harness.ts';
import { stepOf, waitForCase } from '../helpers/cases.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';
import type { CaseWrite } from '../../src/store/types.ts';

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const backend of storeHarnesses)
  describe(`${backend.name}: a change that lands while the case worker starts a step`, () => {
    let h: Harness;
    /** Runs `before` once, ahead of the case worker's next write that starts a step (its read of the case is older). */
    const ahead = (before: (w: CaseWrite) => Promise<void>): void => {
      const store = h.callout.store;
      const original = store.updateCase.bind(store);
      let armed = true;
      store.updateCase = async (w: CaseWrite) => {
        if (armed && w.appliedEvent !== undefined && w.steps?.some((s) => s.status === 'running')) {
          armed = false;
          await before(w);
        }
        return original(w);
      };
    };
    const sent = (): number => h.mock.log.filter((e) => e.path === '/ok').length;

    beforeAll(async () => {
      h = await backend.open();
      await connector(h);
      await actionType(h, { name: 'notify', path: '/ok' });
      await actionType(h, { name: 'notify-again', path: '/ok?n=again' });
      const steps = (type: string) => [
        { name: 'notify', kind: 'external', actionType: type, when: 'case.send = true', waitForResponse: true },
      ];
      expect((await h.api('POST', '/v1/processes', { name: 'gated', steps: steps('notify') })).status).toBe(201);
      expect((await h.api('POST', '/v1/processes', { name: 'closing', steps: steps('notify-again') })).status).toBe(201);
    });
    afterAll(async () => h?.close());

    it('with no change between, the step’s action is sent once', async () => {
      const sentBefore = sent();
      const r = await h.api('POST', '/v1/cases', { process: 'gated', data: { send: true } });
      const c = await waitForCase(h, r.body.id, (x) => x.status === 'closed');
      expect(stepOf(c, 'notify')).toMatchObject({ status: 'done', outcome: 'ACTION_HANDLED_SUCCESSFUL' });
      expect(sent()).toBe(sentBefore + 1);
    });

    it('a PATCH that turns the step’s condition false first: the step is skipped and nothing is sent', async () => {
      ahead(async (w) => {
        expect((await h.api('PATCH', `/v1/cases/${w.id}`, { data: { send: false } })).status).toBe(200);
      });
      const sentBefore = sent();
      const r = await h.api('POST', '/v1/cases', { process: 'gated', data: { send: true } });
      expect(r.status).toBe(201);
      const c = await waitForCase(h, r.body.id, (x) => x.status === 'closed');
      expect(stepOf(c, 'notify')).toMatchObject({ status: 'skipped', actionId: null });
      await settle(500);
      expect((await h.api('GET', `/v1/actions?caseId=${c.id}`)).body.items).toEqual([]);
      expect(sent()).toBe(sentBefore);
    });

    it('a close first: the closed case launches nothing', async () => {
      ahead(async (w) => {
        expect((await h.api('POST', `/v1/cases/${w.id}/close`)).status).toBe(200);
      });
      const sentBefore = sent();
      const r = await h.api('POST', '/v1/cases', { process: 'closing', data: { send: true } });
      expect(r.status).toBe(201);
      const c = await waitForCase(h, r.body.id, (x) => x.status === 'closed');
      await settle(500);
      expect((await h.api('GET', `/v1/cases/${c.id}`)).body.steps[0]).toMatchObject({ status: 'pending', actionId: null });
      expect((await h.api('GET', `/v1/actions?caseId=${c.id}`)).body.items).toEqual([]);
      expect(sent()).toBe(sentBefore);
    });
  });
