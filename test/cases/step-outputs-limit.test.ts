// A case keeps each step's output (for later steps' expressions, `steps.<name>.output`) beside its data,
// and only the data was held to 256 KB: each output is within 256 KB, but a process of many steps with
// large outputs grew its case (rewritten whole at every step, and handed whole to every expression)
// without bound. A case's step outputs together are now held to 1 MB: the step whose output would pass
// it fails, saying why, and its case stops there or goes on as the step's onFailure says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connector, actionType } from '../helpers/harness.ts';
import { stepOf, waitForCase } from '../helpers/cases.ts';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';

/** 200,000 characters of output per action: five fit in 1 MB, a sixth does not. */
const BIG = 200_000;
const bigSteps = (onFailure: 'stop' | 'continue') =>
  Array.from({ length: 6 }, (_, i) => ({ name: `call${i}`, kind: 'external', actionType: 'big', onFailure }));

for (const backend of storeHarnesses)
  describe(`${backend.name}: a case's step outputs are bounded`, () => {
    let h: StoreHarnessed;
    beforeAll(async () => {
      h = await backend.open();
      await connector(h);
      await actionType(h, { name: 'big', path: '/ok', response: { output: `{ "blob": $pad("", ${BIG}, "x") }` } });
      for (const onFailure of ['stop', 'continue'] as const) {
        const r = await h.api('POST', '/v1/processes', {
          name: `many-${onFailure}`,
          steps: [...bigSteps(onFailure), { name: 'after', kind: 'manual', queue: 'desk' }],
        });
        expect(r.status, JSON.stringify(r.body)).toBe(201);
      }
    });
    afterAll(async () => h?.close());

    const storedStepBytes = async (id: string): Promise<number> =>
      Buffer.byteLength(JSON.stringify((await h.callout.store.getCase(id))!.steps));

    it('the step whose output would take them past 1 MB fails, naming the limit; with stop the case waits there', async () => {
      const r = await h.api('POST', '/v1/cases', { process: 'many-stop' });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const c = await waitForCase(h, r.body.id, (x) => stepOf(x, 'call5').status === 'failed', 30_000);
      for (let i = 0; i < 5; i++) expect(stepOf(c, `call${i}`).status).toBe('done');
      expect(stepOf(c, 'call5')).toMatchObject({
        status: 'failed',
        outcome: 'ACTION_HANDLED_SUCCESSFUL',
        error: expect.stringMatching(/^output: .*the outputs of the case's steps would be larger than 1 MB/),
      });
      expect(stepOf(c, 'after').status).toBe('pending');
      expect(c.status).toBe('open');
      expect(await storedStepBytes(c.id)).toBeLessThan(1024 * 1024 + 10_000);
      // The action itself succeeded, and keeps its output on its own record.
      const a = (await h.api('GET', `/v1/actions/${stepOf(c, 'call5').actionId}`)).body;
      expect(a).toMatchObject({ state: 'closed', resolution: 'done_successfully' });
      expect(a.output.blob).toHaveLength(BIG);
    });

    it('with continue the case goes on past it', async () => {
      const r = await h.api('POST', '/v1/cases', { process: 'many-continue' });
      const c = await waitForCase(h, r.body.id, (x) => stepOf(x, 'after').status === 'waiting_for_person', 30_000);
      expect(stepOf(c, 'call5')).toMatchObject({ status: 'failed', error: expect.stringMatching(/larger than 1 MB/) });
      expect(await storedStepBytes(c.id)).toBeLessThan(1024 * 1024 + 10_000);
    });
  });
