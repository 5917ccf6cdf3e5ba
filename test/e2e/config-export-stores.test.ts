// The same configuration exported from the embedded store and from PostgreSQL is the same file, key
// for key and in the same order: a team moving to PostgreSQL (or keeping its files in git) diffs
// nothing but what changed. PostgreSQL's jsonb keeps object keys in its own order (shortest first),
// which put a process step's `kind` before its `name` there and not here.

import { expect, it } from 'vitest';
import { storeHarnesses } from '../helpers/store-harnesses.ts';

it('an export from SQLite and one from PostgreSQL of the same configuration are the same text; a process reads alike', async () => {
  const exported: string[] = [];
  const processes: string[] = [];
  for (const sh of storeHarnesses) {
    const h = await sh.open();
    try {
      const ok = async (path: string, body: unknown): Promise<void> => {
        const r = await h.api('POST', path, body);
        expect(r.status, `${sh.name} ${path}: ${JSON.stringify(r.body)}`).toBe(201);
      };
      await ok('/v1/connectors', { name: 'vendor', baseUrl: 'https://desk.example.com/api', auth: { type: 'bearer', token: 'x' } });
      await ok('/v1/queues', { name: 'desk' });
      await ok('/v1/action-types', {
        name: 'open-ticket',
        connector: 'vendor',
        method: 'POST',
        path: '/tickets',
        headers: { 'X-Zed': 'z', 'X-A': 'a' },
        body: { format: 'json', template: '{"zeta": "{{ b }}", "alpha": 1}' },
        retry: { maxRetries: 3, interval: '2s', backoff: 'exponential', retryOn: ['5xx', 'timeout'] },
        completion: { mode: 'callback', timeout: '1h', heartbeatTimeout: '5m' },
        allocation: { queue: 'desk' },
        fields: { zzz: { type: 'string', description: 'z' }, b: { type: 'string', required: true } },
      });
      await ok('/v1/processes', {
        name: 'onboarding',
        description: 'three kinds of step',
        steps: [
          { name: 'enrich', kind: 'map', expression: '{"b": case.b}', onFailure: 'continue' },
          { name: 'ticket', kind: 'external', actionType: 'open-ticket', input: '{"zzz": "x", "b": case.b}', when: 'case.b != null' },
          { name: 'check', title: 'Check the ticket', kind: 'manual', queue: 'desk', due: '2d' },
        ],
      });
      await ok('/v1/schedules', { name: 'nightly', cron: '0 2 * * *', launch: { actionType: 'open-ticket', input: { zzz: 'q', b: 'x' } } });
      await ok('/v1/webhooks', { url: 'https://example.com/hook', events: ['case.created'], description: 'd' });
      const e = await h.api('GET', '/v1/config/export?format=json');
      expect(e.status).toBe(200);
      exported.push(JSON.stringify(e.body, null, 1));
      processes.push(
        JSON.stringify(((await h.api('GET', '/v1/processes/onboarding')).body.steps as object[]).map((st) => Object.keys(st))),
      );
    } finally {
      await h.close();
    }
  }
  expect(exported[1]).toBe(exported[0]);
  expect(processes[1]).toBe(processes[0]);
  expect(JSON.parse(processes[1]!)[1]).toEqual([
    'name',
    'title',
    'when',
    'onFailure',
    'kind',
    'actionType',
    'input',
    'useBodyOf',
    'waitForResponse',
  ]);
});
