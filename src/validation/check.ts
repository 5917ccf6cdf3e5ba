// Small typed checks for configuration documents: each adds a problem naming the field and returns
// a usable value, so one pass reports every mistake at once.

import { DURATION_HINT, parseDuration } from '../lifecycle/duration.ts';
import type { Problems } from '../errors.ts';
import { headerValueProblem } from './header-value.ts';
import { BLANK_MESSAGE, isBlank } from './blank.ts';

export type Doc = Record<string, unknown>;

export const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

export function obj(p: Problems, v: unknown, field: string, required = true): Doc | undefined {
  if (v === undefined && !required) return undefined;
  if (!isObject(v)) {
    p.add(field, v === undefined ? 'is required' : 'must be an object');
    return undefined;
  }
  return v;
}

export function str(
  p: Problems,
  v: unknown,
  field: string,
  // notBlank: an optional text that, when given, must show something (a title: absent or null is none).
  opts: { required?: boolean; notBlank?: boolean; max?: number; pattern?: RegExp; patternHint?: string } = {},
): string | undefined {
  if (v === undefined || v === null) {
    if (opts.required !== false) p.add(field, 'is required');
    return undefined;
  }
  if (typeof v !== 'string') return void p.add(field, 'must be a string');
  if (opts.required !== false && isBlank(v)) return void p.add(field, 'must not be empty');
  if (opts.notBlank && isBlank(v)) return void p.add(field, BLANK_MESSAGE);
  if (opts.max !== undefined && v.length > opts.max) return void p.add(field, `must be at most ${opts.max} characters`);
  if (opts.pattern && !opts.pattern.test(v)) return void p.add(field, opts.patternHint ?? `must match ${opts.pattern}`);
  return v;
}

export function int(p: Problems, v: unknown, field: string, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max)
    return void p.add(field, `must be an integer from ${min} to ${max}`);
  return v as number;
}

export function duration(p: Problems, v: unknown, field: string, opts: { min?: number; max?: number } = {}): number | undefined {
  if (v === undefined || v === null) return undefined;
  const ms = parseDuration(v);
  if (ms === undefined) return void p.add(field, DURATION_HINT);
  if (opts.min !== undefined && ms < opts.min) return void p.add(field, `must be at least ${opts.min} ms`);
  if (opts.max !== undefined && ms > opts.max) return void p.add(field, `must be at most ${opts.max} ms`);
  return ms;
}

export function stringMap(p: Problems, v: unknown, field: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) {
    p.add(field, 'must be an object of names to string values');
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') p.add(`${field}.${k}`, 'must be a string');
    else out[k] = val;
  }
  return out;
}

/** RFC 9110 `token`: the characters a header name may hold. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers that frame, route or hop the request: set by the HTTP client, never by configuration. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
]);

/** A reason the header name cannot be configured, or undefined when it can. */
export function headerNameProblem(name: string): string | undefined {
  if (!HEADER_NAME.test(name)) return "is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)";
  const lower = name.toLowerCase();
  if (RESERVED_HEADERS.has(lower) || lower.startsWith('proxy-'))
    return 'is a hop-by-hop, framing or routing header, which the HTTP client sets itself';
  return undefined;
}

/** Header names to string values, refusing names and values that could break or redirect a request. */
export function headerMap(p: Problems, v: unknown, field: string, opts: { secret?: boolean } = {}): Record<string, string> {
  const out = stringMap(p, v, field);
  for (const [k, val] of Object.entries(out)) {
    const bad = headerNameProblem(k) ?? headerValueProblem(val, opts);
    if (bad) {
      p.add(`${field}.${k}`, bad);
      delete out[k];
    }
  }
  return out;
}

export function unknownKeys(p: Problems, v: Doc, field: string, known: readonly string[]): void {
  for (const k of Object.keys(v)) if (!known.includes(k)) p.add(field ? `${field}.${k}` : k, 'is not a known setting');
}

// Names and ids share one look-up (`/v1/connectors/{id or name}`, the engine's cache): a name spelling
// an id would take over that object, so names never have the shape of a UUID.
export const NAME_PATTERN = /^(?![0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}$/i;
export const NAME_HINT =
  'must be 1–100 letters, digits, spaces, "_", "." or "-", starting with a letter or digit, and not shaped like an id (a UUID)';
