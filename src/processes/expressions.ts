// Process expressions (`when`, `input`, `expression`): JSONata over
// `{ case: <case data>, steps: { <name>: { output, status } } }`, compiled once per text and run with
// limits on time, depth, sequence length and result size, so a builder's expression cannot hold the
// engine up or write an unbounded value into case data. Evaluation runs in the worker pool of
// action-types/mapping.ts, never on the main thread: a regex that backtracks for ever or one huge
// native step is ended by terminating its worker, not by freezing the process.

import jsonata from 'jsonata';
import { MappingError, evaluateLimited } from '../action-types/mapping.ts';

export interface ExpressionLimits {
  /** Wall-clock budget for one evaluation, in ms. @default 250 */
  timeoutMs: number;
  /** Deepest nesting of the evaluator (recursion guard). @default 200 */
  maxStack: number;
  /** Longest sequence an expression may build. @default 100000 */
  maxSequence: number;
  /** Largest result, as JSON characters. @default 1000000 */
  maxResultChars: number;
}

export const DEFAULT_EXPRESSION_LIMITS: Readonly<ExpressionLimits> = Object.freeze({
  timeoutMs: 250,
  maxStack: 200,
  maxSequence: 100_000,
  maxResultChars: 1_000_000,
});

/** Why an expression could not be compiled or evaluated; `position` is JSONata's character offset. */
export class ExpressionError extends Error {
  readonly code = 'EXPRESSION_FAILED';
  readonly position: number | undefined;
  constructor(message: string, position?: number) {
    super(message);
    this.name = 'ExpressionError';
    this.position = position;
  }
}

type Compiled = ReturnType<typeof jsonata>;

// Compiled expressions by text: a process's few expressions run for every case. Bounded so
// many distinct texts (one-off previews, changed processes) cannot grow it without end.
const CACHE_SIZE = 500;
const cache = new Map<string, Compiled>();

function jsonataMessage(e: unknown): { message: string; position: number | undefined } {
  const err = e as { message?: unknown; position?: unknown };
  const message = typeof err?.message === 'string' ? err.message : String(e);
  return { message, position: typeof err?.position === 'number' ? err.position : undefined };
}

/** Parses `text`, throwing ExpressionError with the position of a syntax error. */
export function compileExpressionText(text: string, limits: ExpressionLimits = DEFAULT_EXPRESSION_LIMITS): Compiled {
  const key = `${limits.timeoutMs}/${limits.maxStack}/${limits.maxSequence}\u0000${text}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Refresh its place so the cache drops the least recently used text first.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  let compiled: Compiled;
  try {
    compiled = jsonata(text, { timeout: limits.timeoutMs, stack: limits.maxStack, sequence: limits.maxSequence });
  } catch (e) {
    const { message, position } = jsonataMessage(e);
    throw new ExpressionError(`is not a valid JSONata expression at position ${position ?? 0}: ${message}`, position);
  }
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(key, compiled);
  return compiled;
}

/** Evaluates `expr` over `input`; undefined (no match) is returned as null. Throws ExpressionError. */
export async function evaluateExpression(
  expr: string,
  input: unknown,
  limits: ExpressionLimits = DEFAULT_EXPRESSION_LIMITS,
): Promise<unknown> {
  // Parsed here first: a syntax error keeps its position, and the worker gets only valid text.
  compileExpressionText(expr, limits);
  let result: unknown;
  try {
    result = await evaluateLimited(
      { source: expr, field: 'expression' },
      input ?? {},
      {},
      {
        timeLimitMs: limits.timeoutMs,
        depthLimit: limits.maxStack,
        sequenceLimit: limits.maxSequence,
        refuseFunctions: true,
      },
    );
  } catch (e) {
    if (!(e instanceof MappingError)) throw e;
    const message = e.message.replace(/^expression (failed: )?/, '');
    throw new ExpressionError(e.limit === 'time' ? `evaluation timeout: ${message}` : message);
  }
  return toJson(result, limits.maxResultChars);
}

/**
 * The plain JSON form of a result: JSONata sequences become arrays, functions are refused, and the
 * size is checked on the serialised text (the form the store would write).
 */
function toJson(result: unknown, maxChars: number): unknown {
  if (result === undefined) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(result, (_key, value: unknown) => {
      // JSONata lambdas and built-in functions are objects marked by these properties.
      if (
        typeof value === 'function' ||
        (typeof value === 'object' && value !== null && ('_jsonata_lambda' in value || '_jsonata_function' in value))
      ) {
        throw new ExpressionError('yields a function, not a value');
      }
      return value;
    });
  } catch (e) {
    if (e instanceof ExpressionError) throw e;
    throw new ExpressionError(`yields a value that is not JSON: ${jsonataMessage(e).message}`);
  }
  if (text === undefined) return null;
  if (text.length > maxChars) throw new ExpressionError(`yields ${text.length} characters of JSON, more than the limit of ${maxChars}`);
  return JSON.parse(text) as unknown;
}
