// The demo's webhook receiver: a small HTTP server on loopback subscribed to every event, which checks
// each delivery's Standard Webhooks signature with the `standardwebhooks` package (as a receiver would)
// and prints one line per event of a case or a case's action, so a newcomer sees what other systems
// hear. The events of actions launched outside a case (the demo's own, and the bulk launch's 200 rows:
// some 400 events) are counted and summed up in a line every few seconds rather than printed one by
// one, which buried the intro's hints and the state table.

import { createServer, type IncomingMessage } from 'node:http';
import { Webhook } from 'standardwebhooks';
import type { Callout } from '../callout.ts';

export interface DemoReceiver {
  url: string;
  /** Deliveries received and verified so far. */
  readonly verified: number;
  /** Of those, the ones counted rather than printed (actions outside a case). */
  readonly counted: number;
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

/** The description the demo's subscription carries: how the next run finds it. */
const RECEIVER = 'The demo webhook receiver';

/** Starts the receiver and subscribes it to every event; `say` prints a line. */
export async function demoWebhookReceiver(callout: Callout, say: (line: string) => void): Promise<DemoReceiver> {
  // Set once subscribed (the subscription needs the receiver's address first).
  const signer: { webhook?: Webhook } = {};
  let verified = 0;
  let counted = 0;
  let countedSaid = 0;
  const sumUp = (): void => {
    if (counted === countedSaid) return;
    say(
      `webhook receiver: ${counted - countedSaid} more events of actions outside a case (the demo's actions and its bulk launch's rows)  (signatures verified)`,
    );
    countedSaid = counted;
  };
  const timer = setInterval(sumUp, 3000).unref();
  const server = createServer((req, res) => {
    void body(req).then((text) => {
      try {
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        const event = signer.webhook!.verify(text, headers) as {
          type: string;
          data: { actionId?: string; caseId?: string | null; state?: string };
        };
        verified++;
        res.writeHead(204).end();
        if (event.data.actionId && !event.data.caseId) {
          counted++;
          return;
        }
        const subject = event.data.actionId ? `action ${event.data.actionId.slice(-8)}` : `case ${String(event.data.caseId).slice(-8)}`;
        say(
          `webhook receiver: ${event.type.padEnd(22)} ${subject}${event.data.state ? ` → ${event.data.state}` : ''}  (signature verified)`,
        );
      } catch (err) {
        say(`webhook receiver: refused a delivery: ${(err as Error).message}`);
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/callout-events`;
  // An earlier run's receiver listened on a port that is gone: its subscription would get every event
  // and retry each for days. This run's replaces it.
  for (const w of await callout.webhooks.list()) if (w.description === RECEIVER) await callout.webhooks.remove(w.id);
  const sub = await callout.webhooks.create({ url, events: ['*'], description: RECEIVER });
  signer.webhook = new Webhook(sub.secret);
  return {
    url,
    get verified() {
      return verified;
    },
    get counted() {
      return counted;
    },
    close: () => {
      clearInterval(timer);
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
