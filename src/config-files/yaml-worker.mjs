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

parentPort.on('message', ({ text }) => {
  try {
    parentPort.postMessage({ value: read(text) });
  } catch (e) {
    parentPort.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
});
