// Review of issue 9: slowloris on our own port. Fastify leaves `requestTimeout` at 0, so a client that
// sends its headers and then a body a byte at a time held a connection (and its parser) for ever, and
// a few thousand of them held the server. Now a whole request must arrive within a deadline, headers
// within a shorter one, and the server checks for late ones every few seconds.

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { rawServer, type RawClient } from './helpers.ts';

let h: Harness;
let raw: RawClient;
beforeAll(async () => {
  h = await startHarness();
  raw = await rawServer(h.callout);
});
afterAll(async () => {
  await raw.close();
  await h.close();
});

/** Sends headers, then one body byte every `everyMs`; resolves with what the server wrote and when the socket closed. */
function trickle(url: string, everyMs: number, giveUpMs: number): Promise<{ closedAfterMs: number; reply: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = Date.now();
    let reply = '';
    const s = connect(Number(port), hostname, () => {
      s.write(
        `POST /v1/cases HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${h.adminKey}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{`,
      );
    });
    const timer = setInterval(() => s.writable && s.write(' '), everyMs);
    const giveUp = setTimeout(() => s.destroy(), giveUpMs);
    s.on('data', (d) => (reply += d.toString()));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ closedAfterMs: Date.now() - started, reply });
    });
  });
}

describe('server timeouts', () => {
  it('are set: a whole request within 30 s, its headers within 15 s, keep-alive idles end', () => {
    const s = raw.app.server;
    expect(s.requestTimeout).toBeGreaterThan(0);
    expect(s.requestTimeout).toBeLessThanOrEqual(30_000);
    expect(s.headersTimeout).toBeGreaterThan(0);
    expect(s.headersTimeout).toBeLessThanOrEqual(15_000);
    expect(s.keepAliveTimeout).toBeGreaterThan(0);
    expect(s.keepAliveTimeout).toBeLessThanOrEqual(75_000);
  });

  it('a body trickled a byte at a time is cut off at the request deadline (408), and the server goes on', async () => {
    // The deadlines shortened for the test (Node wants headers <= request); the periodic check is the server's own.
    const s = raw.app.server;
    const saved = [s.requestTimeout, s.headersTimeout] as const;
    [s.requestTimeout, s.headersTimeout] = [1000, 500];
    try {
      const r = await trickle(raw.url, 100, 20_000);
      expect(r.closedAfterMs).toBeLessThan(8_000);
      expect(r.reply).toMatch(/^HTTP\/1\.1 408/);
      // problem+json like every other error, not the framework's own JSON.
      expect(r.reply).toMatch(/content-type: application\/problem\+json/i);
      expect(JSON.parse(r.reply.slice(r.reply.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 408, code: 'REQUEST_TIMEOUT' });
    } finally {
      [s.requestTimeout, s.headersTimeout] = saved;
    }
    expect((await raw.send('GET', '/health')).status).toBe(200);
  }, 30_000);
});

describe('what the HTTP parser refuses before any route', () => {
  /** Writes `text` on a fresh connection; resolves with everything the server wrote before it closed. */
  const rawRequest = (text: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const { hostname, port } = new URL(raw.url);
      let reply = '';
      const s = connect(Number(port), hostname, () => s.write(text));
      s.on('data', (d) => (reply += d.toString()));
      s.on('error', () => undefined);
      s.on('close', () => resolve(reply));
      setTimeout(() => reject(new Error(`no close; got ${reply}`)), 10_000).unref();
    });
  const bodyOf = (reply: string): unknown => JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));

  it('headers over the limit (a 100 KB path) get a 431 problem+json', async () => {
    const reply = await rawRequest(`GET /v1/connectors/x/inbound/${'r'.repeat(100_000)}/messages HTTP/1.1\r\nhost: x\r\n\r\n`);
    expect(reply).toMatch(/^HTTP\/1\.1 431 /);
    expect(reply).toMatch(/content-type: application\/problem\+json/i);
    expect(bodyOf(reply)).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE', detail: expect.stringContaining('larger') });
  });

  it('bytes that are not HTTP get a 400 problem+json, and the server goes on', async () => {
    const reply = await rawRequest('NOT HTTP AT ALL\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(reply)).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect((await raw.send('GET', '/health')).status).toBe(200);
  });
});
