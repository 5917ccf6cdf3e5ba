// Secrets never leave: a known secret given to every kind of connector credential is searched for
// in every API answer, every log line of the server (at debug level), every timeline and the
// database files on disk. It must appear nowhere but in the requests sent to the external system.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startMockServer, type MockServer } from '../../src/mock/server.ts';
import { freePort } from '../helpers/harness.ts';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { startOAuthServer, API_AUDIENCE, type OAuthServer } from '../helpers/oauth-server.ts';

const SECRET = 'Zq7-known-secret-8841';
// An inbound secret is a Standard Webhooks `whsec_` secret; this one's base64 text is looked for too.
const INBOUND_SECRET = `whsec_${Buffer.from(`${SECRET}-inbound-key`).toString('base64')}`;
const KEY = 'secrets-test-admin-key-0123456789';
let mock: MockServer;
let oauth: OAuthServer;
let dataDir: string;
let child: ChildServer;
const answers: string[] = [];

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const r = await request(`${child.url}${path}`, {
    method: method as 'GET',
    headers: { authorization: `Bearer ${KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await r.body.text();
  answers.push(text);
  return text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text;
}

beforeAll(async () => {
  mock = await startMockServer({ callbackDelayMs: 20 });
  oauth = await startOAuthServer();
  dataDir = mkdtempSync(join(tmpdir(), 'callout-secrets-'));
  const port = await freePort();
  child = await startChildServer(
    { CALLOUT_DATA_DIR: dataDir, CALLOUT_ADMIN_KEY: KEY, CALLOUT_ALLOW_PRIVATE_NETWORKS: '1', CALLOUT_LOG_LEVEL: 'debug' },
    port,
  );
});
afterAll(async () => {
  await child.kill('SIGTERM');
  await mock.close();
  await oauth.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('a secret given to any credential appears in no answer, log line, timeline or database file', async () => {
  const connectors = [
    { name: 'basic', baseUrl: mock.url, auth: { type: 'basic', username: 'u', password: SECRET } },
    { name: 'bearer', baseUrl: mock.url, auth: { type: 'bearer', token: SECRET } },
    { name: 'header', baseUrl: mock.url, auth: { type: 'header', headers: { 'X-Api-Key': SECRET } }, inboundSecret: INBOUND_SECRET },
    {
      name: 'refused',
      baseUrl: mock.url,
      auth: {
        type: 'oauth2_client_credentials',
        tokenUrl: oauth.tokenUrl,
        clientId: oauth.postClient.id,
        clientSecret: SECRET,
        audience: API_AUDIENCE,
      },
    },
  ];
  for (const c of connectors) await api('POST', '/v1/connectors', c);
  // Bad input that echoes fields back must not echo the secret either.
  await api('POST', '/v1/connectors', { name: 'bad name!', baseUrl: mock.url, auth: { type: 'bearer', token: SECRET, extra: SECRET } });
  await api('PATCH', '/v1/connectors/bearer', { auth: { type: 'bearer', token: SECRET }, timeout: 'soon' });
  for (const c of connectors) {
    await api('POST', '/v1/action-types', {
      name: `call-${c.name}`,
      connector: c.name,
      path: '/ok',
      body: { format: 'json', template: '{"x": "{{ X }}"}' },
      retry: { maxRetries: 0 },
    });
    await api('POST', `/v1/connectors/${c.name}/test`);
    await api('POST', `/v1/action-types/call-${c.name}/test`, { input: { X: 'a' } });
    await api('POST', `/v1/action-types/call-${c.name}/test`, { input: { X: 'a' }, send: true });
    const a = await api('POST', '/v1/actions', { actionType: `call-${c.name}`, input: { X: 'b' } });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const cur = await api('GET', `/v1/actions/${a.id}`);
      if (cur.state !== 'waiting' || cur.phase === 'throttled' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await api('GET', `/v1/actions/${a.id}/timeline`);
  }
  await api('GET', '/v1/connectors');
  await api('GET', '/v1/actions?limit=100');
  await api('GET', '/v1/config/export?format=yaml');
  await api('GET', '/v1/config/export?format=json');
  await api('GET', '/openapi.json');

  // The external system did receive it (so the test would notice it anywhere else).
  expect(mock.log.length).toBeGreaterThan(0);
  expect(answers.length).toBeGreaterThan(20);
  for (const text of answers) expect(text).not.toContain(SECRET);
  for (const text of answers) expect(text).not.toContain(INBOUND_SECRET.slice(6));
  await child.kill('SIGTERM');
  expect(child.output().length).toBeGreaterThan(0);
  expect(child.output()).not.toContain(SECRET);
  expect(child.output()).not.toContain(INBOUND_SECRET.slice(6));
  // The key that encrypts them was generated beside the data, readable by its owner only.
  expect(statSync(join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
  for (const f of readdirSync(dataDir)) {
    expect(readFileSync(join(dataDir, f)).includes(SECRET), `${f} holds the secret`).toBe(false);
  }
});
