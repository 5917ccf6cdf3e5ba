// The evaluating thread itself (mapping-worker.mjs), spoken to as the pool speaks to it: a V8
// RangeError (the stack, an array's or a string's length) asks for the thread to be ended, as a
// stack overflow in yaml left an isolate whose next regular expression ended the process; JSONata's
// own errors and limits keep it.

import { Worker } from 'node:worker_threads';
import { afterEach, expect, it } from 'vitest';

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

async function started(): Promise<Worker> {
  const w = new Worker(new URL('./mapping-worker.mjs', import.meta.url), {
    workerData: { timeLimitMs: 250, depthLimit: 200, sequenceLimit: 100_000, resultLimitBytes: 1024 * 1024 },
    execArgv: [],
  });
  workers.push(w);
  await new Promise((resolve) => w.once('message', resolve)); // { ready: true }
  return w;
}

type Reply = { id: number; json?: string; error?: { message: string; limit?: string }; retire?: boolean };
const ask = (w: Worker, id: number, source: string, input: unknown): Promise<Reply> => {
  const reply = new Promise<Reply>((resolve) => w.once('message', resolve));
  w.postMessage({ id, source, input, bindings: {}, limits: {} });
  return reply;
};

it('asks to be ended after a RangeError of V8, and not after an expression’s own error or limit', async () => {
  const w = await started();
  // JSONata's $pad makes `new Array(width)`: past 2^32 - 1, V8's "Invalid array length".
  expect(await ask(w, 1, '$pad("x", 1e10)', {})).toMatchObject({ id: 1, error: { message: 'Invalid array length' }, retire: true });

  const fresh = await started();
  expect(await ask(fresh, 2, '$nope(1)', {})).toMatchObject({ id: 2, error: { message: expect.any(String) }, retire: false });
  expect(await ask(fresh, 3, '[1..5000000]', {})).toMatchObject({ id: 3, error: { limit: 'size' }, retire: false });
  expect(await ask(fresh, 4, 'a + 1', { a: 1 })).toEqual({ id: 4, json: '2' });
});
