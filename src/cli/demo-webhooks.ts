// The demo's webhook receiver: a small HTTP server on loopback subscribed to every event, which checks
// each delivery's Standard Webhooks signature with the `standardwebhooks` package (as a receiver would)
// and prints one line per event, so a newcomer sees what other systems hear.

import { createServer, type IncomingMessage } from 'node:http';
import { Webhook } from 'standardwebhooks';
import type { Callout } from '../callout.ts';

export interface DemoReceiver {
  url: string;
  /** Deliveries received and verified so far. */
  readonly verified: number;
  close(): Promise<void>;
}

const body = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c.length + text.length > 64 * 1024 ? '' : c));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });

/** Starts the receiver and subscribes it to every event; `say` prints a line. */
export async function demoWebhookReceiver(callout: Callout, say: (line: string) => void): Promise<DemoReceiver> {
  // Set once subscribed (the subscription needs the receiver's address first).
  const signer: { webhook?: Webhook } = {};
  let verified = 0;
  const server = createServer((req, res) => {
    void body(req).then((text) => {
      try {
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        const event = signer.webhook!.verify(text, headers) as {
          type: string;
          data: { actionId?: string; caseId?: string; state?: string };
        };
        verified++;
        const subject = event.data.actionId ? `action ${event.data.actionId.slice(-8)}` : `case ${String(event.data.caseId).slice(-8)}`;
        say(
          `webhook receiver: ${event.type.padEnd(22)} ${subject}${event.data.state ? ` → ${event.data.state}` : ''}  (signature verified)`,
        );
        res.writeHead(204).end();
      } catch (err) {
        say(`webhook receiver: refused a delivery: ${(err as Error).message}`);
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/callout-events`;
  const sub = await callout.webhooks.create({ url, events: ['*'], description: 'The demo webhook receiver' });
  signer.webhook = new Webhook(sub.secret);
  return {
    url,
    get verified() {
      return verified;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
