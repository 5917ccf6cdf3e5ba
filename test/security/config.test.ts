// Issue 9, configuration: `$env` resolves only where a secret goes; header names and values that
// could break or redirect a request are refused; a connector with header auth survives its own export.
// (Secrets bound to their destination: secret-binding.test.ts.)

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';
import { startRecorder, type Recorder } from '../helpers/recorder.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await connector(h);
});
afterAll(async () => h.close());

const fields = (body: { errors?: Array<{ field: string }> }): string[] => (body.errors ?? []).map((e) => e.field).sort();

describe('$env in an imported file', () => {
  const SERVER_SECRET = 'server-environment-value-0123456789';
  beforeAll(() => {
    process.env.CALLOUT_TEST_SERVER_ONLY = SERVER_SECRET;
  });
  afterAll(() => {
    delete process.env.CALLOUT_TEST_SERVER_ONLY;
  });

  const ref = { $env: 'CALLOUT_TEST_SERVER_ONLY' };
  const file = (c: Record<string, unknown>, t?: Record<string, unknown>) => ({
    connectors: [{ name: 'reader', baseUrl: h.mock.url, auth: { type: 'bearer', token: 'plain-token' }, ...c }],
    actionTypes: t ? [{ name: 'reader-call', connector: 'reader', ...t }] : [],
  });

  it.each([
    ['description', { description: ref }, 'connectors[0].description'],
    ['a default header value', { headers: { 'X-Leak': ref } }, 'connectors[0].headers.X-Leak'],
    ['the base URL', { baseUrl: ref }, 'connectors[0].baseUrl'],
    ['a non-secret auth field', { auth: { type: 'basic', username: ref, password: 'pw' } }, 'connectors[0].auth.username'],
    ['a rate limit', { rateLimits: [{ limit: 5, per: ref }] }, 'connectors[0].rateLimits[0].per'],
  ])('in %s is a 422 naming the field, resolves nothing and writes nothing', async (_what, c, field) => {
    const r = await h.api('POST', '/v1/config/import', file(c));
    expect(r.status).toBe(422);
    expect(r.body.errors).toContainEqual({ field, message: '`$env` references are only allowed in secret fields' });
    expect(JSON.stringify(r.body)).not.toContain(SERVER_SECRET);
    const list = (await h.api('GET', '/v1/connectors')).body.items;
    expect(list.map((x: { name: string }) => x.name)).toEqual(['vendor']);
    expect(JSON.stringify(list)).not.toContain(SERVER_SECRET);
  });

  it('in an action type (path, header, body) is a 422 naming each field, and the valid connector beside it is not written', async () => {
    const r = await h.api(
      'POST',
      '/v1/config/import',
      file({}, { path: ref, headers: { 'X-Leak': ref }, body: { format: 'json', template: { leak: ref } } }),
    );
    expect(r.status).toBe(422);
    expect(fields(r.body)).toEqual(['actionTypes[0].body.template.leak', 'actionTypes[0].headers.X-Leak', 'actionTypes[0].path']);
    expect(JSON.stringify(r.body)).not.toContain(SERVER_SECRET);
    expect((await h.api('GET', '/v1/connectors/reader')).status).toBe(404);
    expect((await h.api('GET', '/v1/action-types/reader-call')).status).toBe(404);
  });

  it("in a secret field naming one of Callout's own settings is refused", async () => {
    for (const name of ['CALLOUT_ADMIN_KEY', 'CALLOUT_SECRET_KEY', 'DATABASE_URL']) {
      const r = await h.api('POST', '/v1/config/import', file({ auth: { type: 'bearer', token: { $env: name } } }));
      expect(r.status).toBe(422);
      expect(r.body.errors).toEqual([{ field: 'connectors[0].auth.token', message: expect.stringContaining(name) }]);
    }
    expect((await h.api('GET', '/v1/connectors/reader')).status).toBe(404);
  });

  it('in the secret fields resolves there, and nowhere else', async () => {
    // Each from the variable the export names for it (review-env-scope.test.ts).
    process.env.CALLOUT_READER_TOKEN = SERVER_SECRET;
    process.env.CALLOUT_READER_INBOUND_SECRET = `whsec_${Buffer.from('inbound-secret-0123456789-key').toString('base64')}`;
    try {
      const r = await h.api(
        'POST',
        '/v1/config/import',
        file({
          description: 'a plain { "$env": "X" } string is just text',
          auth: { type: 'bearer', token: { $env: 'CALLOUT_READER_TOKEN' } },
          inboundSecret: { $env: 'CALLOUT_READER_INBOUND_SECRET' },
        }),
      );
      expect(r.status).toBe(200);
      const c = (await h.api('GET', '/v1/connectors/reader')).body;
      expect(c.description).toBe('a plain { "$env": "X" } string is just text');
      expect(c.secretsSet.sort()).toEqual(['auth.token', 'inboundSecret']);
      expect(JSON.stringify(c)).not.toContain(SERVER_SECRET);
    } finally {
      delete process.env.CALLOUT_READER_TOKEN;
      delete process.env.CALLOUT_READER_INBOUND_SECRET;
    }
  });
});

describe('header names and values', () => {
  const bad: Array<[string, string, string]> = [
    ['Host', 'evil.example', 'framing or routing'],
    ['host', 'evil.example', 'framing or routing'],
    ['Content-Length', '0', 'framing or routing'],
    ['Transfer-Encoding', 'chunked', 'framing or routing'],
    ['Connection', 'close', 'framing or routing'],
    ['Keep-Alive', 'timeout=5', 'framing or routing'],
    ['Upgrade', 'h2c', 'framing or routing'],
    ['TE', 'trailers', 'framing or routing'],
    ['Trailer', 'X-Sum', 'framing or routing'],
    ['Expect', '100-continue', 'framing or routing'],
    ['Proxy-Authorization', 'Basic eA==', 'framing or routing'],
    ['X Bad', 'v', 'not a valid header name'],
    ['X-Colon:', 'v', 'not a valid header name'],
    ['X-Ünicode', 'v', 'not a valid header name'],
    ['X-Split', 'a\r\nX-Injected: 1', 'line break (CR or LF) or NUL'],
    ['X-Lf', 'a\nb', 'line break (CR or LF) or NUL'],
    ['X-Nul', 'a\u0000b', 'line break (CR or LF) or NUL'],
    // What HTTP cannot carry at all (undici refused it at every send, counted against the circuit breaker).
    ['X-Wide', 'caf\u0100', 'cannot hold "\u0100" (U+0100, at position 3)'],
    ['X-Emoji', 'hi \u{1F600}', 'U+1F600'],
    ['X-Del', 'a\u007fb', 'a control character (U+007F'],
  ];

  it.each(bad)('connector headers: %j is refused, naming headers.<name>', async (name, value, why) => {
    const r = await h.api('POST', '/v1/connectors', { name: 'bad-headers', baseUrl: h.mock.url, headers: { [name]: value } });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([{ field: `headers.${name}`, message: expect.stringContaining(why) }]);
    const patched = await h.api('PATCH', '/v1/connectors/vendor', { headers: { [name]: value } });
    expect(patched.status).toBe(422);
    expect(fields(patched.body)).toEqual([`headers.${name}`]);
  });

  it('a schema error under a key holding "/" or "~" names the key as sent, not as its JSON pointer escape', async () => {
    const r = await h.api('POST', '/v1/connectors', { name: 'bad-type', baseUrl: h.mock.url, headers: { 'X/Y~Z': 5 } });
    expect(r.status).toBe(422);
    expect(fields(r.body)).toEqual(['headers.X/Y~Z']);
  });

  it.each(bad)('header auth: %j is refused, naming auth.headers.<name>', async (name, value) => {
    const r = await h.api('POST', '/v1/connectors', {
      name: 'bad-auth-headers',
      baseUrl: h.mock.url,
      auth: { type: 'header', headers: { 'X-Api-Key': 'k', [name]: value } },
    });
    expect(r.status).toBe(422);
    expect(fields(r.body)).toEqual([`auth.headers.${name}`]);
  });

  it.each(bad)('action type headers: %j is refused, naming headers.<name>', async (name, value) => {
    const r = await h.api('POST', '/v1/action-types', { name: 'bad-type-headers', connector: 'vendor', headers: { [name]: value } });
    expect(r.status).toBe(422);
    expect(fields(r.body)).toEqual([`headers.${name}`]);
  });

  it('refused headers change nothing, and ordinary ones (with tokens and tabs) are accepted', async () => {
    const before = (await h.api('GET', '/v1/connectors/vendor')).body;
    expect((await h.api('PATCH', '/v1/connectors/vendor', { headers: { Host: 'x' }, description: 'changed' })).status).toBe(422);
    expect((await h.api('GET', '/v1/connectors/vendor')).body).toEqual(before);
    const ok = await h.api('POST', '/v1/action-types', {
      name: 'good-headers',
      connector: 'vendor',
      headers: { "X-Odd!#$%&'*+.^_`|~": 'a\tb', 'X-Request': '{{ $actionId }}', Authorization: 'Token {{ Key }}' },
    });
    expect(ok.status).toBe(201);
  });

  it('an import with a refused header names it and writes nothing', async () => {
    const r = await h.api('POST', '/v1/config/import', {
      connectors: [{ name: 'imported-bad', baseUrl: h.mock.url, headers: { 'Transfer-Encoding': 'chunked' } }],
      actionTypes: [{ name: 'imported-bad-type', connector: 'vendor', headers: { 'X-A': 'x\r\ny' } }],
    });
    expect(r.status).toBe(422);
    expect(fields(r.body)).toEqual(['actionTypes[0].headers.X-A', 'connectors[0].headers.Transfer-Encoding']);
    expect((await h.api('GET', '/v1/connectors/imported-bad')).status).toBe(404);
  });
});

describe('header auth and export', () => {
  let api: Recorder;
  beforeAll(async () => {
    api = await startRecorder();
  });
  afterAll(async () => api.close());

  it('a connector with header auth is imported from its own export, each header value from its own variable', async () => {
    const created = await h.api('POST', '/v1/connectors', {
      name: 'keyed',
      baseUrl: api.url,
      auth: { type: 'header', headers: { 'X-Api-Key': 'key-value-123', 'X-Tenant-Secret': 'tenant-456' } },
    });
    expect(created.status).toBe(201);
    const doc = (await h.api('GET', '/v1/config/export?format=json')).body;
    const exported = doc.connectors.find((c: { name: string }) => c.name === 'keyed');
    expect(exported.auth).toEqual({
      type: 'header',
      headers: {
        'X-Api-Key': { $env: 'CALLOUT_KEYED_HEADER_X_API_KEY' },
        'X-Tenant-Secret': { $env: 'CALLOUT_KEYED_HEADER_X_TENANT_SECRET' },
      },
    });
    expect(JSON.stringify(doc)).not.toContain('key-value-123');

    const fresh = await startHarness();
    try {
      const only = { connectors: [exported], actionTypes: [] };
      const missing = await fresh.api('POST', '/v1/config/import', only);
      expect(missing.status).toBe(422);
      expect(fields(missing.body)).toEqual(['connectors[0].auth.headers.X-Api-Key', 'connectors[0].auth.headers.X-Tenant-Secret']);

      process.env.CALLOUT_KEYED_HEADER_X_API_KEY = 'fresh-key-789';
      process.env.CALLOUT_KEYED_HEADER_X_TENANT_SECRET = 'fresh-tenant-012';
      const first = await fresh.api('POST', '/v1/config/import', only);
      expect(first.status).toBe(200);
      expect(first.body.connectors.created).toEqual(['keyed']);
      expect((await fresh.api('POST', '/v1/config/import', only)).body.connectors.unchanged).toEqual(['keyed']);
      // Unset variables on an existing connector keep the stored values.
      delete process.env.CALLOUT_KEYED_HEADER_X_API_KEY;
      expect((await fresh.api('POST', '/v1/config/import', only)).body.connectors.unchanged).toEqual(['keyed']);
      await fresh.api('POST', '/v1/connectors/keyed/test');
      const last = api.seen[api.seen.length - 1]!;
      expect(last.headers['x-api-key']).toBe('fresh-key-789');
      expect(last.headers['x-tenant-secret']).toBe('fresh-tenant-012');
    } finally {
      delete process.env.CALLOUT_KEYED_HEADER_X_API_KEY;
      delete process.env.CALLOUT_KEYED_HEADER_X_TENANT_SECRET;
      await fresh.close();
    }
  });

  it('a whole auth.headers given as one reference is refused with the form to use', async () => {
    const r = await h.api('POST', '/v1/config/import', {
      connectors: [{ name: 'one-ref', baseUrl: api.url, auth: { type: 'header', headers: { $env: 'CALLOUT_X' } } }],
    });
    expect(r.status).toBe(422);
    expect(r.body.errors).toContainEqual({
      field: 'connectors[0].auth.headers',
      message: expect.stringContaining('one reference per header'),
    });
  });
});

it('an action type header template is accepted and sent (the header check leaves tokens alone)', async () => {
  await actionType(h, { name: 'echo-header', path: '/ok', headers: { 'X-Request': 'r-{{ $actionId }}' } });
  const r = await h.api('POST', '/v1/action-types/echo-header/test', { input: {} });
  expect(r.status).toBe(200);
  expect(r.body.request.headers['x-request']).toMatch(/^r-test-/);
});
