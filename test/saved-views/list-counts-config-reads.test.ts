// The list of saved views with their counts reads the configuration once, not once per view: each
// view filtered by a connector needs that connector's action types, and the work screen reads the
// list again every few seconds while anything changes, for every open tab.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await connector(h);
  await actionType(h, { name: 'notify', path: '/anything' });
  for (let i = 0; i < 8; i++)
    expect((await h.api('POST', '/v1/views', { name: `Vendor ${i}`, screen: 'work', query: `connector=vendor&state=todo` })).status).toBe(
      201,
    );
});
afterAll(async () => h?.close());

it('counts eight views filtered by a connector with one read of the configuration', async () => {
  const store = h.callout.store;
  const listConfig = store.listConfig.bind(store);
  let reads = 0;
  store.listConfig = (kind) => {
    reads++;
    return listConfig(kind);
  };
  try {
    const r = await h.api('GET', '/v1/views?screen=work&counts=true');
    expect(r.status).toBe(200);
    expect(r.body.items.map((v: { count: unknown }) => v.count)).toEqual(Array(8).fill({ value: 0, more: false }));
  } finally {
    store.listConfig = listConfig;
  }
  // One refresh: its connectors and its action types.
  expect(reads).toBeLessThanOrEqual(2);
});
