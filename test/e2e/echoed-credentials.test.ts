// Connector credentials echoed back by the external system (its error body repeats the request's
// headers) never reach a timeline, an action's rejected reason or last error, or a test send's answer:
// a real loopback server echoes every request, and every answer of the API is searched.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, launch, startHarness, type Harness } from '../helpers/harness.ts';

const PASSWORD = 'ECHO-PASSWORD-SECRET';
const BASIC = `Basic ${Buffer.from(`svc:${PASSWORD}`).toString('base64')}`;
const API_KEY = 'ECHO-HEADER-KEY-7731';
const BEARER = 'ECHO-BEARER-TOKEN-5512';
const ACCESS_TOKEN = 'ECHO-ACCESS-TOKEN-9090';
const CLIENT_SECRET = 'ECHO-CLIENT-SECRET-4242';
// Credentials a builder put among plain headers rather than in `auth`.
const PLAIN_KEY = 'PLAIN-DEFAULT-KEY-6061';
const PLAIN_COOKIE = 'PLAIN-COOKIE-SID-3131';
const PLAIN_TOKEN = 'PLAIN-PRIVATE-TOKEN-2727';
/** Every form of every secret above that must not show up in what the API answers. */
const FORBIDDEN = [
  PASSWORD,
  BASIC.slice('Basic '.length),
  API_KEY,
  BEARER,
  ACCESS_TOKEN,
  CLIENT_SECRET,
  PLAIN_KEY,
  PLAIN_COOKIE,
  PLAIN_TOKEN,
];

/**
 * The echoing external system: `/echo/<status>` answers that status with the request's headers in
 * the body (and the Authorization one in a response header too); `/token` is an OAuth token endpoint.
 */
interface EchoServer {
  url: string;
  requests: number;
  close(): Promise<void>;
}

async function startEchoServer(): Promise<EchoServer> {
  const state = { requests: 0 };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.requests++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/token') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const ok = form.get('client_secret') === CLIENT_SECRET;
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(JSON.stringify(ok ? { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600 } : { error: 'invalid_client' }));
        return;
      }
      const status = Number(/^\/echo\/(\d{3})$/.exec(path)?.[1] ?? 404);
      res.writeHead(status, {
        'content-type': 'application/json',
        'x-echo-authorization': req.headers.authorization ?? 'none',
      });
      res.end(JSON.stringify({ error: 'echo', ok: false, headers: req.headers }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests() {
      return state.requests;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let h: Harness;
let echo: EchoServer;
beforeAll(async () => {
  h = await startHarness();
  echo = await startEchoServer();
});
afterAll(async () => {
  await h.close();
  await echo.close();
});

/** The API's answers about an action: its view (the output included) and its timeline, as the text a client receives. */
async function shown(id: string): Promise<{ action: any; timeline: any[]; text: string }> {
  const action = await h.api('GET', `/v1/actions/${id}`);
  const timeline = await h.api('GET', `/v1/actions/${id}/timeline`);
  return { action: action.body, timeline: timeline.body.items, text: JSON.stringify([action.body, timeline.body]) };
}

function expectNoSecret(text: string): void {
  for (const secret of FORBIDDEN) expect(text).not.toContain(secret);
}

describe('credentials echoed by the external system are redacted', () => {
  it('basic auth echoed in a 400 body: the timeline excerpt, rejected reason and last error show [redacted]', async () => {
    await h.api('POST', '/v1/connectors', {
      name: 'echo',
      baseUrl: echo.url,
      auth: { type: 'basic', username: 'svc', password: PASSWORD },
    });
    await actionType(h, { connector: 'echo', name: 'echo-400', path: '/echo/400', retry: { maxRetries: 0 } });
    const a = await launch(h, 'echo-400');
    await h.waitFor(a.id, (x) => x.state !== 'waiting' && x.attempts === 1);
    const { action, timeline, text } = await shown(a.id);
    const attempt = timeline.find((e) => e.kind === 'attempt');
    expect(attempt.data.response.status).toBe(400);
    expect(attempt.data.response.body).toContain('"authorization":"Basic [redacted]"');
    expect(action.retry.lastError).toContain('HTTP 400');
    expect(action.retry.lastError).toContain('[redacted]');
    expect(action.rejectedReason).toContain('[redacted]');
    expectNoSecret(text);
  });

  it('a header-auth secret echoed in a 500 body is redacted on every retried attempt', async () => {
    await h.api('POST', '/v1/connectors', {
      name: 'echo-key',
      baseUrl: echo.url,
      auth: { type: 'header', headers: { 'X-Api-Key': API_KEY } },
    });
    await actionType(h, {
      connector: 'echo-key',
      name: 'echo-500',
      path: '/echo/500',
      retry: { maxRetries: 2, interval: '10ms', backoff: 'fixed' },
    });
    const a = await launch(h, 'echo-500');
    const done = await h.waitFor(a.id, (x) => x.state === 'closed');
    expect(done.attempts).toBe(3);
    const { action, timeline, text } = await shown(a.id);
    const attempts = timeline.filter((e) => e.kind === 'attempt');
    expect(attempts).toHaveLength(3);
    for (const at of attempts) expect(at.data.response.body).toContain('"x-api-key":"[redacted]"');
    expect(action.retry.lastError).toContain('"x-api-key":"[redacted]"');
    expectNoSecret(text);
  });

  it('a bearer token echoed in a 400 body, and in a rejected reason mapped from a 2xx body, is redacted', async () => {
    await h.api('POST', '/v1/connectors', { name: 'echo-bearer', baseUrl: echo.url, auth: { type: 'bearer', token: BEARER } });
    await actionType(h, { connector: 'echo-bearer', name: 'echo-bearer-400', path: '/echo/400', retry: { maxRetries: 0 } });
    await actionType(h, {
      connector: 'echo-bearer',
      name: 'echo-bearer-200',
      path: '/echo/200',
      response: { successWhen: 'ok = true', rejectedReason: '"vendor saw " & headers.authorization' },
    });
    const refused = await launch(h, 'echo-bearer-400');
    const mapped = await launch(h, 'echo-bearer-200');
    await h.waitFor(refused.id, (x) => x.state !== 'waiting' && x.attempts === 1);
    const r = await h.waitFor(mapped.id, (x) => x.rejectedReason !== null);
    expect(r.rejectedReason).toBe('vendor saw Bearer [redacted]');
    for (const id of [refused.id, mapped.id]) {
      const { timeline, text } = await shown(id);
      expect(timeline.find((e) => e.kind === 'attempt').data.response.body).toContain('"authorization":"Bearer [redacted]"');
      expectNoSecret(text);
    }
  });

  it('the OAuth access token in use, echoed in a 400 body, is redacted', async () => {
    await h.api('POST', '/v1/connectors', {
      name: 'echo-oauth',
      baseUrl: echo.url,
      auth: { type: 'oauth2_client_credentials', tokenUrl: `${echo.url}/token`, clientId: 'callout', clientSecret: CLIENT_SECRET },
    });
    await actionType(h, { connector: 'echo-oauth', name: 'echo-oauth-400', path: '/echo/400', retry: { maxRetries: 0 } });
    const a = await launch(h, 'echo-oauth-400');
    await h.waitFor(a.id, (x) => x.state !== 'waiting' && x.attempts === 1);
    const { action, timeline, text } = await shown(a.id);
    expect(timeline.find((e) => e.kind === 'attempt').data.response.body).toContain('"authorization":"Bearer [redacted]"');
    expect(action.retry.lastError).toContain('Bearer [redacted]');
    expectNoSecret(text);
  });

  it('credentials among plain headers (a connector default, an action type header) are [redacted] in the recorded request and in echoes', async () => {
    await h.api('POST', '/v1/connectors', {
      name: 'echo-plain',
      baseUrl: echo.url,
      headers: { 'X-Api-Key': PLAIN_KEY, Cookie: `sid=${PLAIN_COOKIE}`, 'X-Tenant': 'acme' },
    });
    await actionType(h, {
      connector: 'echo-plain',
      name: 'echo-plain-400',
      path: '/echo/400',
      headers: { 'Private-Token': PLAIN_TOKEN },
      retry: { maxRetries: 0 },
    });
    const a = await launch(h, 'echo-plain-400');
    await h.waitFor(a.id, (x) => x.state !== 'waiting' && x.attempts === 1);
    const { timeline, text } = await shown(a.id);
    const attempt = timeline.find((e) => e.kind === 'attempt');
    // The record keeps which headers were sent, and the values that are not credentials.
    expect(attempt.data.request.headers).toMatchObject({
      'x-api-key': '[redacted]',
      cookie: '[redacted]',
      'private-token': '[redacted]',
      'x-tenant': 'acme',
      'idempotency-key': expect.stringMatching(/.{8,}/),
    });
    expect(attempt.data.response.body).toContain('"x-api-key":"[redacted]"');
    expectNoSecret(text);
    // Reading the configuration: builders see what they wrote; operators and integration keys do not.
    for (const role of ['operator', 'integration']) {
      const key = (await h.api('POST', '/v1/api-keys', { name: `plain-${role}`, roles: [role] })).body.key as string;
      const as = { authorization: `Bearer ${key}` };
      const c = await h.api('GET', '/v1/connectors/echo-plain', undefined, as);
      expect(c.status).toBe(200);
      expect(c.body.headers).toEqual({ 'X-Api-Key': '[redacted]', Cookie: '[redacted]', 'X-Tenant': 'acme' });
      const listed = (await h.api('GET', '/v1/connectors', undefined, as)).body.items.find(
        (x: { name: string }) => x.name === 'echo-plain',
      );
      expect(listed.headers['X-Api-Key']).toBe('[redacted]');
      const t = await h.api('GET', '/v1/action-types/echo-plain-400', undefined, as);
      expect(t.body.headers).toEqual({ 'Private-Token': '[redacted]' });
      expectNoSecret(JSON.stringify([c.body, listed, t.body]));
    }
    expect((await h.api('GET', '/v1/connectors/echo-plain')).body.headers['X-Api-Key']).toBe(PLAIN_KEY);
    // A setting among credential-named headers (a number, a scheme's name) is hidden in the record, but a
    // mapping still reads the answer as the system sent it.
    await actionType(h, {
      connector: 'echo-plain',
      name: 'echo-plain-200',
      path: '/echo/200',
      headers: { 'X-Session-Ttl': '3600', 'X-Auth-Mode': 'hmac-sha256-with-nonce' },
      response: { output: '{ "ttl": headers.`x-session-ttl`, "mode": headers.`x-auth-mode` }' },
    });
    const mapped = await launch(h, 'echo-plain-200');
    const done = await h.waitFor(mapped.id, (x) => x.state === 'closed');
    expect(done.output).toEqual({ ttl: '3600', mode: 'hmac-sha256-with-nonce' });
    const test = await h.api('POST', '/v1/action-types/echo-plain-400/test', { send: true });
    expect(test.body.request.headers).toMatchObject({ 'x-api-key': '[redacted]', 'private-token': '[redacted]', 'x-tenant': 'acme' });
    expectNoSecret(JSON.stringify(test.body));
  });

  it("'Test action' with send: true shows the echoed credentials redacted in the answer's body and headers", async () => {
    for (const [connector, name] of [
      ['echo', 'echo-test-basic'],
      ['echo-key', 'echo-test-key'],
      ['echo-oauth', 'echo-test-oauth'],
    ] as const) {
      await actionType(h, { connector, name, path: '/echo/400' });
      const r = await h.api('POST', `/v1/action-types/${name}/test`, { send: true });
      expect(r.status).toBe(200);
      expect(r.body.sent).toBe(true);
      expect(r.body.response.status).toBe(400);
      expect(r.body.response.body.error).toBe('echo');
      expect(JSON.stringify(r.body.response)).toContain('[redacted]');
      expectNoSecret(JSON.stringify(r.body));
    }
  });
});
