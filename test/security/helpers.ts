// Raw HTTP for the security tests: paths go out byte for byte (no URL normalisation by the client),
// and a server of its own on a harness's Callout with the limits a test asks for.

import { Pool } from 'undici';
import type { FastifyInstance } from 'fastify';
import type { Callout } from '../../src/callout.ts';
import { buildServer } from '../../src/api/server.ts';
import type { ApiLimits } from '../../src/api/auth.ts';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

export interface RawClient {
  url: string;
  app: FastifyInstance;
  send(method: string, path: string, opts?: { headers?: Record<string, string>; body?: unknown }): Promise<RawResponse>;
  close(): Promise<void>;
}

/** Limits high enough that hundreds of attack requests from one address are answered, not throttled. */
export const NO_LIMITS: ApiLimits = { perKey: 1e9, perAddressWithoutKey: 1e9, perCallbackToken: 1e9 };

export async function rawServer(callout: Callout, limits: ApiLimits = NO_LIMITS): Promise<RawClient> {
  const app = await buildServer(callout, { limits });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const pool = new Pool(url, { connections: 4 });
  return {
    url,
    app,
    async send(method, path, opts = {}) {
      const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      const res = await pool.request({
        method: method as 'GET',
        path,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        ...(body !== undefined ? { body } : {}),
      });
      // A stream (server-sent events) never ends: its status and headers are the answer.
      if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        res.body.on('error', () => undefined).destroy();
        return { status: res.statusCode, headers: res.headers, body: undefined };
      }
      const text = await res.body.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON */
      }
      return { status: res.statusCode, headers: res.headers, body: parsed };
    },
    async close() {
      await pool.close();
      await app.close();
    },
  };
}

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
