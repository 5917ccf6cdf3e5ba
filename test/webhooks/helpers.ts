// Shared by the webhook tests: a harness on each store (the real SQLite file, a fresh PostgreSQL
// schema) and a loopback receiver that records what it gets and answers as told.

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { startHarness, type Harness } from '../helpers/harness.ts';
import type { CalloutOptions } from '../../src/callout.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';

export const STORES = ['sqlite', 'postgres'] as const;
export type StoreName = (typeof STORES)[number];

/** A harness on the given store; close() also drops the PostgreSQL schema. */
export async function harnessOn(store: StoreName, opts: { callout?: Partial<CalloutOptions>; start?: boolean } = {}): Promise<Harness> {
  if (store === 'sqlite') return startHarness(opts);
  const schema = freshSchema('wh');
  const h = await startHarness({
    ...opts,
    callout: {
      store: new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4 }),
      secretKey: randomBytes(32).toString('hex'),
      ...opts.callout,
    },
  });
  const close = h.close;
  return { ...h, close: async () => (await close(), await dropSchema(schema)) };
}

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** What to answer next: a status (and optional delay). */
  answer: (r: Received) => { status: number; delayMs?: number; body?: string; headers?: Record<string, string> };
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const rec: Receiver = {
    url: '',
    received: [],
    answer: () => ({ status: 200, body: 'ok' }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      rec.received.push(r);
      const a = rec.answer(r);
      setTimeout(() => {
        res.writeHead(a.status, a.headers ?? {});
        res.end(a.body ?? '');
      }, a.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  rec.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return rec;
}

export async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
