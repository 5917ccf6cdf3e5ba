// GET /metrics shows what the bulkhead does (engine/bulkhead.ts): the attempts this node has in flight
// per connector, and the systems it takes for slow and holds to their share, so an operator can alert
// on a hanging system instead of finding out from the actions that wait.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    callout: { engine: { pollIntervalMs: 50, leaseMarginMs: 2000, maxInFlight: 8 } },
    server: { metricsReuseMs: 0 },
  });
  await connector(h, { timeout: '10s' });
  await connector(h, { name: 'other', timeout: '10s' });
  await actionType(h, { name: 'hang', path: '/slow?ms=4000' });
  await actionType(h, { name: 'fine', connector: 'other', path: '/ok' });
});
afterAll(async () => h?.close());

const gauge = async (name: string, connectorName: string): Promise<number | undefined> => {
  const res = await fetch(`${h.url}/metrics`, { headers: { authorization: `Bearer ${h.adminKey}` } });
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name}{connector="${connectorName}"}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

it('a hanging system: its attempts in flight, and slow 1 while this node holds it to its share; 0 once it answers', async () => {
  const fine = await launch(h, 'fine');
  await h.waitFor(fine.id, (a) => a.state === 'closed');
  // Listed before anything is slow, at 0, so an alert on it has a series to watch.
  await expect.poll(() => gauge('callout_connector_slow', 'vendor'), { timeout: 10_000 }).toBe(0);
  expect(await gauge('callout_connector_slow', 'other')).toBe(0);
  const hanging = await Promise.all(Array.from({ length: 10 }, () => launch(h, 'hang')));
  await expect.poll(() => gauge('callout_connector_slow', 'vendor'), { timeout: 10_000, interval: 100 }).toBe(1);
  expect(await gauge('callout_connector_attempts_in_flight', 'vendor')).toBe(8);
  expect(await gauge('callout_connector_attempts_in_flight', 'other')).toBe(0);
  expect(await gauge('callout_connector_slow', 'other')).toBe(0);
  for (const a of hanging) await h.waitFor(a.id, (x) => x.state === 'closed', 20_000);
  expect(await gauge('callout_connector_slow', 'vendor')).toBe(0);
  expect(await gauge('callout_connector_attempts_in_flight', 'vendor')).toBe(0);
}, 40_000);
