// The thread that evaluates JSONata mappings (see mapping.ts). Plain JavaScript so it starts the same
// under tsx, vitest and node. One job at a time: JSONata's own guardrails stop a runaway expression
// between steps (time, depth, sequence length) and the exit hook stops values that grow too large;
// a single native step that never returns (a regex backtracking, $pad of a billion) is ended by the
// main thread terminating this worker.

import { parentPort, workerData } from 'node:worker_threads';
import jsonata from 'jsonata';

const { timeLimitMs, depthLimit, sequenceLimit, resultLimitBytes } = workerData;
const EXIT = Symbol.for('jsonata.__evaluate_exit');
const compiled = new Map();

class LimitError extends Error {
  constructor(limit, message) {
    super(message);
    this.limit = limit;
  }
}

/** Stops a value from growing past the limits while it is built, not only at the end. */
function checkStep(_expr, _input, _env, result) {
  if (typeof result === 'string' && result.length > resultLimitBytes)
    throw new LimitError('size', `built a string longer than ${resultLimitBytes} characters`);
  if (Array.isArray(result) && result.length > sequenceLimit)
    throw new LimitError('size', `built a list of more than ${sequenceLimit} items`);
}

/** A job may ask for tighter limits than the pool's (process expressions); the cache keeps them apart. */
function expressionOf(source, limits) {
  const time = limits?.timeLimitMs ?? timeLimitMs;
  const stack = limits?.depthLimit ?? depthLimit;
  const sequence = limits?.sequenceLimit ?? sequenceLimit;
  const key = `${time}/${stack}/${sequence}\u0000${source}`;
  let expr = compiled.get(key);
  if (!expr) {
    expr = jsonata(source, { timeout: time, stack, sequence });
    expr.assign(EXIT, checkStep);
    // Action types are few; the cache only needs a bound against a builder changing one endlessly.
    if (compiled.size >= 1000) compiled.clear();
    compiled.set(key, expr);
  }
  return expr;
}

class FunctionResult extends Error {}

/** JSON of a result; with `refuseFunctions`, a function (a JSONata lambda or built-in) is an error, not dropped. */
function toJson(result, refuseFunctions) {
  if (!refuseFunctions) return JSON.stringify(result);
  return JSON.stringify(result, (_key, value) => {
    if (
      typeof value === 'function' ||
      (typeof value === 'object' && value !== null && ('_jsonata_lambda' in value || '_jsonata_function' in value))
    )
      throw new FunctionResult('yields a function, not a value');
    return value;
  });
}

/** V8's stack overflow (other RangeErrors are an array's or a string's length: said as they are). */
const stackOverflow = (err) => err instanceof RangeError && /call stack/i.test(err.message);

/** Which limit a JSONata error is about, if any. */
function limitOf(err) {
  if (err instanceof LimitError) return err.limit;
  switch (err?.code) {
    case 'D1012':
      return 'time';
    case 'D1011':
    case 'U1001':
      return 'depth';
    case 'D2014':
    case 'D2015':
      return 'size';
    default:
      return stackOverflow(err) ? 'depth' : undefined;
  }
}

parentPort.on('message', async (job) => {
  try {
    const result = await expressionOf(job.source, job.limits).evaluate(job.input, job.bindings);
    const json = result === undefined ? undefined : toJson(result, job.limits?.refuseFunctions === true);
    if (json !== undefined && Buffer.byteLength(json) > resultLimitBytes)
      throw new LimitError('size', `produced a result larger than ${resultLimitBytes / 1024} KB as JSON`);
    parentPort.postMessage({ id: job.id, json });
  } catch (err) {
    const limit = limitOf(err);
    const message =
      err?.code === 'D2014' || err?.code === 'D2015'
        ? `built a list of more than ${sequenceLimit} items`
        : stackOverflow(err)
          ? 'nested too deeply'
          : (err?.message ?? String(err));
    // A RangeError is V8's (the stack, an array or string past its length), not JSONata's: the isolate
    // is not used again. yaml's stack overflow left one whose next regular expression ended the process.
    parentPort.postMessage({ id: job.id, error: { message, limit }, retire: err instanceof RangeError });
  }
});

// Jobs are sent only after this: a cold start (loading JSONata on a busy machine) must not count
// against the first job's deadline.
parentPort.postMessage({ ready: true });
