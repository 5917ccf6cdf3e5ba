// The one external call every peer's job makes, the same as a Callout action of the benchmark's type:
// POST /ok with a small JSON body and an Idempotency-Key header, through one undici Pool per process.

import { Pool } from 'undici';

export class JobCall {
  readonly pool: Pool;

  constructor(mockUrl: string, connections: number) {
    // The settings Callout's sender uses: one pool per origin, no pipelining, keep-alive.
    this.pool = new Pool(mockUrl, { connections, pipelining: 1, keepAliveTimeout: 10_000 });
  }

  /** Throws on anything but a 2xx, so the library records a failure and retries the job. */
  async send(key: string, path = '/ok'): Promise<void> {
    const res = await this.pool.request({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ a: key }),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`mock answered ${res.statusCode}: ${text.slice(0, 100)}`);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
