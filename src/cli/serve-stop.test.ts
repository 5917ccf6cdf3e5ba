// A signal's shutdown whose close fails says so and exits 1, not the generic line of an error nobody
// handled (the rejection of `stop()` was left to Node).

import { afterEach, expect, it, vi } from 'vitest';
import type { Logger } from '../logger.ts';
import { stopOnSignal } from './serve.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

it('a failing shutdown is logged with its signal and exits 1', async () => {
  const exits: Array<number | undefined> = [];
  vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
    exits.push(code);
  }) as typeof process.exit);
  const lines: Array<{ level: string; msg: string; err?: unknown }> = [];
  const logger = {
    info: (msg: string) => lines.push({ level: 'info', msg }),
    warn: (msg: string) => lines.push({ level: 'warn', msg }),
    error: (o: { err: unknown }, msg: string) => lines.push({ level: 'error', msg, err: o.err }),
  } as unknown as Logger;
  const failure = new Error('the store would not close');
  stopOnSignal(logger, () => Promise.reject(failure))('SIGTERM');
  await vi.waitFor(() => expect(exits).toEqual([1]));
  expect(lines.at(-1)).toEqual({ level: 'error', msg: expect.stringMatching(/^SIGTERM: shutting down failed/), err: failure });
});
