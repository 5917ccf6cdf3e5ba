// Idempotency keys are one namespace, shared with the keys Callout launches under itself (a schedule's
// tick, a process step, a bulk launch's row, an integrated queue's submission). A client that sent one
// of those first would have a schedule's run refused, or stand in for the action a process waits on:
// they are refused at every route that takes the header, and nothing is launched.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { tickLaunchKey } from '../../src/schedules/scheduler.ts';
import { stepLaunchKey } from '../../src/processes/case-launcher.ts';
import { rowLaunchKey } from '../../src/bulk-launches/runner.ts';
import { integrationLaunchKey } from '../../src/integrated-queues/service.ts';
import { RESERVED_KEY_PREFIXES } from '../../src/api/idempotency-key.ts';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ start: false });
  await connector(h);
  await actionType(h, { name: 'ticket', path: '/ok' });
});
afterAll(async () => h.close());

// What the engine makes, from ids an outsider can read (GET /v1/schedules gives a schedule's id and next run).
const engineKeys = [
  tickLaunchKey({ scheduleId: '01a23fe4-ccab-7000-8000-000000000000', tickAt: Date.UTC(2026, 11, 4, 7, 13) }),
  stepLaunchKey('01a23fe4-ccab-7000-8000-000000000001', 'approve'),
  rowLaunchKey('01a23fe4-ccab-7000-8000-000000000002', 1),
  integrationLaunchKey('01a23fe4-ccab-7000-8000-000000000003', 1),
];

it('every key the engine launches under begins with a reserved prefix', () => {
  for (const k of engineKeys)
    expect(
      RESERVED_KEY_PREFIXES.some((p) => k.startsWith(p)),
      k,
    ).toBe(true);
});

it('a launch, a case, a bulk launch or a bulk replay under one of the engine’s keys is a 422 naming the header, and launches nothing', async () => {
  const routes: Array<[string, unknown]> = [
    ['/v1/actions', { actionType: 'ticket', input: {} }],
    ['/v1/cases', { title: 'squat', data: {} }],
    ['/v1/bulk-launches', { actionType: 'ticket', rows: [{}] }],
    ['/v1/bulk-replays', { filter: { state: 'todo' }, operation: 'retry' }],
  ];
  for (const key of engineKeys)
    for (const [path, body] of routes) {
      const r = await h.api('POST', path, body, { 'idempotency-key': key });
      expect(r.status, `${path} ${key}`).toBe(422);
      expect(r.body.errors).toEqual([{ field: 'Idempotency-Key', message: expect.stringContaining("are Callout's own") }]);
    }
  expect((await h.api('GET', '/v1/actions')).body.items).toEqual([]);
  // The same words elsewhere in a key are the client's own.
  expect(
    (await h.api('POST', '/v1/actions', { actionType: 'ticket', input: {} }, { 'idempotency-key': 'order-7:schedule:x' })).status,
  ).toBe(201);
});
