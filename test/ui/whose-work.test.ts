// Mine and unassigned on the work list, on both stores: `unassigned=true` lists (and counts) only
// actions nobody is assigned to; `assignee=me` counts the caller's user's work as the list does.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeHarnesses } from '../helpers/store-harnesses.ts';
import type { Harness } from '../helpers/harness.ts';

describe.each(storeHarnesses)('mine and unassigned on $name', (backend) => {
  let h: Harness;
  let asOlga: Record<string, string>;
  beforeAll(async () => {
    h = await backend.open();
    await h.api('POST', '/v1/users', { name: 'olga' });
    await h.api('POST', '/v1/queues', { name: 'desk', members: ['olga'] });
    asOlga = {
      authorization: `Bearer ${(await h.api('POST', '/v1/api-keys', { name: 'olga', roles: ['operator'], user: 'olga' })).body.key}`,
    };
    await h.api('POST', '/v1/processes', { name: 'two-tasks', steps: [{ name: 'a', kind: 'manual', queue: 'desk' }] });
    for (let i = 0; i < 3; i++) await h.api('POST', '/v1/cases', { process: 'two-tasks' });
  });
  afterAll(async () => h?.close());

  it('lists and counts only unassigned actions, and assignee=me as the caller’s user', async () => {
    const all = (await h.api('GET', '/v1/actions?state=todo')).body.items as Array<{ id: string }>;
    expect(all).toHaveLength(3);
    expect((await h.api('POST', `/v1/actions/${all[0]!.id}/assign`, { assignee: 'me' }, asOlga)).status).toBe(200);

    const unassigned = (await h.api('GET', '/v1/actions?unassigned=true')).body.items as Array<{ id: string; assignee: string | null }>;
    expect(unassigned.map((a) => a.id).sort()).toEqual([all[1]!.id, all[2]!.id].sort());
    expect((await h.api('GET', '/v1/actions/counts?unassigned=true')).body.states.todo).toBe(2);
    // Paging stays keyset: the second page of one starts after the first.
    const first = (await h.api('GET', '/v1/actions?unassigned=true&limit=1')).body;
    const second = (await h.api('GET', `/v1/actions?unassigned=true&limit=1&before=${first.next}`)).body;
    expect([...first.items, ...second.items].map((a: { id: string }) => a.id)).toEqual(unassigned.map((a) => a.id));

    const mine = await h.api('GET', '/v1/actions/counts?assignee=me', undefined, asOlga);
    expect(mine.body.states.todo).toBe(1);
    expect((await h.api('GET', '/v1/actions?assignee=me', undefined, asOlga)).body.items.map((a: { id: string }) => a.id)).toEqual([
      all[0]!.id,
    ]);
  });

  it('refuses an unassigned that is not true or false, naming the field', async () => {
    for (const path of ['/v1/actions?unassigned=maybe', '/v1/actions/counts?unassigned=maybe']) {
      const r = await h.api('GET', path);
      expect(r.status).toBe(422);
      expect(JSON.stringify(r.body)).toContain('unassigned');
    }
    expect((await h.api('GET', '/v1/actions/counts?unassigned=true', undefined, { authorization: 'Bearer nope' })).status).toBe(401);
  });
});
