// SSRF: with private networks off, no spelling of a loopback, private or special address gets a
// request out, at save (base URL, token URL), at connect time (literals, DNS names, the connected
// socket) and end to end (engine, Test action, Test connection, token endpoint) against a real
// loopback server that must see nothing. Public addresses in the same spellings must pass.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { lookup as dnsLookup } from 'node:dns';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileConnector } from '../../src/connectors/connector.ts';
import { DestinationRefusedError, isLocalHostName } from '../../src/connectors/destination.ts';
import { outboundConnector } from '../../src/connectors/guarded-connect.ts';
import { closeTokenClients, requestToken } from '../../src/connectors/auth/token-client.ts';
import { ValidationError } from '../../src/errors.ts';
import { Callout } from '../../src/callout.ts';
import { createLogger } from '../../src/logger.ts';

/** Host as written in a URL; `routes` when it reaches this machine, so the listener below would see it. */
interface Row {
  host: string;
  private: boolean;
  what: string;
  routes?: boolean;
}

const PRIVATE: Row[] = [
  { host: '127.0.0.1', what: 'IPv4 loopback', routes: true },
  { host: '127.0.0.2', what: 'loopback /8', routes: true },
  { host: '0x7f.1', what: 'hex IPv4 (URL parser: 127.0.0.1)', routes: true },
  { host: '2130706433', what: 'decimal IPv4', routes: true },
  { host: '0177.0.0.1', what: 'octal IPv4', routes: true },
  { host: '127.1', what: 'short IPv4', routes: true },
  { host: '127.0.0.1.', what: 'IPv4 with a trailing dot', routes: true },
  { host: 'localhost', what: 'localhost', routes: true },
  { host: 'localhost.', what: 'localhost with a trailing dot', routes: true },
  { host: 'LocalHost', what: 'localhost in mixed case', routes: true },
  { host: 'api.localhost', what: 'a .localhost name' },
  { host: '[::1]', what: 'IPv6 loopback', routes: true },
  { host: '[::]', what: 'IPv6 unspecified', routes: true },
  { host: '0.0.0.0', what: 'IPv4 unspecified', routes: true },
  { host: '[::ffff:127.0.0.1]', what: 'IPv4-mapped IPv6', routes: true },
  { host: '[::ffff:7f00:1]', what: 'IPv4-mapped IPv6, hex', routes: true },
  { host: '[0:0:0:0:0:ffff:127.0.0.1]', what: 'IPv4-mapped IPv6, long form', routes: true },
  { host: '[::ffff:0:127.0.0.1]', what: 'IPv4-translated (SIIT)' },
  { host: '[::127.0.0.1]', what: 'IPv4-compatible IPv6' },
  { host: '[64:ff9b::127.0.0.1]', what: 'NAT64 of loopback' },
  { host: '[64:ff9b::a9fe:a9fe]', what: 'NAT64 of the metadata address' },
  { host: '[64:ff9b:1::808:808]', what: 'local-use NAT64 prefix' },
  { host: '[2002:7f00:1::]', what: '6to4 of loopback' },
  { host: '[2002:a9fe:a9fe::1]', what: '6to4 of the metadata address' },
  { host: '[2001:0:4136:e378:8000:63bf:80ff:fffe]', what: 'Teredo with client 127.0.0.1' },
  { host: '169.254.169.254', what: 'cloud metadata (link-local)' },
  { host: '[fe80::1]', what: 'IPv6 link-local' },
  { host: '10.0.0.1', what: 'RFC 1918 10/8' },
  { host: '172.16.0.1', what: 'RFC 1918 172.16/12' },
  { host: '192.168.1.1', what: 'RFC 1918 192.168/16' },
  { host: '[fc00::1]', what: 'unique local' },
  { host: '[fd12:3456::1]', what: 'unique local fd' },
  { host: '224.0.0.1', what: 'IPv4 multicast' },
  { host: '[ff02::1]', what: 'IPv6 multicast' },
  { host: '255.255.255.255', what: 'broadcast' },
  { host: '100.64.0.1', what: 'carrier-grade NAT' },
  { host: '240.0.0.1', what: 'reserved 240/4' },
  { host: '192.0.2.1', what: 'TEST-NET-1' },
  { host: '198.18.0.1', what: 'IPv4 benchmarking' },
  { host: '[2001:2::1]', what: 'IPv6 benchmarking' },
  { host: '[2001:db8::1]', what: 'IPv6 documentation' },
  { host: 'metadata.google.internal', what: 'an .internal name' },
  { host: 'printer.local', what: 'an mDNS .local name' },
].map((r) => ({ ...r, private: true }));

const PUBLIC: Row[] = [
  { host: '8.8.8.8', what: 'public IPv4' },
  { host: '1.1.1.1', what: 'public IPv4' },
  { host: '172.32.0.1', what: 'just past 172.16/12' },
  { host: '100.128.0.1', what: 'just past 100.64/10' },
  { host: '11.0.0.1', what: 'just past 10/8' },
  { host: '[2606:4700:4700::1111]', what: 'public IPv6' },
  { host: '[::ffff:8.8.8.8]', what: 'IPv4-mapped public address' },
  { host: '[64:ff9b::8.8.8.8]', what: 'NAT64 of a public address' },
  { host: '[2002:808:808::1]', what: '6to4 of a public address' },
  { host: '[2001:0:808:808:8000:63bf:f7f7:f7f7]', what: 'Teredo with public ends' },
  { host: 'example.com', what: 'a public name' },
  { host: 'example.com.', what: 'a public name with a trailing dot' },
].map((r) => ({ ...r, private: false }));

const ROWS = [...PRIVATE, ...PUBLIC];

/** A loopback listener on every local address (dual stack) that counts connections and bytes. */
let server: Server;
let port: number;
const seen = { connections: 0, bytes: 0 };
beforeAll(async () => {
  server = createServer((s: Socket) => {
    seen.connections++;
    s.on('data', (d) => (seen.bytes += d.length));
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '::', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  await closeTokenClients();
  await new Promise((resolve) => server.close(resolve));
});

it('the table covers every class with at least 30 rows', () => {
  expect(ROWS.length).toBeGreaterThanOrEqual(30);
  expect(PUBLIC.length).toBeGreaterThanOrEqual(10);
});

describe('at save: base URL and OAuth token URL', () => {
  const save = (baseUrl: string, tokenUrl?: string): unknown =>
    compileConnector(
      {
        name: 'c',
        baseUrl,
        ...(tokenUrl ? { auth: { type: 'oauth2_client_credentials', tokenUrl, clientId: 'id', clientSecret: 'secret-123' } } : {}),
      },
      { allowPrivateNetworks: false },
    );
  const fieldsOf = (f: () => unknown): string[] => {
    try {
      f();
      return [];
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return err.errors!.map((e) => e.field);
    }
  };

  it.each(ROWS)('$host ($what): private=$private', (row) => {
    const url = `http://${row.host}:${port}/api`;
    expect(isLocalHostName(new URL(url).hostname)).toBe(row.private);
    expect(fieldsOf(() => save(url))).toEqual(row.private ? ['baseUrl'] : []);
    expect(fieldsOf(() => save('https://api.example.com', `${url}/token`))).toEqual(row.private ? ['auth.tokenUrl'] : []);
  });
});

/** Calls the connector as undici does: the URL's hostname without brackets. */
function connectTo(host: string, opts: Parameters<typeof outboundConnector>[0]): Promise<Error | undefined> {
  const u = new URL(`http://${host}:${port}/`);
  const hostname = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return new Promise((resolve) => {
    outboundConnector(opts)({ hostname, host: u.host, protocol: 'http:', port: u.port }, (err, socket) => {
      socket?.destroy();
      resolve(err ?? undefined);
    });
  });
}

describe('at connect time', () => {
  it.each(ROWS.filter((r) => !r.host.startsWith('example.com')))('$host ($what): private=$private', async (row) => {
    const before = { ...seen };
    const err = await connectTo(row.host, { timeout: 300, allowPrivateNetworks: false });
    if (row.private) expect(err).toBeInstanceOf(DestinationRefusedError);
    // A public address may be unreachable from CI; what matters is that the guard let it through.
    else expect(err).not.toBeInstanceOf(DestinationRefusedError);
    if (row.private) expect(seen).toEqual(before);
  });

  it('refuses a name that DNS resolves to loopback, without connecting', async () => {
    const name = hostname();
    const before = { ...seen };
    const err = await connectTo(name, { timeout: 1000, allowPrivateNetworks: false });
    expect(err).toBeInstanceOf(DestinationRefusedError);
    expect(err!.message).toContain('resolves to');
    expect(seen).toEqual(before);
  });

  it('checks the connected socket: a DNS answer that changed after the check (rebinding) is refused before any byte', async () => {
    const before = { ...seen };
    // An unguarded resolver stands in for a record that was public when checked and is loopback now.
    const rebinding = ((_host: string, options: object, cb: (...a: unknown[]) => void) =>
      dnsLookup('127.0.0.1', options, cb as never)) as never;
    const err = await connectTo('public.example.com', { timeout: 1000, allowPrivateNetworks: false, lookup: rebinding });
    expect(err).toBeInstanceOf(DestinationRefusedError);
    expect(err!.message).toContain('connected to 127.0.0.1');
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.bytes).toBe(before.bytes);
  });

  it('lets everything through when the deployment allows private networks', async () => {
    const err = await connectTo('[::ffff:127.0.0.1]', { timeout: 1000, allowPrivateNetworks: true });
    expect(err).toBeUndefined();
  });

  it('refuses a token endpoint at an IPv4-mapped loopback literal, sending nothing', async () => {
    const before = { ...seen };
    const call = requestToken({
      tokenUrl: `http://[::ffff:127.0.0.1]:${port}/token`,
      grant: { type: 'client_credentials' },
      clientId: 'id',
      clientSecret: 'secret-123',
      clientAuth: 'body',
      allowPrivateNetworks: false,
    });
    await expect(call).rejects.toBeInstanceOf(DestinationRefusedError);
    expect(seen).toEqual(before);
  });
});

describe('end to end, private networks off', () => {
  let dataDir: string;
  let c: Callout;
  const open = (allowPrivateNetworks: boolean): Promise<Callout> =>
    Callout.open({ dataDir, allowPrivateNetworks, publicUrl: 'http://127.0.0.1:9', logger: createLogger({ level: 'silent' }) });
  // Every private spelling, plus a DNS name of this machine (resolves to loopback).
  const targets = [...PRIVATE.map((r) => r.host), hostname()];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'callout-ssrf-'));
    // Saved where private networks were allowed (or imported from such a deployment): the send
    // path must hold on its own, not rely on the save-time check.
    const setup = await open(true);
    for (const [i, host] of targets.entries()) {
      await setup.connectors.create({ name: `c${i}`, baseUrl: `http://${host}:${port}/api`, timeout: '2s' });
      await setup.actionTypes.create({ name: `t${i}`, connector: `c${i}`, method: 'POST', path: '/hit' });
    }
    await setup.close();
    c = await open(false);
  });
  afterAll(async () => {
    await c.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('every action lands in To Do (Rejected) with the reason, and the loopback server receives nothing', async () => {
    const before = { ...seen };
    const ids: string[] = [];
    for (const i of targets.keys()) ids.push((await c.actions.launch({ actionType: `t${i}` })).action.id);
    for (let round = 0; round < 5; round++) await c.engine.tick();
    for (const [i, id] of ids.entries()) {
      const a = await c.actions.getAction(id);
      expect(a, targets[i]).toMatchObject({ state: 'todo', reason: 'request_rejected', rejectedReason: expect.stringMatching(/private/) });
    }
    expect(seen).toEqual(before);
  });

  it('Test action (send) and Test connection refuse the same addresses and send nothing', async () => {
    const before = { ...seen };
    for (const i of targets.keys()) {
      const r = await c.actionTypes.testAction(`t${i}`, { send: true });
      expect(r, targets[i]).toMatchObject({ sent: true, error: { kind: 'refused', message: expect.stringMatching(/private/) } });
      const t = await c.connectors.testConnection(`c${i}`);
      expect(t, targets[i]).toMatchObject({ reachable: { ok: false, detail: expect.stringMatching(/private/) } });
    }
    expect(seen).toEqual(before);
  });
});
