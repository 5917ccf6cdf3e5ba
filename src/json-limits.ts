// Size and depth limits for JSON values from outside (launch input, callback data, case data) and
// for what Callout derives from them (mapped outputs, timeline data). Checked without recursion, so
// a value nested a million levels deep is refused rather than overflowing the stack of whoever
// serialises it later (a shared write batch, the HTTP reply).

import { Problems } from './errors.ts';

/** Deepest nesting of objects and arrays accepted from outside and kept. */
export const MAX_JSON_DEPTH = 32;
/** Largest launch input and case data, as JSON. */
export const MAX_INPUT_BYTES = 256 * 1024;
/** Largest callback `data`, as JSON: a mapping may reduce it to a smaller output. */
export const MAX_CALLBACK_DATA_BYTES = 1024 * 1024;
/** Largest action output (mapped, or the body/data itself when there is no mapping). */
export const MAX_OUTPUT_BYTES = 256 * 1024;
/**
 * Largest total of a case's step outputs, as JSON: kept on the case beside its data (for later steps'
 * expressions, `steps.<name>.output`), rewritten with it at every step and handed whole to every
 * expression. Each output is within MAX_OUTPUT_BYTES; four of the largest fit.
 */
export const MAX_STEP_OUTPUTS_BYTES = 1024 * 1024;
/** Longest callback reason, message text or heartbeat note, in characters. */
export const MAX_TEXT_CHARS = 10_000;
/** Longest external reference, in characters. */
export const MAX_REFERENCE_CHARS = 1000;
/** Largest data kept in one timeline entry; larger data is kept as an excerpt. */
export const MAX_TIMELINE_DATA_BYTES = 16 * 1024;

export interface JsonLimits {
  maxDepth: number;
  maxBytes: number;
}

/** "256 KB", "1 MB": how a limit reads in a problem. */
export function describeBytes(n: number): string {
  if (n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MB`;
  return n % 1024 === 0 ? `${n / 1024} KB` : `${n} bytes`;
}

/**
 * What is wrong with `value` as JSON within `limits` ("is nested deeper than 32 levels", "is larger
 * than 256 KB as JSON"), or undefined when it fits. The size is that of its compact UTF-8 JSON text
 * (JSON.stringify's), abandoned as soon as the limit is passed.
 */
export function jsonProblem(value: unknown, limits: JsonLimits): string | undefined {
  const size = jsonSize(value, limits);
  return typeof size === 'string' ? size : undefined;
}

/** jsonProblem's measure: the value's size as compact JSON in bytes when it fits, else the problem. */
export function jsonSize(value: unknown, limits: JsonLimits): number | string {
  let bytes = 0;
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (v === null || v === undefined || v === true)
      bytes += 4; // null (undefined in an array), true
    else if (v === false) bytes += 5;
    // A number as JSON writes it (at most 24 characters; NaN and Infinity as null).
    else if (typeof v === 'number') bytes += Number.isFinite(v) ? String(v).length : 4;
    else if (typeof v === 'string') bytes += v.length > limits.maxBytes ? v.length : jsonBytes(v);
    else if (typeof v === 'bigint') bytes += String(v).length;
    else if (typeof v === 'object') {
      if (depth >= limits.maxDepth) return `is nested deeper than ${limits.maxDepth} levels`;
      if (Array.isArray(v)) {
        bytes += 2 + Math.max(0, v.length - 1); // brackets and commas
        for (let i = v.length - 1; i >= 0 && bytes <= limits.maxBytes; i--) stack.push({ v: v[i], depth: depth + 1 });
      } else {
        // JSON leaves out members whose value is undefined (or a function).
        const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined && typeof x !== 'function');
        bytes += 2 + Math.max(0, entries.length - 1); // braces and commas
        for (let i = entries.length - 1; i >= 0 && bytes <= limits.maxBytes; i--) {
          const [k, x] = entries[i]!;
          bytes += jsonBytes(k) + 1; // the key and its colon
          stack.push({ v: x, depth: depth + 1 });
        }
      }
    }
    if (bytes > limits.maxBytes) return `is larger than ${describeBytes(limits.maxBytes)} as JSON`;
  }
  return bytes;
}

/**
 * Whether the value parsed from JSON `text` is certainly within `limits`, without walking it: no
 * more brackets than levels allowed, and at most a third as many characters as bytes allowed (UTF-8
 * takes at most 3 bytes per UTF-16 unit, and serialising parsed JSON again never lengthens it).
 * A quick yes for the small answers most sends get; no means "check the value" (jsonProblem).
 */
export function jsonTextWithin(text: string, limits: JsonLimits): boolean {
  if (text.length * 3 > limits.maxBytes) return false;
  let brackets = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c === 123 || c === 91) && ++brackets > limits.maxDepth) return false;
  }
  return true;
}

/**
 * `value` itself when its JSON fits `maxBytes`, or an excerpt of it: a timeline keeps what came in
 * without one large callback making every read of the timeline large. The value is already known to
 * be within the depth limit (it passed the boundary); one that is not is not kept.
 */
export function jsonExcerpt(value: unknown, maxBytes = MAX_TIMELINE_DATA_BYTES): unknown {
  const problem = jsonProblem(value, { maxDepth: MAX_JSON_DEPTH, maxBytes });
  if (problem === undefined) return value;
  // Too deep to serialise safely (only a caller past the boundary checks could pass one).
  if (problem.includes('deeper')) return { excerpt: `not kept: ${problem}` };
  const text = JSON.stringify(value);
  return { excerpt: `${text.slice(0, Math.min(4096, maxBytes))}…`, bytes: Buffer.byteLength(text) };
}

/** The start of `text`, at most `max` characters, marked with … when cut. */
export const textExcerpt = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}…` : text);

/** A string's size as JSON text: escapes count (150,000 quotes are 300 KB). */
const jsonBytes = (s: string): number => Buffer.byteLength(JSON.stringify(s));

/** A launch's (or a sample launch's) `input`. */
export const INPUT_LIMITS: JsonLimits = { maxDepth: MAX_JSON_DEPTH, maxBytes: MAX_INPUT_BYTES };
/** Any other field of a launch: small scalars, but checked before the body is hashed or looked at. */
export const FIELD_LIMITS: JsonLimits = { maxDepth: MAX_JSON_DEPTH, maxBytes: 4096 };

/** Size and depth of a launch body, field by field, before anything else reads it. */
export function checkLaunchLimits(req: unknown): void {
  if (typeof req !== 'object' || req === null || Array.isArray(req)) return;
  const p = new Problems();
  for (const [k, v] of Object.entries(req)) {
    const problem = jsonProblem(v, k === 'input' ? INPUT_LIMITS : FIELD_LIMITS);
    if (problem) p.add(k, problem);
  }
  p.throwIfAny();
}
