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

it('the connections of a subscription no longer sent to (deleted, paused) are closed after a while, not kept while the node runs', async () => {
  const sender = new WebhookSender({ allowPrivateNetworks: true, timeoutMs: 3_000, idleMs: 200 });
  const open = new Set<unknown>();
  const onConnection = (socket: { once(e: 'close', f: () => void): void }): void => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };
  server.on('connection', onConnection);
  try {
    for (const sub of ['gone-1', 'gone-2', 'gone-3'])
      expect((await sender.send(`${origin}/fast`, {}, '{}', sub)).outcome.kind).toBe('response');
    expect(sender.pools).toBe(3);
    expect(open.size).toBe(3);
    await new Promise((r) => setTimeout(r, 300));
    // The next delivery, for a subscription still in use, closes the others' agents and their sockets.
    expect((await sender.send(`${origin}/fast`, {}, '{}', 'kept')).outcome.kind).toBe('response');
    expect(sender.pools).toBe(1);
    await expect.poll(() => open.size).toBe(1);
  } finally {
    server.off('connection', onConnection);
    await sender.close();
  }
});
