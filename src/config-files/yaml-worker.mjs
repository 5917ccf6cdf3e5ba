// Reads configuration text (YAML, which also reads JSON) off the event loop: yaml takes about a
// second per megabyte, and a 5 MB import would otherwise hold every request, send and heartbeat of
// the node for that long (yaml-reader.ts). Plain JavaScript: worker threads do not inherit tsx.
import { parentPort } from 'node:worker_threads';
import { LineCounter, YAMLError, isNode, isScalar, parseDocument, visit } from 'yaml';

/** Set once this thread may not read another file safely. */
let spent = false;

/** A file refused by a check of this thread's own (a key twice in one map). */
class RefusedFile extends Error {}

/**
 * A key twice in one map is refused, as yaml's own check does, but with one set per map: yaml
 * compares each key with every earlier one, and a map of 80,000 keys (800 KB) took 100 s.
 */
function read(text) {
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    // yaml reports a stack overflow as RESOURCE_EXHAUSTION; the read after one, in the same isolate,
    // took V8 out of memory compiling a regular expression, which ends the process, not the thread.
    if (doc.errors.some((e) => e.code === 'RESOURCE_EXHAUSTION')) spent = true;
    throw doc.errors[0];
  }
  visit(doc, {
    Map(_, map) {
      const seen = new Set();
      for (const { key } of map.items) {
        // As JSON names it: the keys 1 and "1" are one key once read.
        const k = String(isScalar(key) ? key.value : key);
        if (!seen.has(k)) {
          seen.add(k);
          continue;
        }
        const at = isNode(key) && key.range ? lines.linePos(key.range[0]) : undefined;
        throw new RefusedFile(
          `Map keys must be unique: ${JSON.stringify(String(k))} is repeated${at ? ` at line ${at.line}, column ${at.col}` : ''}`,
        );
      }
    },
  });
  return doc.toJS();
}

/**
 * What is wrong with `value` as read, if anything, walked without recursion, as every copy of it will
 * be walked: nested deeper than `max` levels (handing a very deep one, 2,000 levels of a 10 KB file,
 * back to the main thread failed in the copy, and the import answered a 500), or more values than
 * `maxValues` once its aliases are expanded. A file holds at most a value per byte of its own; aliases
 * let 400 KB name one 200,000-item list 99 times, which yaml's alias limit lets through and the
 * import's checks then walked on the event loop for 9 s.
 */
const isObjectValue = (v) => v !== null && typeof v === 'object';

function problemOf(value, maxDepth, maxValues) {
  const todo = [[value, 1]];
  let values = 0;
  while (todo.length > 0) {
    const [v, depth] = todo.pop();
    if (++values > maxValues) return `its aliases expand it to more than ${maxValues} values`;
    if (v === null || typeof v !== 'object') continue;
    if (depth > maxDepth) return `it is nested deeper than ${maxDepth} levels`;
    // Refused anywhere in the file, as the API's JSON parser refuses them in any body: a schedule's
    // launch data, which no check of the import's reads key by key, kept them.
    if (!Array.isArray(v) && (Object.hasOwn(v, '__proto__') || (isObjectValue(v.constructor) && Object.hasOwn(v.constructor, 'prototype'))))
      return 'it has a __proto__ or constructor.prototype key, which could change how it is read';
    for (const x of Array.isArray(v) ? v : Object.values(v)) todo.push([x, depth + 1]);
  }
  return undefined;
}

parentPort.on('message', ({ text, maxDepth }) => {
  try {
    const value = read(text);
    const problem = problemOf(value, maxDepth, text.length + 10_000);
    if (problem !== undefined) return parentPort.postMessage({ error: problem });
    parentPort.postMessage({ value });
  } catch (e) {
    // After a stack overflow or anything but the file's own fault, the thread is not used again: the
    // reader ends it and starts a fresh one (a new isolate) for the next file.
    const retire = spent || !(e instanceof YAMLError || e instanceof RefusedFile);
    parentPort.postMessage({ error: e instanceof Error ? e.message : String(e), retire });
  }
});
