// CALLOUT_MAX_CONNECTIONS: sockets a client opens and holds cannot use up the node's descriptors; over
// the cap a connection is closed as it arrives, the node says so in its log, and it serves again once
// the held sockets close.

import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_CONNECTIONS_DEFAULT, MAX_CONNECTIONS_PER_ADDRESS_DEFAULT, readSettings } from '../../src/settings.ts';
import { connectionCapsOf } from '../../src/api/connection-cap.ts';
import { buildServer } from '../../src/api/server.ts';
import { ValidationError } from '../../src/errors.ts';
import { freePort, startHarness } from '../helpers/harness.ts';
import { startChildServer, testNodeEnv, type ChildServer } from '../helpers/child-server.ts';
import { settingsRefusal as refusal } from '../helpers/settings.ts';

describe('CALLOUT_MAX_CONNECTIONS', () => {
  it('default to 4096 in all and 256 per address; anything but a whole number from 16 to 1000000 is refused, naming the setting', () => {
    expect(readSettings({}, {}).maxConnections).toBe(MAX_CONNECTIONS_DEFAULT);
    expect(MAX_CONNECTIONS_DEFAULT).toBe(4096);
    expect(readSettings({}, { CALLOUT_MAX_CONNECTIONS: '200' }).maxConnections).toBe(200);
    expect(readSettings({}, {}).maxConnectionsPerAddress).toBe(256);
    expect(readSettings({}, { CALLOUT_MAX_CONNECTIONS_PER_ADDRESS: '50' }).maxConnectionsPerAddress).toBe(50);
    const perAddress = refusal({ CALLOUT_MAX_CONNECTIONS_PER_ADDRESS: '0' });
    expect((perAddress as ValidationError).errors).toEqual([
      { field: 'CALLOUT_MAX_CONNECTIONS_PER_ADDRESS', message: expect.stringContaining('"0"') },
    ]);
    expect(readSettings({}, {}).keepAliveTimeoutMs).toBe(5_000);
    expect(readSettings({}, { CALLOUT_KEEP_ALIVE_TIMEOUT: '65s' }).keepAliveTimeoutMs).toBe(65_000);
    for (const bad of ['500ms', '2h', 'soon'])
      expect((refusal({ CALLOUT_KEEP_ALIVE_TIMEOUT: bad }) as ValidationError).errors, bad).toEqual([
        { field: 'CALLOUT_KEEP_ALIVE_TIMEOUT', message: expect.any(String) },
      ]);
    for (const bad of ['0', '15', '-1', '1.5', 'many', '1000001', '1e4']) {
      const err = refusal({ CALLOUT_MAX_CONNECTIONS: bad });
      expect(err, bad).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).errors).toEqual([{ field: 'CALLOUT_MAX_CONNECTIONS', message: expect.stringContaining(bad) }]);
    }
  });

  it('the server built as a library (buildServer without options) has the default caps too', async () => {
    const h = await startHarness({ start: false });
    try {
      expect(connectionCapsOf(h.app.server)).toEqual({ max: MAX_CONNECTIONS_DEFAULT, perAddress: MAX_CONNECTIONS_PER_ADDRESS_DEFAULT });
    } finally {
      await h.close();
    }
  });

  it('CALLOUT_KEEP_ALIVE_TIMEOUT reaches the server', async () => {
    const h = await startHarness({ start: false });
    try {
      const app = await buildServer(h.callout, { keepAliveTimeoutMs: 65_000 });
      expect(app.server.keepAliveTimeout).toBe(65_000);
      expect(h.app.server.keepAliveTimeout).toBe(5_000);
      await app.close();
    } finally {
      await h.close();
    }
  });

  it('a socket left idle after its request is closed within seconds, so held keep-alive sockets free their places', async () => {
    const h = await startHarness({ start: false });
    try {
      const { port } = h.app.server.address() as { port: number };
      const s = connect(port, '127.0.0.1');
      const closed = new Promise<number>((resolve) => s.once('close', () => resolve(Date.now())));
      let answer = '';
      s.on('data', (d: Buffer) => (answer += d.toString()));
      s.write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
      await expect.poll(() => answer).toContain('200 OK');
      const answered = Date.now();
      // Fastify's default kept it 72 s; a client with four addresses then held all 4,096 places.
      expect((await closed) - answered).toBeLessThan(10_000);
    } finally {
      await h.close();
    }
  }, 20_000);

  it('a connection that never sends a byte is closed after the first-request deadline (15 s unless the library is told otherwise); one that sends its request in time is served', async () => {
    // Node's headersTimeout starts with the first byte: a silent socket was held until a cap was reached.
    const h = await startHarness({ start: false });
    const app = await buildServer(h.callout, { firstRequestTimeoutMs: 1_000 });
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as { port: number };
      const opened = (): { s: Socket; closed: Promise<number>; answer: () => string } => {
        const s = connect(port, '127.0.0.1');
        s.on('error', () => undefined);
        let answer = '';
        s.on('data', (d: Buffer) => (answer += d.toString()));
        return { s, closed: new Promise<number>((resolve) => s.once('close', () => resolve(Date.now()))), answer: () => answer };
      };
      const started = Date.now();
      const silent = opened();
      const late = opened();
      // Half a second in: a request in time, on a keep-alive socket that then outlives the deadline.
      await new Promise((r) => setTimeout(r, 500));
      late.s.write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
      await expect.poll(() => late.answer()).toContain('200 OK');
      const closedAt = await silent.closed;
      expect(closedAt - started).toBeGreaterThanOrEqual(900);
      expect(closedAt - started).toBeLessThan(5_000);
      expect(silent.answer()).toBe('');
      expect(late.s.destroyed).toBe(false);
      late.s.destroy();
    } finally {
      await app.close();
      await h.close();
    }
  }, 20_000);

  describe('in callout serve', () => {
    const dir = mkdtempSync(join(tmpdir(), 'callout-maxconn-'));
    let child: ChildServer | undefined;
    const held: Socket[] = [];
    afterAll(async () => {
      for (const s of held) s.destroy();
      await child?.kill();
      rmSync(dir, { recursive: true, force: true });
    });

    /** A raw connection that sends a request and says what came back before the server closed it ('' when nothing did). */
    const probe = (port: number, from = '127.0.0.1'): Promise<string> =>
      new Promise((resolve, reject) => {
        let got = '';
        const s = connect({ port, host: '127.0.0.1', localAddress: from }, () =>
          s.write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
        );
        s.on('data', (d: Buffer) => (got += d.toString()));
        s.on('close', () => resolve(got));
        s.on('error', () => undefined);
        setTimeout(() => reject(new Error(`no close within 10 s; got ${JSON.stringify(got.slice(0, 80))}`)), 10_000).unref();
      });

    /** `callout serve` with these caps, on a port of its own. */
    const serveWith = async (total: string, perAddress: string): Promise<{ port: number; server: ChildServer }> => {
      const port = await freePort();
      child = await startChildServer(
        testNodeEnv('max-connections-admin-key-0123', {
          CALLOUT_DATA_DIR: dir,
          CALLOUT_MAX_CONNECTIONS: total,
          CALLOUT_MAX_CONNECTIONS_PER_ADDRESS: perAddress,
        }),
        port,
      );
      return { port, server: child };
    };

    /** A socket from `from` that connected and, when `busy`, started a request it never finishes (its body never comes). */
    const hold = async (port: number, busy: boolean, from = '127.0.0.1'): Promise<Socket> => {
      const s = connect({ port, host: '127.0.0.1', localAddress: from });
      s.on('error', () => undefined);
      await new Promise<void>((r) => s.once('connect', () => r()));
      if (busy)
        s.write(
          'POST /v1/connectors HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer max-connections-admin-key-0123\r\n' +
            'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
        );
      held.push(s);
      return s;
    };
    const closedSockets = (): number => held.filter((s) => s.destroyed || s.readyState === 'closed').length;

    it('every place held by a request in flight: the next connection is closed unanswered and logged; served again once they close', async () => {
      const { port, server } = await serveWith('16', '1000');
      // Requests whose bodies never come: busy, so not closed for a newcomer.
      for (let i = 0; i < 16; i++) await hold(port, true);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(await probe(port, '127.0.0.2')).toBe('');
      expect(closedSockets()).toBe(0);
      for (let i = 0; i < 50 && !server.output().includes('CALLOUT_MAX_CONNECTIONS'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(server.output()).toContain('connections refused: over CALLOUT_MAX_CONNECTIONS');
      expect(server.output()).toMatch(/"overTotal":[1-9]/);
      // The engine and the rest of the node went on; once the sockets close, requests are answered again.
      for (const s of held.splice(0)) s.destroy();
      let answer = '';
      for (let i = 0; i < 50 && !answer.startsWith('HTTP/1.1 200'); i++) {
        await new Promise((r) => setTimeout(r, 100));
        answer = await probe(port);
      }
      expect(answer).toMatch(/^HTTP\/1\.1 200/);
      const r = await request(`${server.url}/health`);
      expect(r.statusCode).toBe(200);
      await r.body.text();
      await server.kill();
      child = undefined;
    });

    it('every place held by quiet sockets: a newcomer takes the place of the quietest of the address holding the most; busy ones are kept', async () => {
      const { port, server } = await serveWith('16', '1000');
      // Another address holds four places with requests in flight; one address holds the rest with sockets that say nothing.
      const busy: Socket[] = [];
      for (let i = 0; i < 4; i++) busy.push(await hold(port, true, '127.0.0.3'));
      const quiet: Socket[] = [];
      for (let i = 0; i < 12; i++) quiet.push(await hold(port, false));
      await new Promise((r) => setTimeout(r, 1_500));
      // Three newcomers that stay, each in a quiet socket's place (never a busy one's nor another newcomer's); the first is served.
      const newcomers: Socket[] = [];
      for (let i = 0; i < 3; i++) newcomers.push(await hold(port, false, '127.0.0.2'));
      let answer = '';
      newcomers[0]!.on('data', (d: Buffer) => (answer += d.toString()));
      newcomers[0]!.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      await expect.poll(() => answer).toMatch(/^HTTP\/1\.1 200/);
      const isClosed = (s: Socket): boolean => s.destroyed || s.readyState === 'closed';
      await expect.poll(() => quiet.filter(isClosed).length).toBe(3);
      expect(busy.some(isClosed) || newcomers.some(isClosed)).toBe(false);
      expect(closedSockets()).toBe(3);
      for (let i = 0; i < 50 && !server.output().includes('idleClosedForNewcomers'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(server.output()).toMatch(/"idleClosedForNewcomers":[1-9]/);
      for (const s of held.splice(0)) s.destroy();
      await server.kill();
      child = undefined;
    });

    it("an address whose places are all busy does not shelter another's quiet sockets", async () => {
      const { port, server } = await serveWith('16', '8');
      const busy: Socket[] = [];
      for (let i = 0; i < 8; i++) busy.push(await hold(port, true, '127.0.0.4'));
      const quiet: Socket[] = [];
      for (let i = 0; i < 8; i++) quiet.push(await hold(port, false, '127.0.0.5'));
      await new Promise((r) => setTimeout(r, 1_500));
      expect(await probe(port, '127.0.0.6')).toMatch(/^HTTP\/1\.1 200/);
      const isClosed = (s: Socket): boolean => s.destroyed || s.readyState === 'closed';
      await expect.poll(() => quiet.filter(isClosed).length).toBe(1);
      expect(busy.some(isClosed)).toBe(false);
      for (const s of held.splice(0)) s.destroy();
      await server.kill();
      child = undefined;
    });

    it('one address holding its share of places is refused more; another address is still served', async () => {
      const { port, server } = await serveWith('64', '16');
      for (let i = 0; i < 16; i++) {
        const s = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1' });
        s.on('error', () => undefined);
        await new Promise<void>((r) => s.once('connect', () => r()));
        held.push(s);
      }
      expect(await probe(port, '127.0.0.1')).toBe('');
      expect(await probe(port, '127.0.0.2')).toMatch(/^HTTP\/1\.1 200/);
      for (let i = 0; i < 50 && !server.output().includes('overPerAddress'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(server.output()).toMatch(/"overPerAddress":1\b/);
      for (const s of held.splice(0)) s.destroy();
      let answer = '';
      for (let i = 0; i < 50 && !answer.startsWith('HTTP/1.1 200'); i++) {
        await new Promise((r) => setTimeout(r, 100));
        answer = await probe(port, '127.0.0.1');
      }
      expect(answer).toMatch(/^HTTP\/1\.1 200/);
    });
  });
});
