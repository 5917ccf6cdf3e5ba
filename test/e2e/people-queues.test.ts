// People and queues over HTTP on both stores: users and keys acting as them, queues allocating the
// tasks that land on them by each strategy (in the store's transaction), an operator's task work as
// their user, notifications seen and marked read only by their owner, and roles on every new route.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/api-keys/service.ts';
import { actionType, connector, launch, type Harness } from '../helpers/harness.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';
import { PEOPLE } from '../../src/api/roles.ts';

const fields = (body: { errors?: Array<{ field: string }> }): string[] => (body.errors ?? []).map((e) => e.field).sort();

for (const backend of storeHarnesses)
  describe(`${backend.name}: people and queues`, () => {
    let h: Harness;
    const keyOf: Record<string, string> = {};
    const as = (who: string): Record<string, string> => ({ authorization: `Bearer ${keyOf[who]}` });

    async function user(name: string): Promise<void> {
      const r = await h.api('POST', '/v1/users', { name, displayName: name.toUpperCase(), email: `${name}@example.com` });
      expect(r.status).toBe(201);
    }
    async function userKey(name: string, roles: Role[] = ['operator']): Promise<void> {
      const r = await h.api('POST', '/v1/api-keys', { name: `${name}-laptop`, roles, user: name });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ name: `${name}-laptop`, roles, user: name, key: expect.any(String) });
      keyOf[name] = r.body.key;
    }
    async function queue(body: Record<string, unknown>): Promise<void> {
      const r = await h.api('POST', '/v1/queues', body);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    /** Launches an action that the mock rejects (HTTP 400), so it lands To Do on the type's queue. */
    async function todo(
      type: string,
      extra: Record<string, unknown> = {},
    ): Promise<{ id: string; assignee: string | null; queue: string | null }> {
      const a = await launch(h, type, {}, extra);
      return h.waitFor(a.id, (x) => x.state === 'todo');
    }
    const timeline = async (id: string): Promise<Array<{ kind: string; actor: string; message: string }>> =>
      (await h.api('GET', `/v1/actions/${id}/timeline`)).body.items;

    beforeAll(async () => {
      h = await backend.open();
      await connector(h);
      for (const role of ROLES) keyOf[role] = (await h.callout.apiKeys.create({ name: `key-${role}`, roles: [role] })).key;
    });
    afterAll(async () => h?.close());

    it('users are created, read and changed; a key acts as an existing user only', async () => {
      await user('alice');
      expect((await h.api('POST', '/v1/users', { name: 'alice' })).status).toBe(409);
      expect(fields((await h.api('POST', '/v1/users', { name: 'Alice', admin: true })).body)).toEqual(['admin', 'name']);
      expect((await h.api('POST', '/v1/users', { name: 'me' })).status).toBe(422);
      const got = await h.api('GET', '/v1/users/alice');
      expect(got.body).toMatchObject({ name: 'alice', displayName: 'ALICE', email: 'alice@example.com', disabled: false });
      const patched = await h.api('PATCH', '/v1/users/alice', { displayName: 'Alice Ng' });
      expect(patched.body).toMatchObject({ name: 'alice', displayName: 'Alice Ng', email: 'alice@example.com' });
      expect(fields((await h.api('PATCH', '/v1/users/alice', { email: 'nope' })).body)).toEqual(['email']);
      expect((await h.api('PATCH', '/v1/users/nobody', { disabled: true })).status).toBe(404);
      expect((await h.api('GET', '/v1/users')).body.items.map((u: { name: string }) => u.name)).toContain('alice');

      const ghost = await h.api('POST', '/v1/api-keys', { name: 'ghost-key', roles: ['operator'], user: 'ghost' });
      expect(ghost.status).toBe(422);
      expect(fields(ghost.body)).toEqual(['user']);
      await userKey('alice');
      expect((await h.api('GET', '/v1/users/me', undefined, as('alice'))).body.name).toBe('alice');
      const listed = (await h.api('GET', '/v1/api-keys')).body.items.find((k: { name: string }) => k.name === 'alice-laptop');
      expect(listed).toMatchObject({ user: 'alice' });
      expect(JSON.stringify(listed)).not.toContain(keyOf.alice);
    });

    it('queues need existing members and a known allocation; builders change them', async () => {
      await user('bob');
      await queue({ name: 'rr', members: ['alice', 'bob'], allocation: 'round_robin' });
      expect((await h.api('POST', '/v1/queues', { name: 'rr' })).status).toBe(409);
      const bad = await h.api('POST', '/v1/queues', { name: 'bad', members: ['alice', 'nobody'], allocation: 'random' });
      // (A union of words: the schema names the field once per word it is not.)
      expect(bad.status).toBe(422);
      expect(new Set(fields(bad.body))).toEqual(new Set(['allocation']));
      expect(fields((await h.api('POST', '/v1/queues', { name: 'bad', members: ['nobody'] })).body)).toEqual(['members[0]']);
      expect((await h.api('GET', '/v1/queues/bad')).status).toBe(404);
      // An integration names a connector and action types that exist (a typo showed only when a task came).
      const typo = await h.api('POST', '/v1/queues', { name: 'desk', integration: { connector: 'vendr', onAssign: 'submit' } });
      expect([typo.status, typo.body.errors]).toEqual([
        422,
        [
          { field: 'integration.connector', message: 'connector "vendr" does not exist' },
          { field: 'integration.onAssign', message: 'action type "submit" does not exist' },
        ],
      ]);
      expect((await h.api('GET', '/v1/queues/desk')).status).toBe(404);
      const submit = await actionType(h, { name: 'submit', path: '/ok' });
      await queue({ name: 'desk', integration: { connector: 'vendor', onAssign: 'submit' } });
      // Kept by id (a rename does not break it), whatever the request named them by.
      const stored = { connector: (await h.api('GET', '/v1/connectors/vendor')).body.id, onAssign: submit };
      const unknownUpdate = await h.api('PATCH', '/v1/queues/desk', {
        integration: { connector: 'vendor', onAssign: 'submit', onUpdate: 'nope' },
      });
      expect(fields(unknownUpdate.body)).toEqual(['integration.onUpdate']);
      const p = await h.api('PATCH', '/v1/queues/desk', { members: ['bob'] }, as('builder'));
      expect(p.body).toMatchObject({ name: 'desk', members: ['bob'], allocation: 'none', revision: 2 });
      expect(p.body.integration).toMatchObject(stored);
      expect((await h.api('PATCH', '/v1/queues/desk', { description: 'Vendor desk' }, as('builder'))).body.description).toBe('Vendor desk');
      // null removes the description (an emptied box on the queues screen); the rest stays.
      const cleared = await h.api('PATCH', '/v1/queues/desk', { description: null }, as('builder'));
      expect(cleared.status).toBe(200);
      expect(cleared.body).toMatchObject({ description: null, members: ['bob'], revision: 4 });
      expect(cleared.body.integration).toMatchObject(stored);
      const long = await h.api('PATCH', '/v1/queues/desk', { description: 'x'.repeat(2001) }, as('builder'));
      expect([long.status, long.body.errors]).toEqual([
        422,
        [{ field: 'description', message: 'must NOT have more than 2000 characters' }],
      ]);
      expect((await h.api('GET', '/v1/queues/rr', undefined, as('operator'))).body).toMatchObject({ allocation: 'round_robin' });
      // An external system's key does not read people's queues.
      expect((await h.api('GET', '/v1/queues/rr', undefined, as('integration'))).status).toBe(403);
    });

    it('round robin alternates between the members', async () => {
      await actionType(h, { name: 'to-rr', path: '/reject', allocation: { queue: 'rr' } });
      const got: Array<string | null> = [];
      for (let i = 0; i < 4; i++) got.push((await todo('to-rr')).assignee);
      expect(got).toEqual(['alice', 'bob', 'alice', 'bob']);
    });

    it('a task given back to its own queue goes to someone else, whoever had the turn; an only member leaves it for anyone', async () => {
      for (const u of ['g1', 'g2', 'solo']) {
        await user(u);
        await userKey(u);
      }
      await queue({ name: 'back', members: ['g1', 'g2'], allocation: 'round_robin' });
      await actionType(h, { name: 'to-back', path: '/reject', allocation: { queue: 'back' } });
      // The queue's first task goes to g1, who gives it back: g2 gets it, though the turn was g1's.
      const t = await todo('to-back');
      expect(t.assignee).toBe('g1');
      const back = await h.api('POST', `/v1/actions/${t.id}/assign`, { queue: 'back', from: 'me' }, as('g1'));
      expect(back.body).toMatchObject({ queue: 'back', assignee: 'g2', state: 'todo' });
      expect((await timeline(t.id)).at(-1)?.message).toBe('Allocated to g2 from queue back: round robin');
      // The same release again (a double click, a retried request): refused, the task stays g2's, g2 told nothing.
      const twice = await h.api('POST', `/v1/actions/${t.id}/assign`, { queue: 'back', from: 'me' }, as('g1'));
      expect([twice.status, twice.body.detail]).toEqual([409, "The task is no longer g1's; it stays as it is"]);
      expect((await h.callout.actions.getAction(t.id)).assignee).toBe('g2');
      expect((await h.api('GET', '/v1/notifications', undefined, as('g2'))).body.items).toEqual([]);
      // `from` alone moves nothing: a queue or an assignee is needed.
      expect((await h.api('POST', `/v1/actions/${t.id}/assign`, { from: 'g2' })).status).toBe(422);
      // In Progress with g2, given back: g1, not g2 again.
      expect((await h.api('POST', `/v1/actions/${t.id}/pick-up`, undefined, as('g2'))).body.state).toBe('in_progress');
      const again = await h.api('POST', `/v1/actions/${t.id}/assign`, { queue: 'back' }, as('g2'));
      expect(again.body).toMatchObject({ assignee: 'g1', state: 'todo' });
      // The only member gives it back: it waits on the queue for anyone, saying why.
      await queue({ name: 'one', members: ['solo'], allocation: 'round_robin' });
      await actionType(h, { name: 'to-one', path: '/reject', allocation: { queue: 'one' } });
      const s = await todo('to-one');
      expect(s.assignee).toBe('solo');
      expect((await h.api('POST', `/v1/actions/${s.id}/assign`, { queue: 'one' }, as('solo'))).body).toMatchObject({ assignee: null });
      expect((await timeline(s.id)).at(-1)?.message).toBe('Left on queue one unassigned: solo gave it back and is its only member');
      // Moved to another queue: that queue's allocation, as for any task landing there (no one left out).
      const m = await todo('to-back');
      expect((await h.api('POST', `/v1/actions/${m.id}/assign`, { queue: 'one' })).body).toMatchObject({ queue: 'one', assignee: 'solo' });
    });

    it('least loaded gives each task to the member with the fewest open tasks', async () => {
      for (const u of ['l1', 'l2', 'l3']) await user(u);
      await queue({ name: 'll', members: ['l1', 'l2', 'l3'], allocation: 'least_loaded' });
      await actionType(h, { name: 'unqueued', path: '/reject' });
      // l1 has two open tasks and l2 one before the queue gets any.
      for (const who of ['l1', 'l1', 'l2']) {
        const t = await todo('unqueued');
        expect((await h.api('POST', `/v1/actions/${t.id}/assign`, { assignee: who })).body.assignee).toBe(who);
      }
      await actionType(h, { name: 'to-ll', path: '/reject', allocation: { queue: 'll' } });
      const got: Array<string | null> = [];
      for (let i = 0; i < 3; i++) got.push((await todo('to-ll')).assignee);
      expect(got).toEqual(['l3', 'l2', 'l3']);
    });

    it('owner gives the task to the case owner when a member; none and a missing queue leave it unassigned', async () => {
      for (const u of ['o1', 'o2', 'zed']) await user(u);
      await queue({ name: 'own', members: ['o1', 'o2'], allocation: 'owner' });
      await queue({ name: 'pool', members: ['o1', 'o2'] });
      await actionType(h, { name: 'to-own', path: '/reject', allocation: { queue: 'own' } });
      await actionType(h, { name: 'to-pool', path: '/reject', allocation: { queue: 'pool' } });
      await actionType(h, { name: 'to-ghost', path: '/reject', allocation: { queue: 'ghost' } });
      const kase = async (owner: string | null): Promise<string> => (await h.api('POST', '/v1/cases', { data: {}, owner })).body.id;

      expect((await todo('to-own', { caseId: await kase('o2') })).assignee).toBe('o2');
      expect((await todo('to-own', { caseId: await kase('o1') })).assignee).toBe('o1');
      const outsider = await todo('to-own', { caseId: await kase('zed') });
      expect(outsider).toMatchObject({ queue: 'own', assignee: null });
      expect((await timeline(outsider.id)).find((e) => e.kind === 'allocated')!.message).toContain('not a member');

      const pooled = await todo('to-pool');
      expect(pooled).toMatchObject({ queue: 'pool', assignee: null });
      expect((await timeline(pooled.id)).find((e) => e.kind === 'allocated')!.message).toContain('assigns no one');
      const lost = await todo('to-ghost');
      expect(lost).toMatchObject({ queue: 'ghost', assignee: null });
      expect((await timeline(lost.id)).find((e) => e.kind === 'allocated')).toMatchObject({
        actor: 'system',
        message: 'Queue ghost does not exist: the task waits on it unassigned',
      });
    });

    it("assign, notes, pick-up and complete with a user's key are done as that user", async () => {
      const t = await todo('to-pool');
      const bad = async (body: unknown): Promise<string[]> => {
        const r = await h.api('POST', `/v1/actions/${t.id}/assign`, body, as('alice'));
        expect(r.status).toBe(422);
        return fields(r.body);
      };
      expect(await bad({ assignee: 'nobody' })).toEqual(['assignee']);
      expect(await bad({ queue: 'rr', assignee: 'o1' })).toEqual(['assignee']);
      expect(await bad({ queue: 'nope' })).toEqual(['queue']);
      expect(await bad({ assignee: 'alice', extra: 1 })).toEqual(['extra']);
      expect((await h.api('POST', `/v1/actions/${t.id}/assign`, {}, as('alice'))).status).toBe(422);
      expect((await h.callout.actions.getAction(t.id)).assignee).toBeNull();

      // To a queue alone: its allocation picks the person (rr's turn is alice's after bob).
      const moved = await h.api('POST', `/v1/actions/${t.id}/assign`, { queue: 'rr' }, as('alice'));
      expect(moved.body).toMatchObject({ queue: 'rr', assignee: 'alice' });
      const mine = await h.api('GET', '/v1/actions?state=todo&queue=rr&assignee=me', undefined, as('alice'));
      expect(mine.body.items.map((a: { id: string }) => a.id)).toContain(t.id);
      expect(mine.body.items.every((a: { assignee: string }) => a.assignee === 'alice')).toBe(true);

      expect((await h.api('POST', `/v1/actions/${t.id}/assign`, { assignee: 'me', queue: 'rr' }, as('alice'))).status).toBe(200);
      expect((await h.api('POST', `/v1/actions/${t.id}/notes`, { note: 'Called the vendor' }, as('alice'))).status).toBe(200);
      expect((await h.api('POST', `/v1/actions/${t.id}/notes`, { note: '' }, as('alice'))).status).toBe(422);
      expect((await h.api('POST', `/v1/actions/${t.id}/notes`, { note: '   ' }, as('alice'))).status).toBe(422);
      expect((await h.api('POST', `/v1/actions/${t.id}/pick-up`, undefined, as('alice'))).body).toMatchObject({
        state: 'in_progress',
        assignee: 'alice',
      });
      // Again (a double click): the same answer, one timeline entry.
      const twice = await h.api('POST', `/v1/actions/${t.id}/pick-up`, undefined, as('alice'));
      expect(twice.status).toBe(200);
      expect(twice.body).toMatchObject({ state: 'in_progress', assignee: 'alice' });
      expect((await timeline(t.id)).filter((e) => e.kind === 'picked_up')).toHaveLength(1);
      const done = await h.api('POST', `/v1/actions/${t.id}/complete`, { note: 'Sorted' }, as('alice'));
      expect(done.body).toMatchObject({ state: 'closed', resolution: 'done_successfully' });
      const tl = await timeline(t.id);
      for (const kind of ['assigned', 'message', 'picked_up', 'completed'])
        expect(tl.find((e) => e.kind === kind)!.actor).toBe('user:alice');
      expect(tl.find((e) => e.kind === 'message')!.message).toBe('Called the vendor');
      // Completed again by her, as she did (a double click, a request repeated after a lost answer):
      // the same answer and nothing added; another resolution, or someone else, is refused.
      const again = await h.api('POST', `/v1/actions/${t.id}/complete`, { note: 'Sorted' }, as('alice'));
      expect([again.status, again.body]).toEqual([200, done.body]);
      expect(await timeline(t.id)).toHaveLength(tl.length);
      // Repeated with another note (or a note where there was none), it is not answered 200 with the note dropped.
      const otherNote = await h.api('POST', `/v1/actions/${t.id}/complete`, { note: 'Sorted, vendor credited' }, as('alice'));
      expect([otherNote.status, otherNote.body.detail]).toEqual([
        409,
        'The action is already closed, by you, with another note (or none); add this one as a note (POST /v1/actions/{id}/notes)',
      ]);
      expect((await h.api('POST', `/v1/actions/${t.id}/complete`, {}, as('alice'))).status).toBe(200);
      const otherWay = await h.api('POST', `/v1/actions/${t.id}/complete`, { resolution: 'not_done_successfully' }, as('alice'));
      expect([otherWay.status, otherWay.body.detail]).toEqual([409, 'The action is already closed']);
      expect((await h.api('POST', `/v1/actions/${t.id}/complete`, { note: 'Sorted' }, as('admin'))).status).toBe(409);
      expect(await timeline(t.id)).toHaveLength(tl.length);
      expect((await h.api('POST', `/v1/actions/${t.id}/assign`, { assignee: 'bob' }, as('alice'))).status).toBe(409);
    });

    it('a task In Progress with someone is theirs: another operator takes it over first, visibly; an admin may complete it', async () => {
      const bobKey = (await h.callout.apiKeys.create({ name: 'bob-desk', roles: ['operator'], user: 'bob' })).key;
      const asBob = { authorization: `Bearer ${bobKey}` };
      const t = await todo('to-pool');
      expect((await h.api('POST', `/v1/actions/${t.id}/pick-up`, undefined, as('alice'))).body.assignee).toBe('alice');
      const refused = await h.api('POST', `/v1/actions/${t.id}/complete`, { note: 'mine now' }, asBob);
      expect(refused.status).toBe(409);
      expect(refused.body.detail).toContain('alice is working on this task');
      expect(await h.callout.actions.getAction(t.id)).toMatchObject({ state: 'in_progress', assignee: 'alice' });
      expect((await timeline(t.id)).some((e) => e.message === 'mine now')).toBe(false);
      // Taking it over is one request, and the timeline says who took it from whom.
      expect((await h.api('POST', `/v1/actions/${t.id}/assign`, { assignee: 'me' }, asBob)).body.assignee).toBe('bob');
      expect((await h.api('POST', `/v1/actions/${t.id}/complete`, {}, asBob)).body.state).toBe('closed');
      expect((await timeline(t.id)).find((e) => e.kind === 'assigned')).toMatchObject({
        actor: 'user:bob',
        message: 'Assigned to bob on queue pool by bob (taken from alice)',
      });

      // A key without a user (it acts as key:ops-bot) takes work over the same way, as it picks it up.
      const bot = { authorization: `Bearer ${(await h.callout.apiKeys.create({ name: 'ops-bot', roles: ['operator'] })).key}` };
      const v = await todo('to-pool');
      await h.api('POST', `/v1/actions/${v.id}/pick-up`, undefined, as('alice'));
      expect((await h.api('POST', `/v1/actions/${v.id}/complete`, {}, bot)).status).toBe(409);
      const took = await h.api('POST', `/v1/actions/${v.id}/assign`, { assignee: 'me' }, bot);
      expect(took.status, JSON.stringify(took.body)).toBe(200);
      expect(took.body.assignee).toBe('key:ops-bot');
      expect((await h.api('POST', `/v1/actions/${v.id}/complete`, {}, bot)).body.state).toBe('closed');
      // Moving held work back to a queue also says whose it was.
      const w = await todo('to-pool');
      await h.api('POST', `/v1/actions/${w.id}/pick-up`, undefined, as('alice'));
      expect((await h.api('POST', `/v1/actions/${w.id}/assign`, { queue: 'pool' }, asBob)).body.state).toBe('todo');
      expect((await timeline(w.id)).find((e) => e.kind === 'assigned')!.message).toBe('Moved to queue pool by bob (taken from alice)');

      // An admin completes it as it is; the timeline names both.
      const u = await todo('to-pool');
      await h.api('POST', `/v1/actions/${u.id}/pick-up`, undefined, as('alice'));
      const forced = await h.api('POST', `/v1/actions/${u.id}/complete`, { resolution: 'not_done_successfully' }, as('admin'));
      expect(forced.body).toMatchObject({ state: 'closed', resolution: 'not_done_successfully' });
      expect((await timeline(u.id)).some((e) => /Completed by .* while alice was working on it/.test(e.message))).toBe(true);
    });

    it('notifications are listed and marked read only by their owner', async () => {
      await user('carol');
      await userKey('carol');
      await userKey('bob');
      await actionType(h, { name: 'gives-up', path: '/status/503', retry: { maxRetries: 0 } });
      const caseId = (await h.api('POST', '/v1/cases', { data: {}, owner: 'carol' })).body.id;
      const a = await launch(h, 'gives-up', {}, { caseId });
      await h.waitFor(a.id, (x) => x.state === 'closed');
      const list = await h.api('GET', '/v1/notifications', undefined, as('carol'));
      expect(list.body.items).toHaveLength(1);
      const n = list.body.items[0];
      expect(n).toMatchObject({ user: 'carol', kind: 'action.escalated', actionId: a.id, read: false, readAt: null });
      expect((await h.api('GET', '/v1/notifications', undefined, as('bob'))).body.items).toEqual([]);
      expect((await h.api('POST', `/v1/notifications/${n.id}/read`, undefined, as('bob'))).status).toBe(404);
      expect((await h.api('POST', '/v1/notifications/x1/read', undefined, as('carol'))).status).toBe(422);
      const read = await h.api('POST', `/v1/notifications/${n.id}/read`, undefined, as('carol'));
      expect(read.body).toMatchObject({ id: n.id, read: true, readAt: expect.any(String) });
      const again = await h.api('POST', `/v1/notifications/${n.id}/read`, undefined, as('carol'));
      expect(again.body.readAt).toBe(read.body.readAt);
      expect((await h.api('GET', '/v1/notifications?unread=true', undefined, as('carol'))).body.items).toEqual([]);
      expect((await h.api('GET', '/v1/notifications', undefined, as('carol'))).body.items[0].read).toBe(true);
      // All at once: up to the newest one seen (a newer one stays unread), then all; only the caller's own.
      // (On a connector of their own: two more failures would open vendor's circuit for the tests after.)
      await connector(h, { name: 'noisy', circuitBreaker: false });
      await actionType(h, { name: 'gives-up-too', connector: 'noisy', path: '/status/503', retry: { maxRetries: 0 } });
      const more = [await launch(h, 'gives-up-too', {}, { caseId }), await launch(h, 'gives-up-too', {}, { caseId })];
      for (const m of more) await h.waitFor(m.id, (x) => x.state === 'closed');
      const unread = (await h.api('GET', '/v1/notifications?unread=true', undefined, as('carol'))).body.items as Array<{ id: number }>;
      expect(unread).toHaveLength(2);
      const upTo = Math.min(...unread.map((x) => x.id));
      expect((await h.api('POST', '/v1/notifications/read', { upTo }, as('bob'))).body).toEqual({ marked: 0 });
      expect((await h.api('POST', '/v1/notifications/read', { upTo }, as('carol'))).body).toEqual({ marked: 1 });
      expect(
        (await h.api('GET', '/v1/notifications?unread=true', undefined, as('carol'))).body.items.map((x: { id: number }) => x.id),
      ).toEqual([Math.max(...unread.map((x) => x.id))]);
      expect((await h.api('POST', '/v1/notifications/read', undefined, as('carol'))).body).toEqual({ marked: 1 });
      expect((await h.api('GET', '/v1/notifications?unread=true', undefined, as('carol'))).body.items).toEqual([]);
      expect(fields((await h.api('POST', '/v1/notifications/read', { upTo: -1, all: true }, as('carol'))).body)).toEqual(['all', 'upTo']);
      // A key made without a user but named after one is not that user: not her notifications, not her work.
      const named = await h.api('POST', '/v1/api-keys', { name: 'carol', roles: ['operator'] });
      expect(named.status, JSON.stringify(named.body)).toBe(201);
      const impostor = { authorization: `Bearer ${named.body.key}` };
      expect((await h.api('GET', '/v1/notifications', undefined, impostor)).body.items).toEqual([]);
      expect((await h.api('POST', `/v1/notifications/${n.id}/read`, undefined, impostor)).status).toBe(404);
      const task = await launch(h, 'gives-up', {}, { caseId });
      await h.waitFor(task.id, (x) => x.state === 'closed');
      const retried = await h.api('POST', `/v1/actions/${task.id}/retry`, undefined, impostor);
      expect(retried.status, JSON.stringify(retried.body)).toBe(200);
      const tl = (await h.api('GET', `/v1/actions/${task.id}/timeline`)).body.items as Array<{ kind: string; actor: string }>;
      expect(tl.find((e) => e.kind === 'retry_requested')?.actor).toBe('user:key:carol');
      // A page at a time, newest first, `next` the `before` of the page after: the pages make the whole list
      // (once the retried task has given up again, escalating a second time).
      await h.waitFor(task.id, (x) => x.state === 'closed');
      const whole = (await h.api('GET', '/v1/notifications', undefined, as('carol'))).body;
      expect([whole.items.length >= 2, whole.next]).toEqual([true, null]);
      const paged: number[] = [];
      let before = '';
      for (let i = 0; i < 10; i++) {
        const page = (await h.api('GET', `/v1/notifications?limit=1${before}`, undefined, as('carol'))).body;
        paged.push(...page.items.map((x: { id: number }) => x.id));
        if (page.next === null) break;
        expect(page.next).toBe(String(page.items[0].id));
        before = `&before=${page.next}`;
      }
      expect(paged).toEqual(whole.items.map((x: { id: number }) => x.id));
      expect(whole.items.at(-1).actionId).toBe(a.id);
      expect((await h.api('GET', '/v1/notifications?limit=0', undefined, as('carol'))).body.errors[0].field).toBe('limit');
    });

    it("a disabled user's keys are refused at once, and queues give them no new work", async () => {
      expect((await h.api('GET', '/v1/users/me', undefined, as('bob'))).status).toBe(200);
      expect((await h.api('PATCH', '/v1/users/bob', { disabled: true })).body.disabled).toBe(true);
      expect((await h.api('GET', '/v1/users/me', undefined, as('bob'))).status).toBe(401);
      expect((await h.api('POST', '/v1/actions/x/pick-up', undefined, as('bob'))).status).toBe(401);
      // rr skips bob while he is disabled.
      expect((await todo('to-rr')).assignee).toBe('alice');
      expect((await todo('to-rr')).assignee).toBe('alice');
      await h.api('PATCH', '/v1/users/bob', { disabled: false });
      expect((await h.api('GET', '/v1/users/me', undefined, as('bob'))).status).toBe(200);
    });

    it('a task taken from the person it was allocated to tells them, and its timeline says whose it was', async () => {
      for (const u of ['tina', 'uma', 'vic']) {
        await user(u);
        await userKey(u);
      }
      await queue({ name: 'tr', members: ['tina', 'uma'], allocation: 'round_robin' });
      await actionType(h, { name: 'to-tr', path: '/reject', allocation: { queue: 'tr' } });
      const told = async (who: string): Promise<Array<{ kind: string; actionId: string; message: string }>> =>
        (await h.api('GET', '/v1/notifications', undefined, as(who))).body.items;

      // Picked up by someone else (vic is not even a member): allowed, said, and its person is told.
      const a = await todo('to-tr');
      expect(a.assignee).toMatch(/^(tina|uma)$/);
      expect((await h.api('POST', `/v1/actions/${a.id}/pick-up`, undefined, as('vic'))).body).toMatchObject({ assignee: 'vic' });
      expect((await timeline(a.id)).find((e) => e.kind === 'picked_up')!.message).toBe(`Picked up by vic; it was ${a.assignee}'s`);
      expect(await told(a.assignee!)).toEqual([
        expect.objectContaining({ kind: 'task.taken', actionId: a.id, message: `vic picked up task ${a.id} on queue tr, which was yours` }),
      ]);
      // The loser of a second pick-up hears who has it.
      const second = await h.api('POST', `/v1/actions/${a.id}/pick-up`, undefined, as(a.assignee!));
      expect([second.status, second.body.detail]).toEqual([409, expect.stringContaining('vic picked this task up')]);

      // Completed To Do by someone else, without a pick-up.
      const b = await todo('to-tr');
      expect((await h.api('POST', `/v1/actions/${b.id}/complete`, {}, as('vic'))).body.state).toBe('closed');
      expect((await timeline(b.id)).map((e) => e.message)).toContain(`Completed by vic; it was ${b.assignee}'s`);
      expect((await told(b.assignee!)).find((n) => n.actionId === b.id)).toMatchObject({
        kind: 'task.taken',
        message: `vic completed task ${b.id} on queue tr (Done Successfully), which was yours`,
      });

      // Handed to someone else: the one it leaves and the one it reaches are told; the one who did it is not.
      const c = await todo('to-tr');
      expect((await h.api('POST', `/v1/actions/${c.id}/assign`, { assignee: 'vic' }, as('operator'))).body.assignee).toBe('vic');
      expect((await told(c.assignee!)).find((n) => n.actionId === c.id)).toMatchObject({ kind: 'task.taken' });
      expect((await told('vic')).filter((n) => n.actionId === c.id)).toEqual([
        expect.objectContaining({ kind: 'task.assigned', message: `key:key-operator assigned task ${c.id} on queue tr to you` }),
      ]);
      expect((await told('vic')).filter((n) => n.actionId !== c.id)).toEqual([]);

      // A task on no queue and no case, given to a person by its action type, is theirs all the same.
      await actionType(h, { name: 'to-tina', path: '/reject', allocation: { user: 'tina' } });
      const d = await todo('to-tina');
      expect(d).toMatchObject({ queue: null, assignee: 'tina' });
      await h.api('POST', `/v1/actions/${d.id}/pick-up`, undefined, as('uma'));
      expect((await told('tina')).find((n) => n.actionId === d.id)).toMatchObject({
        kind: 'task.taken',
        message: `uma picked up task ${d.id}, which was yours`,
      });
    });

    it('hostile bodies are refused naming the field, and change nothing', async () => {
      const t = await todo('to-pool');
      const before = (await timeline(t.id)).length;
      let deep: unknown = 'x';
      for (let i = 0; i < 80; i++) deep = { d: deep };
      const huge = 'n'.repeat(10_001);
      const tries: Array<[string, string, unknown, string]> = [
        ['POST', `/v1/actions/${t.id}/notes`, { note: huge }, 'note'],
        ['POST', `/v1/actions/${t.id}/notes`, { note: deep }, 'note'],
        ['POST', `/v1/actions/${t.id}/assign`, { queue: 'pool', assignee: deep }, 'assignee'],
        ['POST', '/v1/users', { name: 'deep', displayName: deep }, 'displayName'],
        ['POST', '/v1/users', { name: 'x'.repeat(65) }, 'name'],
        ['PATCH', '/v1/users/alice', { displayName: 'x'.repeat(201) }, 'displayName'],
        ['POST', '/v1/queues', { name: 'big', members: Array.from({ length: 1001 }, (_, i) => `u${i}`) }, 'members'],
        ['PATCH', '/v1/queues/rr', { allocation: 'round_robin', name: 'renamed' }, 'name'],
      ];
      for (const [method, url, body, field] of tries) {
        const r = await h.api(method, url, body);
        expect(r.status, `${method} ${url}`).toBe(422);
        expect(r.headers['content-type']).toContain('application/problem+json');
        expect(fields(r.body), `${method} ${url}`).toContain(field);
      }
      expect((await timeline(t.id)).length).toBe(before);
      expect((await h.api('GET', '/v1/users/deep')).status).toBe(404);
      expect((await h.api('GET', '/v1/queues/big')).status).toBe(404);
      expect((await h.api('GET', '/v1/queues/rr')).body.name).toBe('rr');
      expect((await h.api('GET', '/v1/users/alice')).body.displayName).toBe('Alice Ng');
    });

    it('roles: each new route refuses the wrong roles (403) and no key (401)', async () => {
      const t = await todo('to-pool');
      const routes: Array<[string, string, unknown, readonly Role[] | 'any']> = [
        ['POST', '/v1/users', { name: `r${Date.now()}` }, ['admin']],
        ['GET', '/v1/users', undefined, PEOPLE],
        ['GET', '/v1/users/alice', undefined, PEOPLE],
        ['PATCH', '/v1/users/alice', { displayName: 'Alice Ng' }, ['admin']],
        ['POST', '/v1/queues', { name: 'q' }, ['builder']],
        ['GET', '/v1/queues', undefined, PEOPLE],
        ['GET', '/v1/queues/rr', undefined, PEOPLE],
        ['PATCH', '/v1/queues/rr', { allocation: 'round_robin' }, ['builder']],
        ['POST', `/v1/actions/${t.id}/assign`, { queue: 'pool' }, ['operator']],
        ['POST', `/v1/actions/${t.id}/notes`, { note: 'n' }, ['operator']],
        ['GET', '/v1/notifications', undefined, PEOPLE],
        ['POST', '/v1/notifications/999999/read', undefined, PEOPLE],
      ];
      for (const [method, url, body, allowed] of routes) {
        expect((await h.api(method, url, body, { authorization: '' })).status, `${method} ${url} without a key`).toBe(401);
        for (const role of ROLES) {
          const s = (await h.api(method, url, body, as(role))).status;
          const ok = role === 'admin' || allowed === 'any' || allowed.includes(role);
          if (ok) expect([200, 201, 404, 409], `${method} ${url} as ${role}`).toContain(s);
          else expect(s, `${method} ${url} as ${role}`).toBe(403);
        }
      }
      expect((await h.api('GET', '/v1/queues/q')).status).toBe(200);
    });
  });
