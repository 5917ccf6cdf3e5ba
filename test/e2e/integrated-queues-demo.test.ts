// The demo's integrated queue (src/cli/demo-integrated.ts) against a real Callout and the mock: the
// task goes out, the mock provider acknowledges, posts an update and hands it back; running the set-up
// again (a demo restart) updates what exists instead of failing.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { demoIntegratedQueue } from '../../src/cli/demo-integrated.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ mock: { callbackDelayMs: 40 } });
});
afterAll(async () => h?.close());

it('hands a task to the provider, which acknowledges, updates and hands it back', async () => {
  const kase = (await h.callout.cases.createCase({ data: { employee: 'Jane Doe' } })).case;
  for (let run = 0; run < 2; run++) {
    const id = await demoIntegratedQueue(h.callout, h.mock.url, kase.id);
    const back = await h.waitFor(id, (a) => a.state === 'todo' && a.reason === 'updated_by_integration');
    expect(back).toMatchObject({ queue: 'provider-desk', assignee: 'demo-agent', solution: { resolution: 'solved' } });
    const items = (await h.api('GET', `/v1/actions/${id}/integration-log`)).body.items as Array<{ requestType: string; payload: object }>;
    expect(items.map((e) => e.requestType)).toEqual(['Submit Request', 'Acknowledgement', 'Update', 'Reassigned']);
    // The case's data as it is then (the first run's Submit Request merged its ticket into it).
    expect(items[0]!.payload).toMatchObject({ TaskId: id, Title: 'Laptop screen flickers', CaseData: { employee: 'Jane Doe' } });
    // The title lists show is the one the provider was told (the lists said "Manual task").
    expect((await h.api('GET', `/v1/actions/${id}`)).body.input).toEqual({ title: 'Laptop screen flickers' });
  }
});
