// Callout inside your own program: a stand-in vendor on loopback, one action sent to it and read back.
// Run: npx tsx examples/embed.ts
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCallout, STATES } from 'callout';

// The external system: answers every request with a ticket number.
const vendor = createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ ticketNo: 'INC-7' }));
});
await new Promise<void>((resolve) => vendor.listen(0, '127.0.0.1', resolve));
const { port } = vendor.address() as { port: number };

const dataDir = await mkdtemp(join(tmpdir(), 'callout-embed-'));
// allowPrivateNetworks: the vendor is on loopback, which connectors may not reach by default.
const callout = await createCallout({ dataDir, allowPrivateNetworks: true });
callout.start();
try {
  await callout.connectors.create({ name: 'vendor-desk', baseUrl: `http://127.0.0.1:${port}`, auth: { type: 'none' } });
  await callout.actionTypes.create({
    name: 'open-ticket',
    connector: 'vendor-desk',
    method: 'POST',
    path: '/tickets',
    body: { format: 'json', template: '{"title": "{{ Title }}"}' },
    response: { externalReference: 'ticketNo' },
  });
  // Listen before launching: the engine sends in the background and may finish before launch() returns.
  const closed = new Promise<string>((resolve) =>
    callout.engine.on('action', (a) => {
      if (a.state === STATES.closed) resolve(a.id);
    }),
  );
  const { action } = await callout.actions.launch({ actionType: 'open-ticket', input: { Title: 'Laptop' } });
  await closed;
  const done = await callout.actions.getAction(action.id);
  console.log(done.state, done.resolution, done.externalReference);
} finally {
  await callout.close();
  vendor.close();
  await rm(dataDir, { recursive: true, force: true });
}
