// A case that stopped at a failed step (onFailure stop) with no action of its own sat open and still,
// and nobody was told: no notification, no webhook event, no way to list such cases. Now, on both
// stores: the case shows stoppedAt, GET /v1/cases?stopped= lists it, its owner has a case.stopped
// notification and a subscriber on loopback gets one case.stopped, once per stop (a retry that fails
// again is a new stop; a repeated retry tells no one). A skip or a close ends the stop.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepOf, waitForCase } from '../helpers/cases.ts';
import { actionType, connector } from '../helpers/harness.ts';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';

const STOPPER = {
  name: 'stopper',
  steps: [
    { name: 'first', kind: 'map', expression: '{ "seen": true }' },
    // $number("abc") is a run-time error of JSONata, not a syntax error the save refuses.
    { name: 'shape', kind: 'map', expression: '{ "total": $number(case.amount) * 2 }', onFailure: 'stop' },
    { name: 'after', kind: 'manual', queue: 'desk' },
  ],
};
const CALL = { name: 'call-down', steps: [{ name: 'call', kind: 'external', actionType: 'down' }] };
const APPROVAL = {
  name: 'approval',
  steps: [
    { name: 'approve', kind: 'manual', queue: 'desk' },
    { name: 'after', kind: 'manual', queue: 'desk' },
  ],
};

for (const backend of storeHarnesses)
  describe(`${backend.name}: a case stopped at a failed step`, () => {
    let h: StoreHarnessed;
    let olga: Record<string, string>;
    const ids = (r: { body: { items: Array<{ id: string }> } }): string[] => r.body.items.map((c) => c.id);
    const list = async (q: string): Promise<string[]> => {
      const r = await h.api('GET', `/v1/cases?${q}&limit=500`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return ids(r);
    };
    const notices = async (caseId: string): Promise<Array<{ kind: string; message: string; actionId: string | null }>> =>
      ((await h.api('GET', '/v1/notifications', undefined, olga)).body.items as any[]).filter((n) => n.caseId === caseId);
    const stoppedSent = (caseId: string): any[] =>
      h.mock.log
        .map((e) => e.body as { type?: string; data?: { caseId?: string } } | undefined)
        .filter((b) => b?.type === 'case.stopped' && b.data?.caseId === caseId);
    const start = async (process: string, data: Record<string, unknown>): Promise<string> => {
      const r = await h.api('POST', '/v1/cases', { process, data, owner: 'olga', title: `${process} ${JSON.stringify(data)}` });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.id;
    };

    beforeAll(async () => {
      h = await backend.open({ mock: { keepBodies: true } });
      await h.api('POST', '/v1/users', { name: 'olga' });
      olga = {
        authorization: `Bearer ${(await h.api('POST', '/v1/api-keys', { name: 'olga', roles: ['operator'], user: 'olga' })).body.key}`,
      };
      await connector(h);
      await actionType(h, { name: 'down', path: '/status/503', retry: { maxRetries: 0 } });
      for (const p of [STOPPER, APPROVAL, CALL]) {
        const r = await h.api('POST', '/v1/processes', p);
        expect(r.status, JSON.stringify(r.body)).toBe(201);
      }
      const w = await h.api('POST', '/v1/webhooks', { url: `${h.mock.url}/ok`, events: ['case.stopped'] });
      expect(w.status, JSON.stringify(w.body)).toBe(201);
    });
    afterAll(async () => h?.close());

    it('shows where it stopped, is listed as stopped, its owner is told and one case.stopped is sent; a skip ends it', async () => {
      const stopped = await start('stopper', { amount: 'abc-4111-1111' });
      const going = await start('stopper', { amount: '2' });
      const c = await waitForCase(h, stopped, (x) => stepOf(x, 'shape').status === 'failed');
      expect(c.stoppedAt).toEqual({ step: 'shape', error: expect.stringMatching(/^expression: /), at: expect.any(String) });
      expect(c.stoppedAt.error).toBe(stepOf(c, 'shape').error);
      const g = await waitForCase(h, going, (x) => stepOf(x, 'after').status === 'waiting_for_person');
      expect(g.stoppedAt).toBeNull();

      expect(await list('stopped=true')).toContain(stopped);
      expect(await list('stopped=true')).not.toContain(going);
      expect(await list('stopped=false')).toContain(going);
      expect(await list('stopped=false')).not.toContain(stopped);
      // The list's cases say so too.
      expect((await h.api('GET', '/v1/cases?stopped=true&limit=500')).body.items.find((x: any) => x.id === stopped).stoppedAt).toEqual(
        c.stoppedAt,
      );

      await expect
        .poll(() => notices(stopped))
        .toEqual([expect.objectContaining({ kind: 'case.stopped', actionId: null, message: expect.stringContaining('"shape"') })]);
      await expect.poll(() => stoppedSent(stopped).length).toBe(1);
      expect(stoppedSent(stopped)[0].data).toMatchObject({
        caseId: stopped,
        process: 'stopper',
        step: 'shape',
        status: 'open',
        owner: 'olga',
      });
      // Why it failed is not sent: an expression's message quotes case data (here the amount), which no
      // webhook carries; the receiver reads the case (stoppedAt.error) with its key.
      expect(stoppedSent(stopped)[0].data).not.toHaveProperty('error');
      expect(c.stoppedAt.error).toContain('abc-4111-1111');
      expect(JSON.stringify(stoppedSent(stopped)[0])).not.toContain('abc-4111-1111');
      // A case that goes on tells no one.
      expect(await notices(going)).toEqual([]);
      expect(stoppedSent(going)).toEqual([]);

      const skip = await h.api('POST', `/v1/cases/${stopped}/steps/shape/skip`, { note: 'done by phone' }, olga);
      expect(skip.status, JSON.stringify(skip.body)).toBe(200);
      expect(skip.body.stoppedAt).toBeNull();
      expect(await list('stopped=false')).toContain(stopped);
      expect(await list('stopped=true')).not.toContain(stopped);
      // Moving on tells no one again.
      await new Promise((r) => setTimeout(r, 300));
      expect(await notices(stopped)).toHaveLength(1);
      expect(stoppedSent(stopped)).toHaveLength(1);
    });

    it('a retry that fails again stops it again and tells again; a repeat of that retry tells no one', async () => {
      const id = await start('stopper', { amount: 'xyz' });
      const first = await waitForCase(h, id, (x) => x.stoppedAt !== null);
      await expect.poll(() => notices(id).then((n) => n.length)).toBe(1);
      const key = { ...olga, 'idempotency-key': `retry-${id}` };
      const retry = await h.api('POST', `/v1/cases/${id}/steps/shape/retry`, undefined, key);
      expect(retry.status, JSON.stringify(retry.body)).toBe(200);
      expect(retry.body.stoppedAt).toMatchObject({ step: 'shape', error: first.stoppedAt.error });
      expect(Date.parse(retry.body.stoppedAt.at)).toBeGreaterThanOrEqual(Date.parse(first.stoppedAt.at));
      expect(await list('stopped=true')).toContain(id);
      await expect.poll(() => notices(id).then((n) => n.length)).toBe(2);
      await expect.poll(() => stoppedSent(id).length).toBe(2);
      const repeat = await h.api('POST', `/v1/cases/${id}/steps/shape/retry`, undefined, key);
      expect(repeat.status, JSON.stringify(repeat.body)).toBe(200);
      expect(repeat.body.stoppedAt).toEqual(retry.body.stoppedAt);
      await new Promise((r) => setTimeout(r, 300));
      expect(await notices(id)).toHaveLength(2);
      expect(stoppedSent(id)).toHaveLength(2);
    });

    it('a task closed Not Done by a person stops the case too; closing the case ends the stop', async () => {
      const id = await start('approval', {});
      const c = await waitForCase(h, id, (x) => stepOf(x, 'approve').actionId !== null);
      const done = await h.api('POST', `/v1/actions/${stepOf(c, 'approve').actionId}/complete`, { resolution: 'not_done_successfully' });
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      const s = await waitForCase(h, id, (x) => x.stoppedAt !== null);
      expect(s.stoppedAt).toMatchObject({ step: 'approve', error: expect.stringContaining('Not Done') });
      await expect.poll(() => notices(id).then((n) => n.map((x) => x.kind))).toEqual(['case.stopped']);
      await expect.poll(() => stoppedSent(id).length).toBe(1);
      const closed = await h.api('POST', `/v1/cases/${id}/close`);
      expect(closed.status, JSON.stringify(closed.body)).toBe(200);
      expect(closed.body.stoppedAt).toBeNull();
      expect(await list('stopped=true')).not.toContain(id);
      expect(await list('stopped=false&status=closed')).toContain(id);
    });

    it('a step whose action escalated: its owner is told by the escalation alone, and case.stopped is sent', async () => {
      const id = await start('call-down', {});
      const s = await waitForCase(h, id, (x) => x.stoppedAt !== null);
      expect(s.stoppedAt).toMatchObject({ step: 'call', error: expect.stringContaining('Not Done') });
      await expect.poll(() => notices(id).then((n) => n.map((x) => x.kind))).toEqual(['action.escalated']);
      await expect.poll(() => stoppedSent(id).length).toBe(1);
      expect(await list('stopped=true')).toContain(id);
    });

    it('migration 040 finds the cases already stopped when it runs', async () => {
      const id = await start('stopper', { amount: 'old' });
      await waitForCase(h, id, (x) => x.stoppedAt !== null);
      // As a store from before the column: no case has it.
      await h.sql('UPDATE cases SET stopped_at = NULL');
      expect(await list('stopped=true')).toEqual([]);
      const dir = backend.name === 'SQLite' ? 'sqlite' : 'postgres';
      const backfill = readFileSync(new URL(`../../src/store/${dir}/migrations/040_case_stopped.sql`, import.meta.url), 'utf8')
        .split(';')
        .find((s) => /UPDATE cases/.test(s))!;
      await h.sql(backfill);
      const stoppedNow = await list('stopped=true');
      expect(stoppedNow).toContain(id);
      // Only the open cases stopped at a failed stop step: none of the others above.
      for (const other of await list('stopped=false')) {
        const k = (await h.api('GET', `/v1/cases/${other}`)).body;
        expect(k.stoppedAt, other).toBeNull();
      }
      for (const s of stoppedNow) expect((await h.api('GET', `/v1/cases/${s}`)).body.stoppedAt, s).not.toBeNull();
    });

    it('a stopped filter that is not true or false is refused, naming it', async () => {
      const r = await h.api('GET', '/v1/cases?stopped=maybe');
      expect(r.status).toBe(422);
      expect(r.headers['content-type']).toMatch(/problem\+json/);
      expect(JSON.stringify(r.body)).toContain('stopped');
    });
  });
