// Every step of a case is visible: GET /v1/cases/{id}/history says what happened to the case, by whom
// and when, newest first, over a real process whose external step calls a loopback mock: the case
// created, its steps started and done, a step failed, an operator's retry that fails again, a PATCH
// (field names, never values), an operator's skip with a note, the close. A repeated keyed skip adds
// nothing; a hostile `before` or `limit` is a 422 naming it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connector, actionType } from '../helpers/harness.ts';
import { stepOf, waitForCase } from '../helpers/cases.ts';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';

const PROCESS = {
  name: 'order',
  steps: [
    { name: 'call', kind: 'external', actionType: 'ok-call' },
    // $number("abc") is a run-time error of JSONata, not a syntax error the save refuses.
    { name: 'shape', kind: 'map', expression: '{ "total": $number(case.amount) * 2 }' },
    { name: 'sms', kind: 'map', expression: '{ "sent": true }', when: 'case.sms = true' },
  ],
};

for (const backend of storeHarnesses)
  describe(`${backend.name}: a case's history`, () => {
    let h: StoreHarnessed;
    let operator: Record<string, string>;
    let crm: Record<string, string>;
    const history = (id: string, query = '', headers?: Record<string, string>) =>
      h.api('GET', `/v1/cases/${id}/history${query}`, undefined, headers);

    beforeAll(async () => {
      h = await backend.open();
      await connector(h);
      await actionType(h, { name: 'ok-call', path: '/ok' });
      const key = async (name: string, roles: string[], user?: string) =>
        `Bearer ${(await h.api('POST', '/v1/api-keys', { name, roles, ...(user ? { user } : {}) })).body.key}`;
      await h.api('POST', '/v1/users', { name: 'olga' });
      operator = { authorization: await key('olga', ['operator'], 'olga') };
      crm = { authorization: await key('crm', ['integration']) };
      const p = await h.api('POST', '/v1/processes', PROCESS);
      expect(p.status, JSON.stringify(p.body)).toBe(201);
    });
    afterAll(async () => h?.close());

    it('shows each step and each person, newest first, and pages', async () => {
      const r = await h.api('POST', '/v1/cases', { process: 'order', data: { amount: 'abc', secretNote: 'do-not-show-me' } }, crm);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const id = r.body.id as string;
      await waitForCase(h, id, (c) => stepOf(c, 'shape').status === 'failed');

      const retried = await h.api('POST', `/v1/cases/${id}/steps/shape/retry`, undefined, operator);
      expect(retried.status, JSON.stringify(retried.body)).toBe(200);
      expect(stepOf(retried.body, 'shape').status).toBe('failed');
      const patched = await h.api('PATCH', `/v1/cases/${id}`, { data: { amount: 'still-bad', secretNote: 'another secret' } }, crm);
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      const k = { ...operator, 'idempotency-key': 'skip-1' };
      const skipped = await h.api('POST', `/v1/cases/${id}/steps/shape/skip`, { note: 'amount unknown; done by phone' }, k);
      expect(skipped.status, JSON.stringify(skipped.body)).toBe(200);
      expect(skipped.body.status).toBe('closed');

      const all = await history(id, '?limit=500', crm);
      expect(all.status, JSON.stringify(all.body)).toBe(200);
      const said = all.body.items.map((e: any) => [e.kind, e.step, e.actor]);
      expect(said).toEqual([
        ['case_closed', null, 'system'],
        ['step_skipped', 'sms', 'system'],
        ['step_skipped', 'shape', 'user:olga'],
        ['data_changed', null, 'user:key:crm'],
        ['step_failed', 'shape', 'system'],
        ['step_retried', 'shape', 'user:olga'],
        ['step_failed', 'shape', 'system'],
        ['step_done', 'call', 'system'],
        ['step_started', 'call', 'system'],
        ['case_created', null, 'user:key:crm'],
      ]);
      const [closed, whenSkip, opSkip, data, failedAgain, retry, failed] = all.body.items;
      expect(closed.detail).toEqual({ by: 'process' });
      expect(whenSkip.detail).toEqual({ from: 'pending', when: false });
      expect(opSkip.detail).toEqual({ from: 'failed', note: 'amount unknown; done by phone' });
      expect(data.detail).toEqual({ fields: ['amount', 'secretNote'] });
      expect(failedAgain.detail).toMatchObject({ from: 'pending', error: expect.stringMatching(/^expression:/) });
      expect(retry.detail).toEqual({ count: 1 });
      expect(failed.detail.from).toBe('pending');
      expect(all.body.items[7].detail).toMatchObject({ outcome: 'ACTION_HANDLED_SUCCESSFUL' });
      expect(all.body.items.at(-1).detail).toEqual({ process: 'order' });
      // Never case data values, nor the connector's secret.
      const text = JSON.stringify(all.body);
      expect(text).not.toContain('do-not-show-me');
      expect(text).not.toContain('another secret');
      expect(text).not.toContain('secret-token-123');
      // Seqs fall, times do not rise, newest first.
      const seqs = all.body.items.map((e: any) => e.seq);
      expect([...seqs].sort((a, b) => b - a)).toEqual(seqs);
      expect(all.body.next).toBeNull();

      // Pages of 3, following `next`, read the same entries.
      const paged: unknown[] = [];
      let next: string | null = null;
      do {
        const p = await history(id, `?limit=3${next === null ? '' : `&before=${next}`}`);
        expect(p.status).toBe(200);
        expect(p.body.items.length).toBeLessThanOrEqual(3);
        paged.push(...p.body.items);
        next = p.body.next;
      } while (next !== null);
      expect(paged).toEqual(all.body.items);

      // The same keyed skip again: answered, nothing added.
      const again = await h.api('POST', `/v1/cases/${id}/steps/shape/skip`, { note: 'amount unknown; done by phone' }, k);
      expect(again.status).toBe(200);
      expect((await history(id, '?limit=500')).body.items).toEqual(all.body.items);
      // A close by request is said so, with who closed; closing it again adds nothing.
      const other = await h.api('POST', '/v1/cases', { data: { a: 1 } }, operator);
      await h.api('POST', `/v1/cases/${other.body.id}/close`, undefined, operator);
      expect((await h.api('POST', `/v1/cases/${other.body.id}/close`, undefined, operator)).status).toBe(200);
      expect((await history(other.body.id)).body.items.map((e: any) => [e.kind, e.actor, e.detail])).toEqual([
        ['case_closed', 'user:olga', { by: 'request' }],
        ['case_created', 'user:olga', { process: null }],
      ]);
    });

    it('a hostile before or limit is a 422 naming it; an unknown case is a 404', async () => {
      const c = await h.api('POST', '/v1/cases', { data: {} });
      for (const [q, field] of [
        ['?limit=0', 'limit'],
        ['?limit=501', 'limit'],
        ['?limit=abc', 'limit'],
        ['?before=-1', 'before'],
        ['?before=1e400', 'before'],
        ['?before=99999999999999999999999', 'before'],
        ['?before=abc', 'before'],
      ] as const) {
        const r = await history(c.body.id, q);
        expect(r.status, `${q}: ${JSON.stringify(r.body)}`).toBe(422);
        expect(JSON.stringify(r.body.errors ?? r.body)).toContain(field);
      }
      const unknownParam = await history(c.body.id, '?after=1');
      expect(unknownParam.status).toBe(422);
      const missing = await history('0190a0b0-0000-7000-8000-000000000000');
      expect(missing.status).toBe(404);
    });
  });
