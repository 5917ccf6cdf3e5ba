// Rendering primitives: parsed templates become arrays of constant text and small closures, built
// once per action type, so rendering a request is string concatenation with no parsing.

import { RenderError } from './errors.ts';
import { headerValueProblem } from '../validation/header-value.ts';
import type { FieldSpec, FieldType } from './fields.ts';
import type { JsonNode } from './json.ts';
import type { Segment, Token } from './tokens.ts';

export interface SystemValues {
  callbackUrl: string;
  callbackToken: string;
  actionId: string;
  caseId: string | null;
  idempotencyKey: string;
}

export type Values = Record<string, unknown>;

/** Renders one template to text for one request. */
export type TextRenderer = (values: Values, system: SystemValues) => string;

/** One token bound to where its value comes from. `read` gives undefined or null when there is none. */
export interface Slot {
  /** The field name, or the system token with its `$` ("$callbackUrl"): what an error names. */
  name: string;
  type: FieldType | 'system';
  read(values: Values, system: SystemValues): unknown;
}

export function slotFor(token: Token, fields: Record<string, FieldSpec>): Slot {
  const { name } = token;
  if (token.system) {
    const key = name.slice(1) as keyof SystemValues;
    return { name, type: 'system', read: (_values, system) => system[key] };
  }
  const spec = fields[name];
  if (spec === undefined) throw new Error(`internal: token ${name} has no field`);
  const fallback = spec.default;
  return {
    name,
    type: spec.type,
    // The default again here so a 'Test action' with partial sample values renders like a launch.
    read(values) {
      const value = Object.hasOwn(values, name) ? values[name] : undefined;
      return value === undefined || value === null ? fallback : value;
    },
  };
}

/** A value as text inside a longer string, a URL, a header or a form: missing is empty, JSON is JSON. */
export function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * Compiles segments to a renderer. `place` turns each token's text into what goes in the output
 * (percent-encoding, header checks); literal text is used as written.
 */
export function compileText(
  segments: readonly Segment[],
  slot: (token: Token) => Slot,
  place?: (text: string, slot: Slot) => string,
): TextRenderer {
  const parts = segments.map((s) => (typeof s === 'string' ? s : slot(s)));
  if (parts.length === 0) return () => '';
  if (parts.length === 1 && typeof parts[0] === 'string') {
    const constant = parts[0];
    return () => constant;
  }
  return (values, system) => {
    let out = '';
    for (const part of parts) {
      if (typeof part === 'string') out += part;
      else {
        const text = toText(part.read(values, system));
        out += place === undefined ? text : place(text, part);
        if (out.length > MAX_RENDERED_CHARS) throw tooLarge(part.name);
      }
    }
    return out;
  };
}

/**
 * Characters one rendered text (a body, a path, a header) may reach. Inputs are bounded, but a
 * template may repeat a token: 1,000 copies of a 200 KB field built a 200 MB body in 11 s.
 */
export const MAX_RENDERED_CHARS = 10 * 1024 * 1024;

const tooLarge = (field: string): RenderError =>
  new RenderError(
    field,
    'request',
    `the rendered request would be more than ${MAX_RENDERED_CHARS.toLocaleString('en-US')} characters long`,
  );

/** For paths and URLs: every token is percent-encoded, in the query part too. */
export function percentEncode(location: string): (text: string, slot: Slot) => string {
  return (text, slot) => {
    try {
      return encodeURIComponent(text);
    } catch {
      // encodeURIComponent throws URIError on a lone surrogate; say which field instead.
      throw new RenderError(slot.name, location, 'contains a character that cannot be encoded in a URL (a lone surrogate)');
    }
  };
}

/** A value that is nothing but dots, also percent-encoded ("..", "%2e%2E", "%252e"). */
const ONLY_DOTS = /^(?:\.|%(?:25)*2e)+$/i;
export const DOT_SEGMENT_REASON =
  'would become a "." or ".." path segment, which changes the path (dot segments are not allowed in a path)';

/**
 * For the path template: tokens are percent-encoded (so no "/", "?", "#" or control character gets
 * out) and a value that would make a whole "." or ".." segment is refused, since the URL parser
 * would silently move the request elsewhere ("/tickets/{{ Id }}/close" with Id ".." is "/close").
 */
export function compilePath(segments: readonly Segment[], slot: (token: Token) => Slot, location = 'path'): TextRenderer {
  const encode = percentEncode(location);
  const parts = segments.map((s) => (typeof s === 'string' ? s : slot(s)));
  if (parts.every((p) => typeof p === 'string')) {
    const constant = parts.join('');
    return () => constant;
  }
  return (values, system) => {
    let out = '';
    let dots: Array<[start: number, end: number, field: string]> | undefined;
    for (const part of parts) {
      if (typeof part === 'string') out += part;
      else {
        const raw = toText(part.read(values, system));
        // Only a value of dots alone can form a dot segment (encoding keeps "/" out of it): rare, so the check is here.
        if (raw !== '' && ONLY_DOTS.test(raw)) (dots ??= []).push([out.length, out.length + raw.length, part.name]);
        out += encode(raw, part);
        if (out.length > MAX_RENDERED_CHARS) throw tooLarge(part.name);
      }
    }
    if (dots !== undefined) refuseDotSegments(out, dots, location);
    return out;
  };
}

/** "." or ".." once percent-encoded dots ("%2e", also double-encoded "%252e") are read as dots. */
export function isDotSegment(segment: string): boolean {
  const s = segment.length <= 2 ? segment : segment.replace(/%(?:25)*2e/gi, '.');
  return s === '.' || s === '..';
}

function refuseDotSegments(out: string, dots: Array<[number, number, string]>, location: string): void {
  const q = out.search(/[?#]/);
  const pathEnd = q === -1 ? out.length : q;
  for (const [start, , field] of dots) {
    if (start >= pathEnd) continue; // in the query: dots are plain data there
    // URL parsers split http paths on "\\" as well as "/".
    let from = start;
    while (from > 0 && out[from - 1] !== '/' && out[from - 1] !== '\\') from--;
    let to = start;
    while (to < pathEnd && out[to] !== '/' && out[to] !== '\\') to++;
    if (isDotSegment(out.slice(from, to))) throw new RenderError(field, location, DOT_SEGMENT_REASON);
  }
}

/** For header values: a value that could end the header and start another, or that HTTP cannot carry, is refused. */
export function headerSafe(location: string): (text: string, slot: Slot) => string {
  return (text, slot) => {
    const problem = headerValueProblem(text);
    if (problem !== undefined) throw new RenderError(slot.name, location, problem);
    return text;
  };
}

/**
 * Compiles a JSON template tree to one renderer. The output is what JSON.stringify would write for
 * the rendered tree, but constant parts are written once at compile time, and every dynamic value
 * goes through JSON.stringify, so escaping is correct by construction.
 */
export function compileJson(root: JsonNode, slot: (token: Token) => Slot): TextRenderer {
  const parts: Array<string | TextRenderer> = [];
  const text = (s: string): void => {
    const last = parts.length - 1;
    if (last >= 0 && typeof parts[last] === 'string') parts[last] += s;
    else parts.push(s);
  };
  const emit = (node: JsonNode): void => {
    switch (node.kind) {
      case 'literal':
        text(node.json);
        return;
      case 'string': {
        const [only] = node.segments;
        if (node.segments.length === 1 && only !== undefined && typeof only !== 'string') {
          parts.push(wholeValue(slot(only)));
        } else {
          const inner = compileText(node.segments, slot);
          parts.push((values, system) => JSON.stringify(inner(values, system)));
        }
        return;
      }
      case 'object':
        text('{');
        node.entries.forEach(({ key, value }, i) => {
          text(`${i === 0 ? '' : ','}${JSON.stringify(key)}:`);
          emit(value);
        });
        text('}');
        return;
      case 'array':
        text('[');
        node.items.forEach((item, i) => {
          if (i > 0) text(',');
          emit(item);
        });
        text(']');
        return;
    }
  };
  emit(root);

  const [first] = parts;
  if (parts.length === 1 && typeof first === 'string') return () => first;
  return (values, system) => {
    let out = '';
    for (const part of parts) {
      out += typeof part === 'string' ? part : part(values, system);
      if (out.length > MAX_RENDERED_CHARS) throw tooLarge('body');
    }
    return out;
  };
}

/** A string that is exactly one token: the field's typed value, and null when there is none. */
function wholeValue(slot: Slot): TextRenderer {
  switch (slot.type) {
    case 'string':
    case 'date':
    case 'datetime':
    case 'system':
      return (values, system) => {
        const value = slot.read(values, system);
        return value === undefined || value === null ? 'null' : JSON.stringify(toText(value));
      };
    default:
      return (values, system) => {
        const value = slot.read(values, system);
        return value === undefined || value === null ? 'null' : (JSON.stringify(value) ?? 'null');
      };
  }
}

/** Compiles form fields to an `application/x-www-form-urlencoded` renderer. */
export function compileForm(fields: ReadonlyArray<[key: string, value: TextRenderer]>): TextRenderer {
  return (values, system) => {
    const params = new URLSearchParams();
    let chars = 0;
    for (const [key, value] of fields) {
      const text = value(values, system);
      chars += key.length + text.length;
      if (chars > MAX_RENDERED_CHARS) throw tooLarge(key);
      params.append(key, text);
    }
    // Percent-encoding can make a character nine: the bound holds for what is sent, too.
    const encoded = params.toString();
    if (encoded.length > MAX_RENDERED_CHARS) throw tooLarge(fields.at(-1)![0]);
    return encoded;
  };
}
