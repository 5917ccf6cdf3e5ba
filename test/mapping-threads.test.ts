// The threads that evaluate response mappings and process expressions (src/action-types/mapping.ts),
// started from programs run the ways an embedder runs them: an inline ES module script, and a thread
// whose module cannot load. Each runs in a child Node process of its own, as the pool is one per process.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const mapping = new URL('../src/action-types/mapping.ts', import.meta.url).pathname;
const errors = new URL('../src/errors.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'callout-mapping-threads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Evaluates `{ "n": n + 1 }` over `{ n: 1 }` twice, one after the other; prints each result or error. */
const script = `
  import { compileExpression, evaluate } from ${JSON.stringify(mapping)};
  import { Problems } from ${JSON.stringify(errors)};
  const e = compileExpression(new Problems(), '{ "n": n + 1 }', 'response.output');
  for (const i of [1, 2]) {
    try { console.log(JSON.stringify(await evaluate(e, { n: 1 }, { input: {} }))); }
    catch (err) { console.log(err.name + ': ' + err.message); }
  }`;

describe('expression threads', () => {
  it('evaluate from an inline module script (node --input-type=module -e)', async () => {
    // The threads inherited --input-type, which a thread started from a file refuses: each died starting
    // and the evaluation waited for ever.
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 20_000 });
    expect(stdout.trim().split('\n')).toEqual(['{"n":2}', '{"n":2}']);
  });

  it('that cannot start fail the evaluation with the reason, and the next evaluation tries again', async () => {
    // A preload that points the pool's threads at a module that does not exist: each thread dies starting.
    const preload = join(dir, 'missing-worker.mjs');
    writeFileSync(
      preload,
      `import wt from 'node:worker_threads';
       import { syncBuiltinESMExports } from 'node:module';
       const Real = wt.Worker;
       globalThis.__starts = 0;
       wt.Worker = class extends Real {
         constructor(url, options) {
           globalThis.__starts++;
           super(String(url).endsWith('mapping-worker.mjs') ? new URL('./no-such-worker.mjs', url) : url, options);
         }
       };
       syncBuiltinESMExports();`,
    );
    const counted = `${script}\n  console.log('starts ' + globalThis.__starts);`;
    const { stdout } = await run(process.execPath, ['--import', preload, '--import', 'tsx', '--input-type=module', '-e', counted], {
      timeout: 20_000,
    });
    const lines = stdout.trim().split('\n');
    expect(lines.slice(0, 2)).toEqual([
      expect.stringMatching(/^MappingError: response\.output failed: the evaluating thread could not start \(.*no-such-worker/),
      expect.stringMatching(/^MappingError: response\.output failed: the evaluating thread could not start/),
    ]);
    // One start per evaluation, not a loop of them while the evaluation waited.
    expect(lines[2]).toBe('starts 2');
  });
});
