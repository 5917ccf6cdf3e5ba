// Where outbound calls may go: only under the connector's base URL, and never to loopback or private
// addresses unless the deployment allows them (this harness does not), checked when a connector is
// saved and again when a request connects, so a DNS name cannot smuggle a call inside.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { lookup } from 'node:dns/promises';
import { actionType, startHarness, type Harness } from '../helpers/harness.ts';
import { isPrivateAddress, resolveUnderBase, DestinationRefusedError } from '../../src/connectors/destination.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ callout: { allowPrivateNetworks: false } });
});
afterAll(async () => h.close());

it('refuses a loopback or private base URL when the deployment does not allow private networks', async () => {
  for (const baseUrl of [
    h.mock.url,
    'http://localhost:8080',
    'http://10.1.2.3/api',
    'http://169.254.169.254/latest',
    'http://[::1]:9000',
  ]) {
    const r = await h.api('POST', '/v1/connectors', { name: 'internal', baseUrl });
    expect(r.status, baseUrl).toBe(422);
    expect(r.body.errors[0]).toMatchObject({ field: 'baseUrl', message: expect.stringContaining('CALLOUT_ALLOW_PRIVATE_NETWORKS') });
  }
  expect((await h.api('GET', '/v1/connectors')).body.items).toHaveLength(0);
});

it('refuses at connect time a host name that resolves to a loopback address, and sends nothing', async () => {
  const name = hostname();
  const { address } = await lookup(name);
  expect(isPrivateAddress(address), `${name} resolves to ${address} on this machine`).toBe(true);
  const port = new URL(h.mock.url).port;
  const c = await h.api('POST', '/v1/connectors', { name: 'sneaky', baseUrl: `http://${name}:${port}` });
  expect(c.status).toBe(201);
  await actionType(h, { connector: 'sneaky', name: 'sneaky-call', path: '/ok' });
  const a = (await h.api('POST', '/v1/actions', { actionType: 'sneaky-call', input: {} })).body;
  const r = await h.waitFor(a.id, (x) => x.state !== 'waiting');
  expect(r).toMatchObject({ state: 'todo', reason: 'request_rejected', rejectedReason: expect.stringContaining('private or loopback') });
  expect(h.mock.log).toHaveLength(0);
});

it('keeps rendered paths under the base URL', () => {
  expect(resolveUnderBase('https://desk.example.com/api', '/tickets/7?x=1').toString()).toBe('https://desk.example.com/api/tickets/7?x=1');
  expect(resolveUnderBase('https://desk.example.com/api', 'https://desk.example.com/api/v2/x').pathname).toBe('/api/v2/x');
  // A scheme-relative path stays a path under the base, on the connector's host.
  expect(resolveUnderBase('https://desk.example.com/api', '//evil.example.com/x').host).toBe('desk.example.com');
  for (const path of ['/../admin', 'https://evil.example.com/api/x', 'https://desk.example.com/apix', 'http://desk.example.com/api/x']) {
    expect(() => resolveUnderBase('https://desk.example.com/api', path), path).toThrow(DestinationRefusedError);
  }
});
