// A request the HTTP client refuses to build (a header value it cannot carry) is not a failed
// connection: it must not count against the connector's circuit breaker, which would hold every
// other action of the connector (the engine turns it To Do / Invalid Input).

import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { startHarness } from '../helpers/harness.ts';
import { Sender } from '../../src/engine/sender.ts';
import { connectorEntry, startResourceServer, type ResourceServer } from '../helpers/oauth-server.ts';

let api: ResourceServer;
beforeAll(async () => {
  api = await startResourceServer(async () => true);
});
afterAll(() => api.close());

it('a header value outside Latin-1 is "unsendable", not a connection error, and nothing reaches the server', async () => {
  const s = new Sender({ allowPrivateNetworks: true });
  try {
    const c = connectorEntry({ type: 'none' }, api.url, 'con_x');
    const r = await s.send(c, { method: 'GET', url: new URL(`${api.url}/orders`), headers: { 'x-ref': '\u0100' }, body: undefined });
    expect(r).toMatchObject({ kind: 'unsendable', message: expect.stringContaining('x-ref') });
    const ok = await s.send(c, { method: 'GET', url: new URL(`${api.url}/orders`), headers: { 'x-ref': 'café' }, body: undefined });
    expect(ok.kind).toBe('answered');
  } finally {
    await s.close();
  }
});

it("credentials HTTP cannot carry are the connector's problem (needs attention), not the action's input", async () => {
  const s = new Sender({ allowPrivateNetworks: true });
  try {
    // As stored before tokens were checked when saved.
    const c = connectorEntry({ type: 'bearer', token: 'tok' }, api.url, 'con_y');
    c.spec = { ...c.spec, auth: { type: 'bearer', token: 'tok\u0100' } };
    const r = await s.send(c, { method: 'GET', url: new URL(`${api.url}/orders`), headers: {}, body: undefined });
    expect(r).toMatchObject({ kind: 'credentials_refused', message: expect.stringContaining('authorization header') });
    // The token itself is not in the message.
    expect(JSON.stringify(r)).not.toContain('tok');
  } finally {
    await s.close();
  }
});

it('a bearer token or header-auth value HTTP cannot carry is refused when saved, without quoting it', async () => {
  const h = await startHarness({ start: false });
  onTestFinished(() => h.close());
  const bearer = await h.api('POST', '/v1/connectors', {
    name: 'b',
    baseUrl: h.mock.url,
    auth: { type: 'bearer', token: 'secret\u0100x' },
  });
  expect([bearer.status, bearer.body.errors]).toEqual([422, [{ field: 'auth.token', message: expect.stringContaining('cannot carry') }]]);
  const header = await h.api('POST', '/v1/connectors', {
    name: 'h',
    baseUrl: h.mock.url,
    auth: { type: 'header', headers: { 'X-Api-Key': 'secret\u2713x' } },
  });
  expect(header.status).toBe(422);
  expect(header.body.errors).toContainEqual({ field: 'auth.headers.X-Api-Key', message: expect.stringContaining('cannot carry') });
  expect(JSON.stringify([bearer.body, header.body])).not.toMatch(/secret|\u0100|\u2713/);
});
