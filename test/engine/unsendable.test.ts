// A request the HTTP client refuses to build (a header value it cannot carry) is not a failed
// connection: it must not count against the connector's circuit breaker, which would hold every
// other action of the connector (the engine turns it To Do / Invalid Input).

import { afterAll, beforeAll, expect, it } from 'vitest';
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
