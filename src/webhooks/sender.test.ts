// The webhook sender against a real loopback receiver: one subscription whose receiver holds every
// request does not hold up another subscription on the same host and port.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebhookSender } from './sender.ts';

let server: Server;
let origin: string;
const held: ServerResponse[] = [];
beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    if (req.url === '/slow')
      held.push(res); // never answered until the test ends
    else res.writeHead(204).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const r of held) r.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

it("a receiver holding its requests fills only its own subscription's connections, not another's on the same origin", async () => {
  const sender = new WebhookSender({ allowPrivateNetworks: true, timeoutMs: 3_000, connections: 4 });
  try {
    // Subscription a: more attempts in flight than it has connections, all held by the receiver.
    const slow = Array.from({ length: 6 }, () => sender.send(`${origin}/slow`, {}, '{}', 'sub-a'));
    await expect.poll(() => held.length).toBe(4);
    // Subscription b, same host and port: answered at once rather than queued behind a's until its deadline.
    const fast = await sender.send(`${origin}/fast`, {}, '{}', 'sub-b');
    expect(fast.outcome).toEqual({ kind: 'response', status: 204, retryAfter: null });
    expect(fast.durationMs).toBeLessThan(2_000);
    for (const r of await Promise.all(slow)) expect(r.outcome).toEqual({ kind: 'timeout' });
  } finally {
    await sender.close();
  }
}, 15_000);
