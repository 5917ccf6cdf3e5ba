// An Idempotency-Key is the caller's own: the same key from another client is another key. Before, keys
// were one namespace across API keys, so a client that guessed another's predictable key (an order
// number) and sent it first had that client's launch answered with its own action, or refused with 409.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
let erp: Record<string, string>;
let crm: Record<string, string>;
let crmAgain: Record<string, string>;
beforeAll(async () => {
  h = await startHarness({ start: false });
  await connector(h);
  await actionType(h, { name: 'ticket', path: '/ok', fields: { Title: { type: 'string' } } });
  const key = async (name: string, user?: string): Promise<Record<string, string>> => ({
    authorization: `Bearer ${(await h.callout.apiKeys.create({ name, roles: ['integration'], ...(user ? { user } : {}) })).key}`,
  });
  expect((await h.api('POST', '/v1/users', { name: 'carol' })).status).toBe(201);
  erp = await key('erp');
  crm = await key('crm-1', 'carol');
  crmAgain = await key('crm-2', 'carol'); // a second key of the same user: a rotation, a second server
});
afterAll(async () => h.close());

const launchAs = (who: Record<string, string>, title: string, key: string) =>
  h.api('POST', '/v1/actions', { actionType: 'ticket', input: { Title: title } }, { ...who, 'idempotency-key': key });

it("another client's key is not taken: the same key from two clients launches two actions, each repeat answers its own", async () => {
  const first = await launchAs(erp, 'from the ERP', 'order-1001');
  const other = await launchAs(crm, 'from the CRM', 'order-1001');
  expect([first.status, other.status]).toEqual([201, 201]);
  expect(other.body.id).not.toBe(first.body.id);
  expect(other.body.input).toEqual({ Title: 'from the CRM' });
  // Each client's repeat is answered with its own action, and a changed body is still its own 409.
  expect((await launchAs(erp, 'from the ERP', 'order-1001')).body.id).toBe(first.body.id);
  const repeat = await launchAs(crm, 'from the CRM', 'order-1001');
  expect([repeat.status, repeat.body.id]).toEqual([200, other.body.id]);
  expect((await launchAs(erp, 'changed', 'order-1001')).status).toBe(409);
});

it("keys of the same user share the user's keys: a retry through another of its keys finds the first launch", async () => {
  const first = await launchAs(crm, 'rotated', 'order-2002');
  const retried = await launchAs(crmAgain, 'rotated', 'order-2002');
  expect([first.status, retried.status, retried.body.id]).toEqual([201, 200, first.body.id]);
});

it('cases are scoped the same way', async () => {
  const mine = await h.api('POST', '/v1/cases', { title: 'ERP case', data: {} }, { ...erp, 'idempotency-key': 'case-7' });
  const theirs = await h.api('POST', '/v1/cases', { title: 'CRM case', data: {} }, { ...crm, 'idempotency-key': 'case-7' });
  expect([mine.status, theirs.status]).toEqual([201, 201]);
  expect(theirs.body.title).toBe('CRM case');
});
