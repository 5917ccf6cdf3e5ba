// A claimed batch is started an action at a time: sends to connectors without limits at once, the rest
// once their connector's limits admit them (a store call). When a later step of the batch failed (the
// store not answering the admission), the sends already started were dropped with the batch: not
// tracked, so a failure of one (here its outcome's write) was a rejection nobody handled, which ends
// the process under `callout serve`.

import { afterEach, expect, it, vi } from 'vitest';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness | undefined;
const unhandled: unknown[] = [];
const note = (err: unknown): void => void unhandled.push(err);
afterEach(async () => {
  process.off('unhandledRejection', note);
  vi.restoreAllMocks();
  await h?.close();
});

it('sends already started when a later step of their batch fails are still tracked: their failures are logged, not left unhandled', async () => {
  h = await startHarness({ start: false });
  await connector(h, { name: 'free' });
  await connector(h, { name: 'limited', maxConcurrency: 1 });
  await actionType(h, { name: 'a', connector: 'free', path: '/ok' });
  await actionType(h, { name: 'b', connector: 'limited', path: '/ok' });
  for (const t of ['a', 'b']) expect((await h.api('POST', '/v1/actions', { actionType: t })).status).toBe(201);

  // The admission of b's connector finds the store down; the write of a's outcome fails.
  vi.spyOn(h.callout.store, 'acquireConcurrency').mockRejectedValueOnce(new Error('the store did not answer'));
  const outbox = h.callout.engine.webhookEvents!;
  vi.spyOn(outbox, 'forTransition').mockImplementationOnce(() => {
    throw new Error("a's outcome could not be written");
  });
  const logged = vi.spyOn(h.callout.logger, 'error');
  process.on('unhandledRejection', note);
  h.callout.start();

  await expect
    .poll(() => logged.mock.calls.some(([o]) => (o as { err?: Error }).err?.message === "a's outcome could not be written"))
    .toBe(true);
  await new Promise((r) => setTimeout(r, 200));
  expect(unhandled).toEqual([]);
});
