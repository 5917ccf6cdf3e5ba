// Eight clients PATCHing one case in a tight loop on PostgreSQL: each PATCH moves the case's version,
// so the case worker's guarded write of the event it applies (a task done) lost all ten of its tries,
// and the event stayed claimed until its 30 s lease ended: the case waited half a minute after the
// storm. Losing the race now gives the event back at once with a backoff, so it is applied soon
// after the storm ends, without the worker claiming it again and again during the storm.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';
import { actionOf, stepOf, waitForCase } from '../helpers/cases.ts';

const postgres = storeHarnesses.find((b) => b.name === 'PostgreSQL')!;
const STORM_MS = 2_000;
const CLIENTS = 8;

describe('PostgreSQL: a case PATCHed by eight clients at once while its worker applies an event', () => {
  let h: StoreHarnessed;
  /** How often the case worker claimed one of the case's events. */
  let claims = 0;
  let watched = '';

  beforeAll(async () => {
    h = await postgres.open();
    const p = await h.api('POST', '/v1/processes', {
      name: 'two-tasks',
      steps: [
        { name: 'first', kind: 'manual', queue: 'hr' },
        { name: 'second', kind: 'manual', queue: 'hr' },
      ],
    });
    expect(p.status, JSON.stringify(p.body)).toBe(201);
    const store = h.callout.store;
    const original = store.claimCaseEvents.bind(store);
    store.claimCaseEvents = async (c) => {
      const rows = await original(c);
      claims += rows.filter((r) => r.caseId === watched).length;
      return rows;
    };
  });
  afterAll(async () => h?.close());

  it('the task done during the storm moves the case on within about a second after the storm, not after the 30 s lease', async () => {
    const c = await h.api('POST', '/v1/cases', { process: 'two-tasks', data: { n: 0 } });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    watched = c.body.id as string;
    const first = actionOf(await waitForCase(h, watched, (x) => stepOf(x, 'first').actionId !== null), 'first');

    let storming = true;
    let patches = 0;
    const client = async (n: number): Promise<void> => {
      while (storming) {
        const r = await h.api('PATCH', `/v1/cases/${watched}`, { data: { [`client${n}`]: patches } });
        if (r.status === 200) patches++;
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, n) => client(n));
    await new Promise((r) => setTimeout(r, 200));
    const done = await h.api('POST', `/v1/actions/${first}/complete`, { resolution: 'done_successfully' });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    const claimsAtDone = claims;
    await new Promise((r) => setTimeout(r, STORM_MS));
    storming = false;
    await Promise.all(clients);
    const stormEnded = Date.now();
    const claimsDuringStorm = claims - claimsAtDone;
    // The storm was one: the PATCHes went through, many of them.
    expect(patches).toBeGreaterThan(50);

    const moved = await waitForCase(h, watched, (x) => stepOf(x, 'second').actionId !== null, 5_000);
    const waited = Date.now() - stormEnded;
    expect(stepOf(moved, 'first').status).toBe('done');
    expect(stepOf(moved, 'second').status).toBe('waiting_for_person');
    expect(waited, `the case moved on ${waited} ms after the storm`).toBeLessThan(2_500);
    // Given back with a backoff, not claimed again at once over and over while the storm lasts.
    expect(claimsDuringStorm, `claims of the event during the ${STORM_MS} ms storm`).toBeLessThan(40);
    // Applied once: one task for the second step.
    const actions = (await h.api('GET', `/v1/actions?caseId=${watched}`)).body.items as unknown[];
    expect(actions).toHaveLength(2);
  }, 60_000);
});

for (const backend of storeHarnesses)
  describe(`${backend.name}: a case event whose every write loses to a PATCH while the PATCHes last`, () => {
    let h: StoreHarnessed;
    let claims = 0;
    let watched = '';
    /** While true, a PATCH of the case lands just before each of the case worker's writes of it: every try loses. */
    let storming = false;
    let beaten = 0;

    beforeAll(async () => {
      h = await backend.open();
      const p = await h.api('POST', '/v1/processes', {
        name: 'two-tasks',
        steps: [
          { name: 'first', kind: 'manual', queue: 'hr' },
          { name: 'second', kind: 'manual', queue: 'hr' },
        ],
      });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
      const store = h.callout.store;
      const claim = store.claimCaseEvents.bind(store);
      store.claimCaseEvents = async (c) => {
        const rows = await claim(c);
        claims += rows.filter((r) => r.caseId === watched).length;
        return rows;
      };
      const update = store.updateCase.bind(store);
      store.updateCase = async (w) => {
        if (storming && w.appliedEvent !== undefined && w.id === watched) {
          expect((await h.api('PATCH', `/v1/cases/${w.id}`, { data: { beaten: ++beaten } })).status).toBe(200);
        }
        return update(w);
      };
    });
    afterAll(async () => h?.close());

    it('is given back and tried again with a backoff: applied once, within a second or two after the PATCHes stop', async () => {
      const c = await h.api('POST', '/v1/cases', { process: 'two-tasks' });
      expect(c.status, JSON.stringify(c.body)).toBe(201);
      watched = c.body.id as string;
      const first = actionOf(await waitForCase(h, watched, (x) => stepOf(x, 'first').actionId !== null), 'first');
      storming = true;
      expect((await h.api('POST', `/v1/actions/${first}/complete`, { resolution: 'done_successfully' })).status).toBe(200);
      const claimsAtDone = claims;
      await new Promise((r) => setTimeout(r, STORM_MS));
      storming = false;
      const stormEnded = Date.now();
      const claimsDuringStorm = claims - claimsAtDone;
      // Every write of the storm lost (ten tries a claim).
      expect(beaten).toBeGreaterThanOrEqual(10);

      const moved = await waitForCase(h, watched, (x) => stepOf(x, 'second').actionId !== null, 5_000);
      const waited = Date.now() - stormEnded;
      expect(stepOf(moved, 'second').status).toBe('waiting_for_person');
      expect(waited, `the case moved on ${waited} ms after the PATCHes stopped`).toBeLessThan(2_500);
      // 100 ms, 200, 400, 800, then a second at most between claims: a handful in two seconds, not hundreds.
      expect(claimsDuringStorm, `claims of the event in the ${STORM_MS} ms`).toBeGreaterThanOrEqual(2);
      expect(claimsDuringStorm, `claims of the event in the ${STORM_MS} ms`).toBeLessThan(15);
      expect((await h.api('GET', `/v1/actions?caseId=${watched}`)).body.items).toHaveLength(2);
    }, 60_000);
  });
