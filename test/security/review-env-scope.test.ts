// Review: `$env` in an imported file read any CALLOUT_ variable, and the import is open to builders. A
// builder imported a connector aimed at their own host with `token: {"$env": "CALLOUT_VENDOR_TOKEN"}`
// (another connector's secret, kept in the environment as `callout export` names it) or
// CALLOUT_LOG_LEVEL, then pressed 'Test connection' and read the value off the request. Now a
// reference may only name the variable the export writes for that connector and field, and only
// `npx callout import` or an admin key reads the environment; a builder's reference keeps an existing
// connector's stored secret and is refused anywhere else.

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { actionType, startHarness, type Harness } from '../helpers/harness.ts';
import { startRecorder, type Recorder } from '../helpers/recorder.ts';
import { parseConfigText } from '../../src/config-files/yaml-reader.ts';
import { importReport } from '../helpers/import-report.ts';

const VENDOR_SECRET = 'vendor-token-kept-in-env-0123456789';
const STORED = 'vendor-token-stored-4567';
const LOG_LEVEL = 'warn';
const SET = { CALLOUT_VENDOR_TOKEN: VENDOR_SECRET, CALLOUT_LOG_LEVEL: LOG_LEVEL, CALLOUT_EXFIL_TOKEN: 'exfil-own-variable-0123' };
const saved: Record<string, string | undefined> = {};

let h: Harness;
let vendor: Recorder;
let thief: Recorder;
let builder: Record<string, string>;
beforeAll(async () => {
  for (const [k, v] of Object.entries(SET)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  h = await startHarness();
  vendor = await startRecorder();
  thief = await startRecorder();
  const created = await h.api('POST', '/v1/connectors', { name: 'vendor', baseUrl: vendor.url, auth: { type: 'bearer', token: STORED } });
  expect(created.status).toBe(201);
  await actionType(h, { name: 'ping', path: '/ping' });
  builder = { authorization: `Bearer ${(await h.callout.apiKeys.create({ name: 'builder', roles: ['builder'] })).key}` };
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await h.close();
  await vendor.close();
  await thief.close();
});
// Each test starts with a silent thief and must end with one.
beforeEach(() => {
  thief.seen.length = 0;
});
afterEach(() => {
  expect(thief.seen).toEqual([]);
});

const asBuilder = (body: unknown) => h.api('POST', '/v1/config/import', body, builder);
const bearer = (name: string, token: unknown) => ({ name, baseUrl: thief.url, auth: { type: 'bearer', token } });
const headerAuth = (name: string, value: unknown) => ({
  name,
  baseUrl: thief.url,
  auth: { type: 'header', headers: { 'X-Api-Key': value } },
});
const names = async (): Promise<string[]> => (await h.api('GET', '/v1/connectors')).body.items.map((c: { name: string }) => c.name);

/** 'Test connection' on what the import would have made: the thief must hear nothing. */
async function tryToSend(name: string): Promise<void> {
  await h.api('POST', `/v1/connectors/${name}/test`, undefined, builder);
  await h.api('POST', '/v1/actions', { actionType: `${name}-call`, input: {} }, builder);
  await new Promise((r) => setTimeout(r, 200));
}

describe('over HTTP as a builder', () => {
  const AUTH = {
    'bearer token': { make: bearer, field: 'connectors[0].auth.token', allowed: 'CALLOUT_EXFIL_TOKEN' },
    'header value': { make: headerAuth, field: 'connectors[0].auth.headers.X-Api-Key', allowed: 'CALLOUT_EXFIL_HEADER_X_API_KEY' },
  };
  it.each([
    ['bearer token', 'CALLOUT_VENDOR_TOKEN'],
    ['bearer token', 'CALLOUT_LOG_LEVEL'],
    ['header value', 'CALLOUT_VENDOR_TOKEN'],
    ['header value', 'CALLOUT_LOG_LEVEL'],
  ] as const)(
    'a %s naming %s (not its own variable) is a 422 naming the field and the one allowed; nothing is created or sent',
    async (kind, variable) => {
      const { make, field, allowed } = AUTH[kind];
      const c = make('exfil', { $env: variable });
      // A valid connector and action type beside it: the import is all or nothing.
      const r = await asBuilder({
        connectors: [c, { name: 'harmless', baseUrl: vendor.url, auth: { type: 'none' } }],
        actionTypes: [{ name: 'exfil-call', connector: 'exfil', method: 'POST', path: '/x' }],
      });
      expect(r.status).toBe(422);
      expect(r.body.errors).toEqual([{ field, message: expect.stringContaining(allowed) }]);
      expect(JSON.stringify(r.body)).not.toContain(VENDOR_SECRET);
      expect(await names()).toEqual(['vendor']);
      expect((await h.api('GET', '/v1/action-types/exfil-call')).status).toBe(404);
      await tryToSend('exfil');
    },
  );

  it("the connector's own variable is not read either: a new connector is refused, naming the CLI and admin keys", async () => {
    const r = await asBuilder({ connectors: [bearer('exfil', { $env: 'CALLOUT_EXFIL_TOKEN' })] });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([{ field: 'connectors[0].auth.token', message: expect.stringMatching(/callout import.*admin key/) }]);
    expect(await names()).toEqual(['vendor']);
    await tryToSend('exfil');
  });

  it("an existing connector's own variable cannot move it: its stored secret must be sent again for a new baseUrl", async () => {
    const r = await asBuilder({ connectors: [bearer('vendor', { $env: 'CALLOUT_VENDOR_TOKEN' })] });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([{ field: 'connectors[0].auth.token', message: expect.stringContaining('must be sent again') }]);
    expect((await h.api('GET', '/v1/connectors/vendor')).body).toMatchObject({ baseUrl: vendor.url, revision: 1 });
    await tryToSend('vendor');
    expect(vendor.everything()).not.toContain(VENDOR_SECRET);
  });

  it('its own export imports again: references keep the stored secrets, and the change is made', async () => {
    const exported = await h.api('GET', '/v1/config/export?format=json', undefined, builder);
    expect(exported.body.connectors[0].auth).toEqual({ type: 'bearer', token: { $env: 'CALLOUT_VENDOR_TOKEN' } });
    exported.body.actionTypes[0].path = '/ping-changed';
    const r = await asBuilder(exported.body);
    expect(r.status).toBe(200);
    expect(r.body).toEqual(
      importReport({
        connectors: { created: [], updated: [], unchanged: ['vendor'] },
        actionTypes: { created: [], updated: ['ping'], unchanged: [] },
      }),
    );
    const before = vendor.seen.length;
    await h.api('POST', '/v1/connectors/vendor/test', undefined, builder);
    expect(vendor.seen.slice(before).map((s) => s.headers.authorization)).toContain(`Bearer ${STORED}`);
    expect(vendor.everything()).not.toContain(VENDOR_SECRET);
  });
});

describe('with an admin key or the CLI', () => {
  it.each(['CALLOUT_VENDOR_TOKEN', 'CALLOUT_LOG_LEVEL'])('an admin naming %s for connector exfil is refused the same way', async (name) => {
    const r = await h.api('POST', '/v1/config/import', { connectors: [bearer('exfil', { $env: name })] });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([{ field: 'connectors[0].auth.token', message: expect.stringContaining('CALLOUT_EXFIL_TOKEN') }]);
    expect(await names()).toEqual(['vendor']);
    await tryToSend('exfil');
  });

  it('round trip: the export, the secret in the variable it names, and the import the CLI runs', async () => {
    const res = await h.api('GET', '/v1/config/export?format=yaml');
    expect(res.body).toContain('$env: CALLOUT_VENDOR_TOKEN');
    expect(res.body).not.toContain(STORED);
    const fresh = await startHarness();
    try {
      // `npx callout import <file>` is this call, reading the environment its owner set.
      const report = await fresh.callout.configFiles.import(await parseConfigText(res.body as string));
      expect(report).toEqual(
        importReport({
          connectors: { created: ['vendor'], updated: [], unchanged: [] },
          actionTypes: { created: ['ping'], updated: [], unchanged: [] },
        }),
      );
      const before = vendor.seen.length;
      await fresh.api('POST', '/v1/connectors/vendor/test');
      expect(vendor.seen.slice(before).map((s) => s.headers.authorization)).toContain(`Bearer ${VENDOR_SECRET}`);
      // Over HTTP an admin key reads the same variable; the file is already in place.
      const again = await fresh.api('POST', '/v1/config/import', res.body, { 'content-type': 'application/yaml' });
      expect(again.status).toBe(200);
      expect(again.body.connectors.unchanged).toEqual(['vendor']);
    } finally {
      await fresh.close();
    }
  });
});

it('a file naming a connector twice is a 422 and creates neither (the import is all or nothing)', async () => {
  const c = { name: 'twice', baseUrl: vendor.url, auth: { type: 'none' } };
  const r = await h.api('POST', '/v1/config/import', { connectors: [c, { ...c, description: 'again' }] });
  expect(r.status).toBe(422);
  expect(r.body.errors).toEqual([{ field: 'connectors[1].name', message: expect.stringContaining('connectors[0]') }]);
  expect(await names()).toEqual(['vendor']);
});
