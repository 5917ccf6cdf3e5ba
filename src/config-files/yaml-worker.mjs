// Reads configuration text (YAML, which also reads JSON) off the event loop: yaml takes about a
// second per megabyte, and a 5 MB import would otherwise hold every request, send and heartbeat of
// the node for that long (yaml-reader.ts). Plain JavaScript: worker threads do not inherit tsx.
import { parentPort } from 'node:worker_threads';
import { LineCounter, isNode, isScalar, parseDocument, visit } from 'yaml';

/**
 * A key twice in one map is refused, as yaml's own check does, but with one set per map: yaml
 * compares each key with every earlier one, and a map of 80,000 keys (800 KB) took 100 s.
 */
function read(text) {
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: false, lineCounter: lines });
  if (doc.errors.length > 0) throw doc.errors[0];
  visit(doc, {
    Map(_, map) {
      const seen = new Set();
      for (const { key } of map.items) {
        const k = isScalar(key) ? key.value : String(key);
        if (!seen.has(k)) {
          seen.add(k);
          continue;
        }
        const at = isNode(key) && key.range ? lines.linePos(key.range[0]) : undefined;
        throw new Error(
          `Map keys must be unique: ${JSON.stringify(String(k))} is repeated${at ? ` at line ${at.line}, column ${at.col}` : ''}`,
        );
      }
    },
  });
  return doc.toJS();
}

/**
 * Whether `value` is nested deeper than `max` levels, walked without recursion: such a value is refused
 * here, as every body is past the API's depth limit, because handing a very deep one (2,000 levels of
 * a 10 KB file) back to the main thread failed in the copy, and the import answered a 500.
 */
function deeperThan(value, max) {
  const todo = [[value, 1]];
  while (todo.length > 0) {
    const [v, depth] = todo.pop();
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const x of Array.isArray(v) ? v : Object.values(v)) todo.push([x, depth + 1]);
  }
  return false;
}

parentPort.on('message', ({ text, maxDepth }) => {
  try {
    const value = read(text);
    if (deeperThan(value, maxDepth)) return parentPort.postMessage({ error: `it is nested deeper than ${maxDepth} levels` });
    parentPort.postMessage({ value });
  } catch (e) {
    parentPort.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
});
