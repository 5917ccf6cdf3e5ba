// Configuration text is read on a thread of its own (yaml-worker.mjs), one file at a time: an import
// of a few megabytes costs seconds of yaml's time, which must not stop the node's other work. A read
// that takes longer than READ_TIME_LIMIT_MS, or more memory than the thread may have, is refused.

import { Worker } from 'node:worker_threads';
import { ValidationError } from '../errors.ts';

export const READ_TIME_LIMIT_MS = 30_000;

let worker: Worker | undefined;
let last: Promise<unknown> = Promise.resolve();

const refused = (message: string): ValidationError => new ValidationError([{ field: '', message: `not valid YAML or JSON: ${message}` }]);

function readOnce(text: string, timeLimitMs: number): Promise<unknown> {
  const w = (worker ??= new Worker(new URL('./yaml-worker.mjs', import.meta.url), {
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: 512 },
  }));
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      w.off('message', onMessage).off('error', onError).off('exit', onExit);
      // Idle, the thread never keeps the process alive (a CLI import ends when its work does).
      w.unref();
    };
    const onMessage = (m: { value?: unknown; error?: string }): void => {
      done();
      if (m.error !== undefined) reject(refused(m.error));
      else resolve(m.value);
    };
    const lost = (message: string): void => {
      done();
      if (worker === w) worker = undefined;
      void w.terminate();
      reject(refused(message));
    };
    const onError = (e: Error): void => lost(`the file could not be read (${e.message})`);
    const onExit = (): void => lost('the file could not be read');
    const timer = setTimeout(() => lost(`reading it took longer than ${timeLimitMs / 1000} s`), timeLimitMs);
    w.on('message', onMessage).on('error', onError).on('exit', onExit);
    w.ref();
    w.postMessage({ text });
  });
}

/** Reads a configuration file's text as YAML (which also reads JSON); a bad file is a ValidationError. */
export function parseConfigText(text: string, opts: { timeLimitMs?: number } = {}): Promise<unknown> {
  const mine = last.then(
    () => readOnce(text, opts.timeLimitMs ?? READ_TIME_LIMIT_MS),
    () => readOnce(text, opts.timeLimitMs ?? READ_TIME_LIMIT_MS),
  );
  last = mine.catch(() => undefined);
  return mine;
}
