// Configuration text is read on a thread of its own (yaml-worker.mjs), one file at a time: an import
// of a few megabytes costs seconds of yaml's time, which must not stop the node's other work. A read
// that takes longer than READ_TIME_LIMIT_MS, or more memory than the thread may have, is refused; so
// is a file that would wait behind MAX_WAITING others (each could hold the thread its whole limit).

import { Worker } from 'node:worker_threads';
import { CalloutError, ValidationError } from '../errors.ts';
import { MAX_JSON_DEPTH } from '../json-limits.ts';
import { MAX_PARSE_DEPTH } from '../api/body-depth.ts';

export const READ_TIME_LIMIT_MS = 30_000;
export const MAX_WAITING = 3;

let worker: Worker | undefined;
let last: Promise<unknown> = Promise.resolve();
let waiting = 0;

const refused = (message: string): ValidationError => new ValidationError([{ field: '', message: `not valid YAML or JSON: ${message}` }]);

function thread(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('./yaml-worker.mjs', import.meta.url), {
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: 512 },
  });
  // Always listened for: an error between two reads (or while one is being given up) must not
  // become the process's uncaught exception. A thread that fails is replaced at the next read.
  w.on('error', () => undefined);
  w.on('exit', () => {
    if (worker === w) worker = undefined;
  });
  w.unref();
  return (worker = w);
}

/** Ends a thread that reads no more files; the next read starts another. */
function retire(w: Worker): void {
  if (worker === w) worker = undefined;
  void w.terminate();
}

function readOnce(text: string, timeLimitMs: number): Promise<unknown> {
  const w = thread();
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      w.off('message', onMessage).off('messageerror', onMessageError).off('error', onError).off('exit', onExit);
      // Idle, the thread never keeps the process alive (a CLI import ends when its work does).
      w.unref();
    };
    const onMessage = (m: { value?: unknown; error?: string; retire?: boolean }): void => {
      done();
      if (m.retire) retire(w);
      if (m.error !== undefined) reject(refused(m.error));
      else resolve(m.value);
    };
    // The thread is given up; the file's fault (too slow, too big) or the server's (anything else).
    const lost = (err: Error): void => {
      done();
      retire(w);
      reject(err);
    };
    const onError = (e: Error & { code?: string }): void =>
      lost(
        e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? refused('reading it needs more memory than a configuration file may take')
          : new Error(`the thread reading configuration files failed: ${e.message}`),
      );
    const onMessageError = (): void => lost(new Error('the thread reading configuration files sent an answer that could not be read'));
    const onExit = (): void => lost(new Error('the thread reading configuration files stopped'));
    const timer = setTimeout(() => lost(refused(`reading it took longer than ${timeLimitMs / 1000} s`)), timeLimitMs);
    w.on('message', onMessage).on('messageerror', onMessageError).on('error', onError).on('exit', onExit);
    w.ref();
    w.postMessage({ text, maxDepth: MAX_JSON_DEPTH });
  });
}

/**
 * Whether brackets (`[`, `{`) open past `max` deep, counted whatever quotes surround them: a count that
 * skips JSON strings (tooDeepAt, for JSON bodies) is led astray by YAML's quoting (`'"': [[[…`), and no
 * file holds a thousand brackets open in its text. A closing bracket never counts below none, so ones
 * written first (in a string) cannot make room for real ones after.
 */
export function bracketsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
  return false;
}

/** How far a line may be indented, counting compact nesting (`- - x`, `? `): well past any file's use. */
export const MAX_INDENT = 1000;

/**
 * The line (from 1) of the first line indented past MAX_INDENT columns, counting the block indicators
 * that open a level on the line itself, or null. Each level of block nesting takes at least a column,
 * as each of flow style's takes a bracket.
 */
export function tooIndentedAt(text: string): number | null {
  let line = 1;
  for (let i = 0; i < text.length;) {
    let j = i;
    for (;;) {
      const c = text.charCodeAt(j);
      const next = text.charCodeAt(j + 1);
      if (c === 32 || c === 9) j++;
      else if ((c === 45 || c === 63 || c === 58) && (next === 32 || next === 9)) j += 2;
      else break;
    }
    if (j - i > MAX_INDENT) return line;
    const end = text.indexOf('\n', j);
    if (end < 0) return null;
    i = end + 1;
    line++;
  }
  return null;
}

/** Reads a configuration file's text as YAML (which also reads JSON); a bad file is a ValidationError. */
export function parseConfigText(text: string, opts: { timeLimitMs?: number } = {}): Promise<unknown> {
  // Brackets nested past any file's use are refused before the thread reads them, as a JSON body's are
  // (api/body-depth.ts): 100,000 of them ran yaml out of memory in a way that ended the process, not the thread.
  if (bracketsDeeperThan(text, MAX_PARSE_DEPTH)) return Promise.reject(refused(`it is nested deeper than ${MAX_JSON_DEPTH} levels`));
  // Block nesting as deep overflowed yaml's stack (refused, but the thread's next read ended the process).
  const indented = tooIndentedAt(text);
  if (indented !== null)
    return Promise.reject(
      refused(`line ${indented} is indented past ${MAX_INDENT} columns: it is nested deeper than ${MAX_JSON_DEPTH} levels`),
    );
  if (waiting > MAX_WAITING)
    return Promise.reject(new CalloutError('RATE_LIMITED', 'Other configuration files are being read; send this one again shortly'));
  waiting++;
  const read = (): Promise<unknown> => readOnce(text, opts.timeLimitMs ?? READ_TIME_LIMIT_MS);
  const mine = last.then(read, read).finally(() => waiting--);
  last = mine.catch(() => undefined);
  return mine;
}
