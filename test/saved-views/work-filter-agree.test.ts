// The work list, its counts and a saved work view's count read one filter (src/actions/work-filter.ts):
// for every filter, the rows listed, the counts summed over the states and the view's count are the
// same number. Each once read its own, and a filter one of them did not know (a view's dueBefore)
// listed every task in one place and was refused in another.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
let caseId: string;
let ref: string;
beforeAll(async () => {
  h = await startHarness();
  await connector(h);
  await connector(h, { name: 'other' });
  await actionType(h, { name: 'sent', path: '/ok', response: { externalReference: 'id' } });
  await actionType(h, { name: 'refused', path: '/reject' });
  await actionType(h, { name: 'elsewhere', connector: 'other', path: '/reject' });
  await actionType(h, { name: 'escalates', path: '/status/503', retry: { maxRetries: 0 } });
  caseId = (await h.api('POST', '/v1/cases', { title: 'Agree', data: {}, owner: 'CALLOUT_ADMIN_KEY' })).body.id;
  const todo: string[] = [];
  for (let i = 0; i < 3; i++) todo.push((await launch(h, 'refused', {}, i === 0 ? { caseId } : {})).id);
  todo.push((await launch(h, 'elsewhere')).id);
  const sent = (await launch(h, 'sent')).id;
  const escalating = (await launch(h, 'escalates', {}, { caseId })).id;
  for (const id of todo) await h.waitFor(id, (a) => a.state === 'todo');
  ref = (await h.waitFor(sent, (a) => a.state === 'closed')).externalReference!;
  await h.waitFor(escalating, (a) => a.escalated);
  // Two overdue, one due tomorrow, one picked up (mine, no longer unassigned).
  const past = new Date(Date.now() - 3_600_000).toISOString();
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
  for (const [id, dueAt] of [
    [todo[0]!, past],
    [todo[3]!, past],
    [todo[1]!, tomorrow],
  ] as const)
    expect((await h.api('POST', `/v1/actions/${id}/due`, { dueAt })).status).toBe(200);
  expect((await h.api('POST', `/v1/actions/${todo[2]}/pick-up`, {})).status).toBe(200);
}, 60_000);
afterAll(async () => h?.close());

it('the list, its counts and a saved view count the same actions for each filter', async () => {
  const inTwoDays = encodeURIComponent(new Date(Date.now() + 2 * 86_400_000).toISOString());
  const queries = [
    'actionType=refused',
    'connector=other',
    'connector=vendor&actionType=refused',
    `caseId=${caseId}`,
    'unassigned=true',
    'assignee=me',
    'escalated=true',
    'due=overdue',
    `dueBefore=${inTwoDays}`,
    'actionType=refused&due=overdue',
    `connector=vendor&dueBefore=${inTwoDays}&unassigned=true`,
    `externalReference=${ref}`,
  ];
  const seen: Record<string, number> = {};
  for (const query of queries) {
    const list = await h.api('GET', `/v1/actions?${query}&limit=500`);
    expect(list.status, query).toBe(200);
    const counts = await h.api('GET', `/v1/actions/counts?${query}`);
    expect(counts.status, query).toBe(200);
    const view = await h.api('POST', '/v1/views', { name: `Agree ${query.slice(0, 60)}`, screen: 'work', query });
    expect(view.status, query).toBe(201);
    const count = await h.api('GET', `/v1/views/${view.body.id}/count`);
    expect(count.status, query).toBe(200);
    const listed = list.body.items.length;
    const summed = Object.values(counts.body.states as Record<string, number>).reduce((s, n) => s + n, 0);
    expect({ query, counts: summed, view: count.body.value }).toEqual({ query, counts: listed, view: listed });
    seen[query] = listed;
  }
  // Each filter narrows, as the fixtures say (an agreement on nothing would prove nothing).
  expect(seen).toEqual({
    'actionType=refused': 3,
    'connector=other': 1,
    'connector=vendor&actionType=refused': 3,
    [`caseId=${caseId}`]: 2,
    'unassigned=true': 5,
    'assignee=me': 1,
    'escalated=true': 1,
    'due=overdue': 2,
    [`dueBefore=${inTwoDays}`]: 3,
    'actionType=refused&due=overdue': 1,
    [`connector=vendor&dueBefore=${inTwoDays}&unassigned=true`]: 2,
    [`externalReference=${ref}`]: 1,
  });
});
