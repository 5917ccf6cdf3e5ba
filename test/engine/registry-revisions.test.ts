// The registry (this node's cache of connectors and action types) never goes back to an older
// revision: a request that read a row before another request's change landed must not bring the old
// document back (an import's follow-up steps, a PATCH racing another).

import { expect, it } from 'vitest';
import { actionType, connector, startHarness } from '../helpers/harness.ts';

it('a row read before a later change, cached afterwards, leaves the later revision in place', async () => {
  const h = await startHarness({ start: false });
  try {
    await connector(h);
    await actionType(h, { name: 'ticket', path: '/ok', retry: { maxRetries: 2, interval: '30s' } });
    const { store, registry } = { store: h.callout.store, registry: h.callout.registry };
    const old = (await store.getConfig('action_type', 'ticket'))!;
    const oldConnector = (await store.getConfig('connector', 'vendor'))!;
    expect((await h.api('PATCH', '/v1/action-types/ticket', { retry: { maxRetries: 7 } })).status).toBe(200);
    expect((await h.api('PATCH', '/v1/connectors/vendor', { baseUrl: `${h.mock.url}/v2` })).status).toBe(200);
    // The old rows arrive late.
    expect(registry.putActionType(old).compiled.revision).toBe(2);
    expect(registry.putConnector(oldConnector).revision).toBe(2);
    expect((await registry.actionType('ticket')).compiled.spec.retry.maxRetries).toBe(7);
    expect((await registry.connector('vendor')).spec.baseUrl).toBe(`${h.mock.url}/v2`);
  } finally {
    await h.close();
  }
});
