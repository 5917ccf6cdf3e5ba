// The whole configuration as a file (SPEC 9): an environment's users, queues, processes, webhook
// subscriptions and schedules go out with its connectors and action types, naming each other by name,
// and a fresh installation on either store is rebuilt from the file alone. Re-importing changes
// nothing; a mistake anywhere is named and writes nothing; a builder's file cannot change users.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';
import { importReport } from '../helpers/import-report.ts';
import { STORES, harnessOn, startReceiver, until, type Receiver } from '../webhooks/helpers.ts';

const fields = (body: { errors?: Array<{ field: string }> }): string[] => (body.errors ?? []).map((e) => e.field).sort();
type Doc = Record<string, any>;

let source: Harness;
let receiver: Receiver;
let file: Doc;
beforeAll(async () => {
  receiver = await startReceiver();
  source = await startHarness();
  const h = source;
  await connector(h);
  await actionType(h, {
    name: 'open-ticket',
    path: '/ok',
    body: { format: 'json', template: '{"title": "{{ Title }}"}' },
  });
  const ok = async (path: string, body: unknown): Promise<void> => {
    const r = await h.api('POST', path, body);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  };
  await ok('/v1/users', { name: 'alice', displayName: 'Alice Martin', email: 'alice@example.com' });
  await ok('/v1/users', { name: 'bob' });
  expect((await h.api('PATCH', '/v1/users/bob', { disabled: true })).status).toBe(200);
  await ok('/v1/queues', { name: 'service-desk', description: 'first line', members: ['alice', 'bob'], allocation: 'round_robin' });
  const onboarding = await h.api('POST', '/v1/processes', {
    name: 'onboarding',
    description: 'a new starter',
    steps: [
      { name: 'ticket', kind: 'external', actionType: 'open-ticket', input: '{"Title": data.name}' },
      { name: 'desk', kind: 'manual', queue: 'service-desk', title: 'Hand over the laptop', onFailure: 'continue' },
      { name: 'done', kind: 'map', expression: '{"ready": true}' },
    ],
  });
  expect(onboarding.status).toBe(201);
  await ok('/v1/webhooks', { url: `${receiver.url}/hooks`, events: ['case.*', 'action.escalated'], description: 'audit' });
  await ok('/v1/schedules', {
    name: 'nightly',
    cron: '0 2 * * *',
    timezone: 'Europe/Amsterdam',
    launch: { actionType: 'open-ticket', input: { Title: 'nightly' } },
  });
  await ok('/v1/schedules', {
    name: 'weekly',
    cron: '0 9 * * 1',
    // By id, as the API takes it; owned by a user the file brings.
    launch: { process: onboarding.body.id, data: { name: 'weekly' }, owner: 'alice' },
    paused: true,
  });
  const r = await h.api('GET', '/v1/config/export?format=json');
  expect(r.status).toBe(200);
  file = r.body;
});
afterAll(async () => (await source.close(), await receiver.close()));

it('the export holds every section, naming action types by name, with no ids, secrets or delivery state', () => {
  expect(file.users).toEqual([
    { name: 'alice', displayName: 'Alice Martin', email: 'alice@example.com' },
    { name: 'bob', displayName: 'bob', disabled: true },
  ]);
  expect(file.queues).toEqual([{ name: 'service-desk', description: 'first line', members: ['alice', 'bob'], allocation: 'round_robin' }]);
  expect(file.processes[0].steps[0]).toMatchObject({ name: 'ticket', actionType: 'open-ticket' });
  expect(file.webhooks).toEqual([
    { url: `${receiver.url}/hooks`, events: ['case.*', 'action.escalated'], description: 'audit', enabled: true },
  ]);
  expect(file.schedules).toEqual([
    {
      name: 'nightly',
      cron: '0 2 * * *',
      timezone: 'Europe/Amsterdam',
      launch: { actionType: 'open-ticket', input: { Title: 'nightly' } },
      paused: false,
    },
    {
      name: 'weekly',
      cron: '0 9 * * 1',
      timezone: 'UTC',
      launch: { process: 'onboarding', data: { name: 'weekly' }, owner: 'alice' },
      paused: true,
    },
  ]);
  const text = JSON.stringify(file);
  expect(text).not.toContain('secret-token-123');
  expect(text).not.toContain('whsec_');
  expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/); // no uuidv7 ids
});

for (const store of STORES)
  describe(`a fresh installation rebuilt from the file (${store})`, () => {
    let h: Harness;
    let builder: Record<string, string>;
    beforeAll(async () => {
      h = await harnessOn(store);
      process.env.CALLOUT_VENDOR_TOKEN = 'imported-token';
      builder = { authorization: `Bearer ${(await h.callout.apiKeys.create({ name: 'builder', roles: ['builder'] })).key}` };
    });
    afterAll(async () => {
      delete process.env.CALLOUT_VENDOR_TOKEN;
      await h.close();
    });

    it('a builder may not bring users in: refused, naming them, and nothing of the file is written', async () => {
      const r = await h.api('POST', '/v1/config/import', file, builder);
      expect(r.status).toBe(422);
      // A new connector's secret is not read from the server's environment for a builder either.
      expect(fields(r.body)).toEqual(['connectors[0].auth.token', 'users[0]', 'users[1]']);
      expect(r.body.errors.find((e: { field: string }) => e.field === 'users[0]').message).toMatch(/takes an admin key/);
      expect((await h.api('GET', '/v1/connectors')).body.items).toEqual([]);
      expect((await h.api('GET', '/v1/queues')).body.items).toEqual([]);
    });

    it('an admin imports it whole; the export of the new installation is the file; again, nothing changes', async () => {
      const r = await h.api('POST', '/v1/config/import', file);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const url = `${receiver.url}/hooks`;
      expect(r.body).toEqual(
        importReport({
          connectors: { created: ['vendor'] },
          actionTypes: { created: ['open-ticket'] },
          users: { created: ['alice', 'bob'] },
          queues: { created: ['service-desk'] },
          processes: { created: ['onboarding'] },
          webhooks: { created: [url] },
          schedules: { created: ['nightly', 'weekly'] },
          webhookSecrets: [{ id: expect.any(String), url, secret: expect.stringMatching(/^whsec_/) }],
        }),
      );
      expect((await h.api('GET', '/v1/config/export?format=json')).body).toEqual(file);

      // What was rebuilt works: the process's step names the new action type's id, the schedule too.
      const type = (await h.api('GET', '/v1/action-types/open-ticket')).body;
      expect((await h.api('GET', '/v1/processes/onboarding')).body.steps[0].actionType).toBe(type.id);
      const nightly = (await h.api('GET', '/v1/schedules/nightly')).body;
      expect([nightly.launch.actionType, nightly.nextRunAt, nightly.createdBy]).toEqual([
        type.id,
        expect.any(String),
        'user:CALLOUT_ADMIN_KEY',
      ]);
      expect((await h.api('GET', '/v1/schedules/weekly')).body.nextRunAt).toBeNull();
      expect((await h.api('GET', '/v1/users/bob')).body.disabled).toBe(true);

      // The answer's secret signs what the subscription receives.
      const hook = (await h.api('GET', '/v1/webhooks')).body.items[0];
      expect(hook.id).toBe(r.body.webhookSecrets[0].id);
      const before = receiver.received.length;
      expect((await h.api('POST', '/v1/cases', { process: 'onboarding', data: { name: 'Ann' } })).status).toBe(201);
      const delivery = await until('the case.created delivery', () =>
        receiver.received.slice(before).find((x) => x.body.includes('case.created')),
      );
      expect(() =>
        new Webhook(r.body.webhookSecrets[0].secret).verify(delivery.body, delivery.headers as Record<string, string>),
      ).not.toThrow();

      const again = await h.api('POST', '/v1/config/import', file);
      expect(again.body).toEqual(
        importReport({
          connectors: { unchanged: ['vendor'] },
          actionTypes: { unchanged: ['open-ticket'] },
          users: { unchanged: ['alice', 'bob'] },
          queues: { unchanged: ['service-desk'] },
          processes: { unchanged: ['onboarding'] },
          webhooks: { unchanged: [url] },
          schedules: { unchanged: ['nightly', 'weekly'] },
        }),
      );
      // The builder's own export comes back unchanged too: users as they are are not a change.
      const mine = await h.api('POST', '/v1/config/import', file, builder);
      expect([mine.status, mine.body.users]).toEqual([200, { created: [], updated: [], unchanged: ['alice', 'bob'] }]);
    });

    it('a changed file updates what changed, in place, and keeps the webhook and its secret', async () => {
      const hook = (await h.api('GET', '/v1/webhooks')).body.items[0];
      const next = structuredClone(file);
      next.users[1] = { name: 'bob', displayName: 'Bob Stone' }; // enabled again, a display name
      next.queues[0].members = ['alice'];
      next.processes[0].steps[1].title = 'Hand over the laptop and the badge';
      next.webhooks[0].events = ['*'];
      delete next.webhooks[0].description;
      next.schedules[1].paused = false;
      const r = await h.api('POST', '/v1/config/import', next);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect([r.body.users.updated, r.body.queues.updated, r.body.processes.updated, r.body.schedules.updated]).toEqual([
        ['bob'],
        ['service-desk'],
        ['onboarding'],
        ['weekly'],
      ]);
      expect([r.body.webhooks.updated.length, r.body.webhookSecrets]).toEqual([1, []]);
      const after = (await h.api('GET', '/v1/webhooks')).body.items;
      expect(after).toEqual([expect.objectContaining({ id: hook.id, events: ['*'], description: null })]);
      expect((await h.api('GET', '/v1/users/bob')).body).toMatchObject({ displayName: 'Bob Stone', disabled: false });
      expect((await h.api('GET', '/v1/queues/service-desk')).body).toMatchObject({ members: ['alice'], revision: 2 });
      expect((await h.api('GET', '/v1/schedules/weekly')).body.nextRunAt).toEqual(expect.any(String));
      expect((await h.api('GET', '/v1/config/export?format=json')).body.processes[0].steps[1].title).toBe(
        'Hand over the laptop and the badge',
      );
    });

    it('mistakes in several sections are all named at once, and nothing of the file is written', async () => {
      const before = (await h.api('GET', '/v1/config/export?format=json')).body;
      const bad = structuredClone(before);
      bad.queues.push({ name: 'night-desk', members: ['alice'] }); // fine on its own
      bad.queues.push({ name: 'ghost-desk', members: ['nobody'] });
      bad.actionTypes.push({
        name: 'close-ticket',
        connector: 'vendor',
        method: 'POST',
        path: '/ok',
        fields: { Reason: { type: 'string', required: true } },
      });
      bad.processes.push({ name: 'offboarding', steps: [{ name: 'x', kind: 'external', actionType: 'no-such-type' }] });
      bad.schedules.push({ name: 'hourly', cron: '0 * * * *', launch: { actionType: 'close-ticket', input: {} } });
      bad.schedules.push({ name: 'nightly', cron: '0 3 * * *', launch: { actionType: 'open-ticket', input: { Title: 'x' } } });
      bad.webhooks.push({ url: 'ftp://example.com/x', events: ['*'] });
      bad.users.push({ name: 'Carol' });
      const r = await h.api('POST', '/v1/config/import', bad);
      expect(r.status).toBe(422);
      expect(fields(r.body)).toEqual([
        'processes[1].steps[0].actionType',
        'queues[2].members[0]',
        'schedules[2].launch.input.Reason',
        'schedules[3].name',
        'users[2].name',
        'webhooks[1].url',
      ]);
      expect((await h.api('GET', '/v1/config/export?format=json')).body).toEqual(before);
      expect((await h.api('GET', '/v1/queues/night-desk')).status).toBe(404);
    });

    it('a subscription Callout disabled after failures is exported as not enabled; a file enabling it revives it', async () => {
      const [hook] = await h.callout.store.listWebhookSubscriptions();
      const off = { ...hook!, disabledAt: Date.now(), disabledReason: 'failing for 5 days', revision: hook!.revision + 1 };
      expect(await h.callout.store.updateWebhookSubscription(off, hook!.revision)).toBe(true);
      const out = (await h.api('GET', '/v1/config/export?format=json')).body;
      expect(out.webhooks[0].enabled).toBe(false);
      out.webhooks[0].enabled = true;
      const r = await h.api('POST', '/v1/config/import', out);
      expect(r.body.webhooks.updated).toHaveLength(1);
      expect((await h.api('GET', `/v1/webhooks/${hook!.id}`)).body).toMatchObject({ enabled: true, disabledAt: null });
    });

    it("an imported queue meets the route's schema; a section over 2,000 entries is refused; two imports at once create one subscription", async () => {
      const bad = await h.api('POST', '/v1/config/import', { queues: [{ name: 'q1', integration: { connector: 'vendor' } }] });
      expect([bad.status, bad.body.errors[0].field]).toEqual([422, 'queues[0].integration.onAssign']);
      // Its connector and action types exist, stored or brought by the same file.
      const typo = await h.api('POST', '/v1/config/import', {
        queues: [{ name: 'q1', integration: { connector: 'vendor', onAssign: 'nope' } }],
      });
      expect([typo.status, typo.body.errors]).toEqual([
        422,
        [{ field: 'queues[0].integration.onAssign', message: 'action type "nope" does not exist' }],
      ]);
      const brought = await h.api('POST', '/v1/config/import', {
        connectors: [{ name: 'desk-vendor', baseUrl: 'http://127.0.0.1:9' }],
        actionTypes: [{ name: 'desk-submit', connector: 'desk-vendor', method: 'POST', path: '/ok' }],
        queues: [{ name: 'q1', integration: { connector: 'desk-vendor', onAssign: 'desk-submit' } }],
      });
      expect(brought.status, JSON.stringify(brought.body)).toBe(200);
      expect((await h.api('GET', '/v1/queues/q1')).body.integration).toMatchObject({ onAssign: expect.any(String) });
      const many = await h.api('POST', '/v1/config/import', { users: Array.from({ length: 2001 }, (_, i) => ({ name: `u${i}` })) });
      expect([many.status, many.body.errors]).toEqual([422, [{ field: 'users', message: expect.stringContaining('at most 2000') }]]);
      const file = { webhooks: [{ url: `${receiver.url}/twice`, events: ['*'] }] };
      const both = await Promise.all([h.api('POST', '/v1/config/import', file), h.api('POST', '/v1/config/import', file)]);
      expect(both.map((r) => r.status)).toEqual([200, 200]);
      const twice = (await h.api('GET', '/v1/webhooks')).body.items.filter((w: { url: string }) => w.url === `${receiver.url}/twice`);
      expect(twice).toHaveLength(1);
    });

    it('a schedule may launch an action type the same file brings', async () => {
      const next = (await h.api('GET', '/v1/config/export?format=json')).body;
      next.actionTypes.push({
        name: 'close-ticket',
        connector: 'vendor',
        method: 'POST',
        path: '/ok',
        fields: { Reason: { type: 'string' } },
      });
      next.schedules.push({ name: 'hourly', cron: '0 * * * *', launch: { actionType: 'close-ticket', input: { Reason: 'idle' } } });
      const r = await h.api('POST', '/v1/config/import', next);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const id = (await h.api('GET', '/v1/action-types/close-ticket')).body.id;
      expect((await h.api('GET', '/v1/schedules/hourly')).body.launch).toEqual({ actionType: id, input: { Reason: 'idle' } });
    });
  });
