// What a builder does before an action runs: 'Test action' previews and sends; configuration goes
// out and comes back as files, secrets never included, re-import changing nothing.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { request } from 'undici';
import { parse } from 'yaml';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';
import { importReport } from '../helpers/import-report.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await connector(h, { headers: { 'X-Tenant': 'acme' }, rateLimits: [{ limit: 100, per: '1m' }] });
  await actionType(h, {
    name: 'open-ticket',
    path: '/ok?queue={{ Queue }}',
    headers: { 'X-Request': '{{ $actionId }}' },
    body: { format: 'json', template: '{"title": "{{ Title }}", "priority": "{{ Priority }}", "callback": "{{ $callbackUrl }}"}' },
    fields: { Priority: { type: 'integer', default: 3 } },
    retry: { maxRetries: 5, interval: '30s' },
    allocation: { queue: 'service-desk' },
  });
});
afterAll(async () => h.close());

it("'Test action' renders the exact request from sample values without sending it", async () => {
  const before = h.mock.log.length;
  const r = await h.api('POST', '/v1/action-types/open-ticket/test', { input: { Queue: 'hr & it', Title: 'Laptop "X1"', Priority: 2 } });
  expect(r.status).toBe(200);
  expect(r.body.sent).toBe(false);
  expect(r.body.request.url).toBe(`${h.mock.url}/ok?queue=hr%20%26%20it`);
  expect(JSON.parse(r.body.request.body)).toMatchObject({
    title: 'Laptop "X1"',
    priority: 2,
    callback: expect.stringContaining('/v1/callbacks/'),
  });
  expect(r.body.request.headers).toMatchObject({
    'x-tenant': 'acme',
    'content-type': 'application/json',
    'x-request': expect.stringMatching(/^test-/),
  });
  expect(r.body.request.headers.authorization).toBe('(added from the connector’s authentication)');
  expect(h.mock.log.length).toBe(before);
  const bad = await h.api('POST', '/v1/action-types/open-ticket/test', { input: { Queue: 'hr', Priority: 'high' } });
  expect(bad.status).toBe(422);
  expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['input.Priority', 'input.Title']);
});

it("'Test action' with send: true sends once and shows status, headers and body", async () => {
  const r = await h.api('POST', '/v1/action-types/open-ticket/test', { input: { Queue: 'hr', Title: 'x' }, send: true });
  expect(r.body.sent).toBe(true);
  expect(r.body.response.status).toBe(200);
  expect(r.body.response.body).toMatchObject({ ok: true, echo: { title: 'x', priority: 3 } });
  expect(r.body.response.headers['content-type']).toContain('application/json');
  expect((await h.api('GET', '/v1/actions?actionType=open-ticket')).body.items).toHaveLength(0);
});

it('exports configuration as YAML without secrets, and a fresh instance imports it idempotently', async () => {
  const res = await request(`${h.url}/v1/config/export?format=yaml`, { headers: { authorization: `Bearer ${h.adminKey}` } });
  const text = await res.body.text();
  expect(res.statusCode).toBe(200);
  expect(text).not.toContain('secret-token-123');
  const doc = parse(text);
  expect(doc.connectors[0].auth).toEqual({ type: 'bearer', token: { $env: 'CALLOUT_VENDOR_TOKEN' } });
  expect(doc.actionTypes[0]).toMatchObject({ name: 'open-ticket', connector: 'vendor', retry: { maxRetries: 5 } });

  const fresh = await startHarness();
  try {
    const yamlPost = (body: string) =>
      request(`${fresh.url}/v1/config/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fresh.adminKey}`, 'content-type': 'application/yaml' },
        body,
      }).then(async (r) => ({
        status: r.statusCode,
        body: JSON.parse(await r.body.text()),
      }));
    // A key twice is a 422 naming it and its line; the node answers other requests while a file is read.
    const twice = await yamlPost(`${text}connectors: []\n`);
    expect([twice.status, twice.body.errors[0].message]).toEqual([422, expect.stringMatching(/"connectors" is repeated at line \d+/)]);
    // Without the secret in the environment the import is refused, naming the field, and nothing is created.
    delete process.env.CALLOUT_VENDOR_TOKEN;
    const refused = await yamlPost(text);
    expect(refused.status).toBe(422);
    expect(refused.body.errors[0]).toMatchObject({
      field: 'connectors[0].auth.token',
      message: expect.stringContaining('CALLOUT_VENDOR_TOKEN'),
    });
    expect((await fresh.api('GET', '/v1/connectors')).body.items).toHaveLength(0);

    process.env.CALLOUT_VENDOR_TOKEN = 'imported-token-456';
    const first = await yamlPost(text);
    expect(first.status).toBe(200);
    expect(first.body).toEqual(
      importReport({
        connectors: { created: ['vendor'], updated: [], unchanged: [] },
        actionTypes: { created: ['open-ticket'], updated: [], unchanged: [] },
      }),
    );
    const again = await yamlPost(text);
    expect(again.body).toEqual(
      importReport({
        connectors: { created: [], updated: [], unchanged: ['vendor'] },
        actionTypes: { created: [], updated: [], unchanged: ['open-ticket'] },
      }),
    );
    const t = (await fresh.api('GET', '/v1/action-types/open-ticket')).body;
    expect(t.revision).toBe(1);
    // The imported connector authenticates with the secret from the environment.
    const sent = await fresh.api('POST', '/v1/action-types/open-ticket/test', { input: { Queue: 'q', Title: 't' }, send: true });
    expect(sent.body.response.status).toBe(200);
    // A changed file updates what changed.
    doc.actionTypes[0].retry.maxRetries = 7;
    const changed = await fresh.api('POST', '/v1/config/import', doc);
    expect(changed.body.actionTypes.updated).toEqual(['open-ticket']);
    expect((await fresh.api('GET', '/v1/action-types/open-ticket')).body.retry.maxRetries).toBe(7);
  } finally {
    delete process.env.CALLOUT_VENDOR_TOKEN;
    await fresh.close();
  }
});

it('a file sent as a form (curl -d without a content type) is a 415 naming YAML and JSON, not JSON alone', async () => {
  const r = await h.api('POST', '/v1/config/import', 'connectors: []\n', { 'content-type': 'application/x-www-form-urlencoded' });
  expect(r.status).toBe(415);
  expect(r.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'Send the body as application/yaml or application/json' });
  // Other routes read JSON alone, and say so.
  const json = await h.api('POST', '/v1/connectors', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' });
  expect(json.body).toMatchObject({ status: 415, detail: 'Send the body as application/json' });
});

it('a section the file misspells is refused by name, and nothing is imported (it was skipped, the import saying it changed nothing)', async () => {
  const before = (await h.api('GET', '/v1/connectors')).body.items.length;
  const text = 'connectors:\n  - name: typo-conn\n    baseUrl: https://typo.example.com\nactiontypes:\n  - name: x\n';
  const r = await h.api('POST', '/v1/config/import', text, { 'content-type': 'application/yaml' });
  expect(r.status).toBe(422);
  expect(r.body.errors).toEqual([
    {
      field: 'actiontypes',
      message: expect.stringMatching(/^is not a section of a configuration file \(they are version, connectors, actionTypes, /),
    },
  ]);
  expect((await h.api('GET', '/v1/connectors')).body.items.length).toBe(before);
});

it('an import that fails part way (a store error on its last write) changes nothing; run again, it applies whole', async () => {
  const before = (await h.api('GET', '/v1/config/export?format=json')).body;
  const file = {
    connectors: [
      { ...before.connectors[0], baseUrl: `${h.mock.url}/v2`, auth: { type: 'bearer', token: 'rotated-token-789' } },
      { name: 'erp', baseUrl: h.mock.url },
    ],
    actionTypes: [
      { ...before.actionTypes[0], retry: { maxRetries: 2, interval: '30s' } },
      { name: 'post-invoice', connector: 'erp', method: 'POST', path: '/ok' },
      { name: 'fails-to-store', connector: 'erp', method: 'POST', path: '/ok' },
    ],
  };
  // The store refuses the last write, as a full disk or a lost connection would, after the others ran.
  const db = (h.callout.store as unknown as { db: { exec(sql: string): void } }).db;
  db.exec(
    `CREATE TRIGGER refuse_import BEFORE INSERT ON action_types WHEN NEW.name = 'fails-to-store' BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`,
  );
  try {
    const failed = await h.api('POST', '/v1/config/import', file);
    expect(failed.status).toBe(500);
  } finally {
    db.exec('DROP TRIGGER refuse_import');
  }
  // As it was: no connector or action type created, none changed, and this node's view agrees with the store.
  expect((await h.api('GET', '/v1/config/export?format=json')).body).toEqual(before);
  expect((await h.api('GET', '/v1/connectors/erp')).status).toBe(404);
  expect((await h.api('GET', '/v1/action-types/open-ticket')).body.retry.maxRetries).toBe(5);

  const applied = await h.api('POST', '/v1/config/import', file);
  expect(applied.status).toBe(200);
  expect(applied.body).toEqual(
    importReport({
      connectors: { created: ['erp'], updated: ['vendor'], unchanged: [] },
      actionTypes: { created: ['post-invoice', 'fails-to-store'], updated: ['open-ticket'], unchanged: [] },
    }),
  );
  expect((await h.api('GET', '/v1/connectors/vendor')).body.baseUrl).toBe(`${h.mock.url}/v2`);
  expect((await h.api('GET', '/v1/action-types/open-ticket')).body.retry.maxRetries).toBe(2);
  expect((await h.api('GET', '/v1/action-types/post-invoice')).body.connector).toBe((await h.api('GET', '/v1/connectors/erp')).body.id);
});

it('a stored import answers with its report even when a follow-up step on this node fails (the store away a moment)', async () => {
  const before = (await h.api('GET', '/v1/config/export?format=json')).body;
  const file = { connectors: [{ ...before.connectors.find((c: { name: string }) => c.name === 'erp'), timeout: '7s' }], actionTypes: [] };
  const store = h.callout.store;
  const real = store.listConnectorStatus.bind(store);
  // The connector's health is refreshed after the commit: that read fails.
  store.listConnectorStatus = async () => {
    throw Object.assign(new Error('SQLITE_BUSY: database is locked'), { code: 'SQLITE_BUSY' });
  };
  try {
    const r = await h.api('POST', '/v1/config/import', file);
    expect(r.status).toBe(200);
    expect(r.body.connectors.updated).toEqual(['erp']);
  } finally {
    store.listConnectorStatus = real;
  }
  expect((await h.api('GET', '/v1/connectors/erp')).body.timeout).toBe(7000);
});

it('an imported action type may name its connector by id, as the API takes it', async () => {
  const erp = (await h.api('GET', '/v1/connectors/erp')).body;
  const r = await h.api('POST', '/v1/config/import', { actionTypes: [{ name: 'by-id', connector: erp.id, method: 'POST', path: '/ok' }] });
  expect(r.status).toBe(200);
  expect(r.body.actionTypes.created).toEqual(['by-id']);
  expect((await h.api('GET', '/v1/action-types/by-id')).body.connector).toBe(erp.id);
  // Again: unchanged.
  const again = await h.api('POST', '/v1/config/import', {
    actionTypes: [{ name: 'by-id', connector: erp.id, method: 'POST', path: '/ok' }],
  });
  expect(again.body.actionTypes.unchanged).toEqual(['by-id']);
});
