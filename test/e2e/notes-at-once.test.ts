// Many people writing notes on one task at the same moment, on one node or through two nodes on one
// PostgreSQL: every note is kept and answered 200. They used to race each other's guarded writes,
// and past 20 lost races a note was refused with 409 "kept changing; try again" (over half of 60).

import { afterAll, beforeAll, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { postgresNodes } from '../helpers/store-harnesses.ts';

let two: Awaited<ReturnType<typeof postgresNodes>>;
beforeAll(async () => {
  two = await postgresNodes(2);
});
afterAll(async () => two?.close());

/** 60 notes at once on one To Do task, sent in turn through `nodes`: every one answered 200 and kept. */
async function sixtyNotes(nodes: Harness[]): Promise<void> {
  const [first] = nodes as [Harness];
  await connector(first);
  await actionType(first, { name: 'to-desk', path: '/reject' });
  const task = await first.waitFor((await launch(first, 'to-desk')).id, (x) => x.state === 'todo');
  const notes = Array.from({ length: 60 }, (_, i) => `note ${i}`);
  const answers = await Promise.all(notes.map((note, i) => nodes[i % nodes.length]!.api('POST', `/v1/actions/${task.id}/notes`, { note })));
  expect(answers.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
  const timeline = (await first.api('GET', `/v1/actions/${task.id}/timeline?kind=message`)).body.items as Array<{ message: string }>;
  expect(timeline.map((e) => e.message).sort()).toEqual([...notes].sort());
}

it('60 notes sent at once to one task through two nodes on PostgreSQL are all kept, none refused', () => sixtyNotes(two.nodes));

it('60 notes sent at once to one task on one node of the embedded store are all kept, none refused', async () => {
  const h = await startHarness();
  try {
    await sixtyNotes([h]);
  } finally {
    await h.close();
  }
});
