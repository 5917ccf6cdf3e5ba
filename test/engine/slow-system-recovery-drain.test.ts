// A backlog held for a slow system's place is sent promptly once the system answers fast again: the
// node wakes what it holds for it as attempts end (several per end once the system is not slow).
// It used to wake one per end from a short list, the rest waiting out their spread due times (12.6 s).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openSqliteNode } from '../helpers/callout-node.ts';

let server: Server;
let url = '';
let slowUntil = 0; // requests arriving before this hang for 3 s; after it they are answered at once
beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    if (Date.now() < slowUntil) setTimeout(answer, 3000);
    else answer();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

it('sends a held backlog promptly once its system answers fast again', async () => {
  const { c, close } = await openSqliteNode({ engine: { maxInFlight: 8 } });
  try {
    await c.connectors.create({ name: 'flaky', baseUrl: url });
    await c.actionTypes.create({ name: 't', connector: 'flaky', path: '/x' });
    slowUntil = Date.now() + 1000;
    const ids = await c.actions.launchMany(Array.from({ length: 60 }, () => ({ actionType: 't' })));
    c.start();
    // The first wave (8) hangs 3 s; from 1 s on the system is seen slow and the rest are held.
    await new Promise((r) => setTimeout(r, 3500));
    const recovered = Date.now(); // every request from now on is answered at once
    await expect
      .poll(async () => (await Promise.all(ids.map((id) => c.store.getAction(id)))).every((a) => a!.state === 'closed'), {
        timeout: 60_000,
        interval: 100,
      })
      .toBe(true);
    const drain = Date.now() - recovered;
    // The path this guards was taken: part of the backlog was held for the slow system's place.
    const timelines = await Promise.all(ids.map((id) => c.actions.timeline(id)));
    expect(timelines.filter((t) => JSON.stringify(t).includes('slow systems keep at most')).length).toBeGreaterThan(10);
    expect(drain).toBeLessThan(3000);
  } finally {
    await close();
  }
}, 90_000);
