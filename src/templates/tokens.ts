// Lexer for `{{ Name }}` tokens: splits template text into literal text and tokens, with `\{{` as the
// escape for a literal `{{`, and reports a bad token with its 0-based position.

import { TemplateError } from './errors.ts';

/** The tokens Callout fills in itself; every other `$name` is refused so a typo cannot render empty. */
export const SYSTEM_TOKENS = ['$callbackUrl', '$callbackToken', '$actionId', '$caseId', '$idempotencyKey'] as const;
export type SystemToken = (typeof SYSTEM_TOKENS)[number];

const SYSTEM_SET: ReadonlySet<string> = new Set(SYSTEM_TOKENS);

export function isSystemToken(name: string): name is SystemToken {
  return SYSTEM_SET.has(name);
}

export interface Token {
  /** As written, without braces or spaces: "Priority", "$callbackUrl". */
  name: string;
  system: boolean;
  /** Offset of the opening `{{` in the template text. */
  position: number;
}

/** Literal text (escapes already resolved) or a token; adjacent text is merged, empty text omitted. */
export type Segment = string | Token;

const NAME_CHAR = /^[\p{L}\p{Nd}_.-]$/u;
const NAME = /^[\p{L}\p{Nd}_.-]+$/u;
const NAME_RULE = "names may contain letters, digits, '_', '-' and '.'";

/** Why `name` cannot be a field name, or undefined when it can. Shared with field declarations. */
export function fieldNameProblem(name: string): string | undefined {
  if (name === '') return 'empty field name';
  if (name.startsWith('$')) return `names beginning with '$' are system tokens (${SYSTEM_TOKENS.join(', ')})`;
  // A field becomes a key of the input object; this one would replace its prototype instead.
  if (name === '__proto__') return `"__proto__" is a reserved name`;
  if (!NAME.test(name)) return `invalid field name "${name}": ${NAME_RULE}`;
  return undefined;
}

/** Splits a plain template (path, header value, form value). A backslash is literal unless it precedes `{{`. */
export function parseTemplate(text: string, location: string): Segment[] {
  return scan(text, 0, text.length, location, false);
}

/**
 * Splits the raw content of a JSON string literal, text[start, end) between its quotes, resolving
 * JSON escapes. `\{{` is checked before JSON escapes: `\{` is not a JSON escape, so nothing clashes.
 */
export function parseJsonStringContent(text: string, start: number, end: number, location: string): Segment[] {
  return scan(text, start, end, location, true);
}

export function tokensOf(segments: readonly Segment[]): Token[] {
  return segments.filter((s): s is Token => typeof s !== 'string');
}

function scan(text: string, start: number, end: number, location: string, json: boolean): Segment[] {
  const segments: Segment[] = [];
  let buf = '';
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) {
      if (text.startsWith('{{', i + 1) && i + 3 <= end) {
        buf += '{{';
        i += 3;
        continue;
      }
      if (!json) {
        buf += '\\';
        i += 1;
        continue;
      }
      const [decoded, length] = jsonEscape(text, i, end, location);
      buf += decoded;
      i += length;
      continue;
    }
    if (c === 0x7b /* { */ && text.charCodeAt(i + 1) === 0x7b && i + 1 < end) {
      const { token, next } = readToken(text, i, end, location, json);
      if (buf !== '') segments.push(buf);
      buf = '';
      segments.push(token);
      i = next;
      continue;
    }
    if (json && c < 0x20) throw controlCharacter(location, i);
    buf += text[i];
    i += 1;
  }
  if (buf !== '') segments.push(buf);
  return segments;
}

function readToken(text: string, open: number, end: number, location: string, json: boolean): { token: Token; next: number } {
  const close = text.indexOf('}}', open + 2);
  const reopen = text.indexOf('{{', open + 2);
  if (close === -1 || close + 2 > end || (reopen !== -1 && reopen < close)) {
    throw new TemplateError(location, open, "unclosed token: expected '}}'");
  }
  let s = open + 2;
  let e = close;
  if (json) {
    for (let k = s; k < e; k++) if (text.charCodeAt(k) < 0x20) throw controlCharacter(location, k);
  }
  while (s < e && isSpace(text.charCodeAt(s))) s++;
  while (e > s && isSpace(text.charCodeAt(e - 1))) e--;
  if (s === e) throw new TemplateError(location, open, "empty token name: write '{{ Name }}'");
  const name = text.slice(s, e);
  checkTokenName(name, location, open, s);
  return { token: { name, system: name.startsWith('$'), position: open }, next: close + 2 };
}

function checkTokenName(name: string, location: string, open: number, nameStart: number): void {
  const system = name.startsWith('$');
  const body = system ? name.slice(1) : name;
  if (system && body === '') throw new TemplateError(location, open, "empty system token name after '$'");
  if (name === '__proto__') throw new TemplateError(location, nameStart, '"__proto__" is a reserved name');
  // Walk by code point so the reported position is the offending character itself.
  let offset = system ? 1 : 0;
  for (const ch of body) {
    if (!NAME_CHAR.test(ch)) {
      throw new TemplateError(location, nameStart + offset, `invalid token name "${name}": ${NAME_RULE}`);
    }
    offset += ch.length;
  }
  if (system && !isSystemToken(name)) {
    throw new TemplateError(location, open, `unknown system token "${name}": known are ${SYSTEM_TOKENS.join(', ')}`);
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** Decodes the JSON escape at text[i] (a backslash); returns the text and how many characters it used. */
function jsonEscape(text: string, i: number, end: number, location: string): [string, number] {
  const e = i + 1 < end ? text[i + 1] : undefined;
  if (e !== undefined) {
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) return [simple, 2];
    if (e === 'u') {
      const hex = text.slice(i + 2, i + 6);
      if (i + 6 <= end && /^[0-9a-fA-F]{4}$/.test(hex)) return [String.fromCharCode(parseInt(hex, 16)), 6];
      throw new TemplateError(location, i, 'invalid JSON: \\u must be followed by four hex digits');
    }
  }
  throw new TemplateError(
    location,
    i,
    `invalid JSON: invalid escape '\\${e ?? ''}' in string (write '\\{{' for a literal '{{', '\\\\' for a backslash)`,
  );
}

function controlCharacter(location: string, i: number): TemplateError {
  return new TemplateError(location, i, 'invalid JSON: control character in string (write it as an escape such as \\n)');
}
