// A user's notifications are bounded (CALLOUT_NOTIFICATIONS_PER_USER), over HTTP on both stores: a
// flood of escalations leaves the owner at most the bound, the oldest read ones dropped first and
// unread ones only once there are more unread than the bound; the newest always stay.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { TEST_DATABASE_URL } from '../helpers/pg.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';

const KEEP = 10;

interface Notice {
  id: number;
  actionId: string;
  read: boolean;
}

for (const backend of storeHarnesses)
  describe(`${backend.name}: the bound on a user's notifications`, () => {
    let h: Harness;
    let carol: Record<string, string>;
    let caseId: string;
    beforeAll(async () => {
      h = await backend.open({ callout: { notificationsPerUser: KEEP }, postgres: { notificationsPerUser: KEEP } });
      await connector(h, { name: 'noisy', circuitBreaker: false });
      await actionType(h, { name: 'gives-up', connector: 'noisy', path: '/status/503', retry: { maxRetries: 0 } });
      expect((await h.api('POST', '/v1/users', { name: 'carol' })).status).toBe(201);
      carol = {
        authorization: `Bearer ${(await h.api('POST', '/v1/api-keys', { name: 'carol-laptop', roles: ['operator'], user: 'carol' })).body.key}`,
      };
      caseId = (await h.api('POST', '/v1/cases', { data: {}, owner: 'carol' })).body.id;
    });
    afterAll(async () => h?.close());

    /** `n` escalations to carol, one after the other; their action ids, oldest first. */
    async function escalations(n: number): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const a = await launch(h, 'gives-up', {}, { caseId });
        await h.waitFor(a.id, (x) => x.state === 'closed');
        ids.push(a.id);
      }
      return ids;
    }
    const notices = async (): Promise<Notice[]> => (await h.api('GET', '/v1/notifications', undefined, carol)).body.items;

    it('read ones go first, unread ones only past the bound, the newest always stay', async () => {
      const early = await escalations(4);
      expect((await h.api('POST', '/v1/notifications/read', undefined, carol)).body).toEqual({ marked: 4 });
      const later = await escalations(8);
      let list = await notices();
      expect(list.length).toBeLessThanOrEqual(KEEP);
      // Every unread one is still there; only read ones (the oldest) went.
      expect(list.filter((n) => !n.read).map((n) => n.actionId)).toEqual([...later].reverse());
      const readLeft = list.filter((n) => n.read).map((n) => n.actionId);
      expect(readLeft.length).toBeLessThan(early.length);
      expect(readLeft).toEqual(early.slice(early.length - readLeft.length).reverse());

      // More unread than the bound: the read ones are gone, then the oldest unread.
      const last = await escalations(5);
      list = await notices();
      expect(list.length).toBeLessThanOrEqual(KEEP);
      expect(list.every((n) => !n.read)).toBe(true);
      const all = [...later, ...last];
      expect(list.map((n) => n.actionId)).toEqual(all.slice(all.length - list.length).reverse());
      expect(list[0]!.actionId).toBe(last.at(-1));
    });

    it('no unread notice is dropped while the unread ones are within the bound, however few read ones there are', async () => {
      expect((await h.api('POST', '/v1/users', { name: 'dave' })).status).toBe(201);
      const dave = {
        authorization: `Bearer ${(await h.api('POST', '/v1/api-keys', { name: 'dave-laptop', roles: ['operator'], user: 'dave' })).body.key}`,
      };
      const daveCase = (await h.api('POST', '/v1/cases', { data: {}, owner: 'dave' })).body.id;
      const escalate = async (n: number): Promise<string[]> => {
        const ids: string[] = [];
        for (let i = 0; i < n; i++) {
          const a = await launch(h, 'gives-up', {}, { caseId: daveCase });
          await h.waitFor(a.id, (x) => x.state === 'closed');
          ids.push(a.id);
        }
        return ids;
      };
      await escalate(1);
      expect((await h.api('POST', '/v1/notifications/read', undefined, dave)).body).toEqual({ marked: 1 });
      // KEEP unread beside one read: past the bound, but only the read one may go.
      const unread = await escalate(KEEP);
      const list: Notice[] = (await h.api('GET', '/v1/notifications', undefined, dave)).body.items;
      expect(list.filter((n) => !n.read).map((n) => n.actionId)).toEqual([...unread].reverse());
    });

    it('tasks given to a person as they are added to a case are bounded alike: the newest stay, the oldest go', async () => {
      expect((await h.api('POST', '/v1/users', { name: 'erin' })).status).toBe(201);
      expect((await h.api('POST', '/v1/queues', { name: 'desk', members: ['erin'], allocation: 'none' })).status).toBe(201);
      const erin = {
        authorization: `Bearer ${(await h.api('POST', '/v1/api-keys', { name: 'erin-laptop', roles: ['operator'], user: 'erin' })).body.key}`,
      };
      const kase = (await h.api('POST', '/v1/cases', { data: {}, queue: 'desk' })).body.id as string;
      const given: string[] = [];
      for (let i = 0; i < KEEP + 3; i++) {
        const t = await h.api('POST', `/v1/cases/${kase}/tasks`, { title: `task ${i}`, assignee: 'erin' });
        expect(t.status, JSON.stringify(t.body)).toBe(201);
        given.push(t.body.id as string);
      }
      const list: Notice[] = (await h.api('GET', '/v1/notifications', undefined, erin)).body.items;
      expect(list.length).toBeLessThanOrEqual(KEEP);
      expect(list.map((n) => n.actionId)).toEqual(given.slice(given.length - list.length).reverse());
      expect(list[0]!.actionId).toBe(given.at(-1));
    });

    it('a task handed back and forth is one unread notice of each kind, the latest; an escalation outlasts a flood of task notices', async () => {
      // An outside review: 600 hand-overs by one operator pushed out another's unread notices in 3 s.
      for (const name of ['fay', 'gus']) expect((await h.api('POST', '/v1/users', { name })).status).toBe(201);
      expect((await h.api('POST', '/v1/queues', { name: 'pingpong', members: ['fay', 'gus'], allocation: 'none' })).status).toBe(201);
      const key = async (user: string): Promise<Record<string, string>> => ({
        authorization: `Bearer ${(await h.api('POST', '/v1/api-keys', { name: `${user}-k`, roles: ['operator'], user })).body.key}`,
      });
      const [fay, gus] = [await key('fay'), await key('gus')];
      const owned = (await h.api('POST', '/v1/cases', { data: {}, owner: 'fay', queue: 'pingpong' })).body.id as string;
      const escalated = await launch(h, 'gives-up', {}, { caseId: owned });
      await h.waitFor(escalated.id, (x) => x.state === 'closed');
      const t = (await h.api('POST', `/v1/cases/${owned}/tasks`, { title: 'ping' }, gus)).body.id as string;
      for (let i = 0; i < 30; i++) {
        expect((await h.api('POST', `/v1/actions/${t}/assign`, { assignee: 'fay' }, gus)).status).toBe(200);
        expect((await h.api('POST', `/v1/actions/${t}/assign`, { assignee: 'gus' }, gus)).status).toBe(200);
      }
      let list: Array<Notice & { kind: string; message: string }> = (await h.api('GET', '/v1/notifications', undefined, fay)).body.items;
      expect(list.map((n) => [n.kind, n.actionId])).toEqual([
        ['task.taken', t],
        ['task.assigned', t],
        ['action.escalated', escalated.id],
      ]);
      // More distinct tasks than the bound, each given to fay: the task notices go first.
      for (let i = 0; i < KEEP + 2; i++)
        expect((await h.api('POST', `/v1/cases/${owned}/tasks`, { title: `flood ${i}`, assignee: 'fay' }, gus)).status).toBe(201);
      list = (await h.api('GET', '/v1/notifications', undefined, fay)).body.items;
      expect(list.length).toBeLessThanOrEqual(KEEP);
      expect(list.filter((n) => n.kind === 'action.escalated').map((n) => n.actionId)).toEqual([escalated.id]);
    });
  });

describe('the bound given to the library', () => {
  it('a bound that is not a whole number from 1 to 1000000 is refused as the store opens, not obeyed', async () => {
    for (const bad of [0, -5, 1.5, Number.NaN, 2_000_000]) {
      expect(() => new PostgresStore({ connectionString: TEST_DATABASE_URL, notificationsPerUser: bad }), String(bad)).toThrow(
        /notificationsPerUser/,
      );
      await expect(startHarness({ callout: { notificationsPerUser: bad } }), String(bad)).rejects.toThrow(/notificationsPerUser/);
    }
  });
});
