// A loopback HTTP server that records every request it receives (method, path, headers, body) and
// answers with `reply`: the stand-in for "a host a connector should or should not talk to".

import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Recorder {
  url: string;
  seen: SeenRequest[];
  /** Everything received, as one text, to look for a secret anywhere in it. */
  everything(): string;
  close(): Promise<void>;
}

export async function startRecorder(
  reply: (r: SeenRequest) => { status: number; body: unknown } = () => ({ status: 200, body: { ok: true } }),
): Promise<Recorder> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      const r = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      seen.push(r);
      const out = reply(r);
      res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify(out.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    everything: () => seen.map((r) => `${r.method} ${r.path}\n${JSON.stringify(r.headers)}\n${r.body}`).join('\n'),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** A token endpoint that grants any request a fixed access token (and records what it was sent). */
export const grantAnything = (): { status: number; body: unknown } => ({
  status: 200,
  body: { access_token: 'granted-by-recorder', token_type: 'Bearer', expires_in: 3600 },
});
