// Parser of JSON body templates: the template is JSON with tokens inside strings, parsed once into a
// tree so rendering is structural (typed values, correct escaping) and errors carry positions.

import { TemplateError } from './errors.ts';
import { parseJsonStringContent, type Segment } from './tokens.ts';

export type JsonNode =
  /** Constant JSON text, already compact: a number as written, true/false/null, a string without tokens. */
  | { kind: 'literal'; json: string }
  /** A string holding at least one token; exactly one token and no text means "the field's typed value". */
  | { kind: 'string'; segments: Segment[] }
  | { kind: 'object'; entries: Array<{ key: string; value: JsonNode }> }
  | { kind: 'array'; items: JsonNode[] };

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const BARE_TOKEN = /\{\{\s*\$?[\p{L}\p{Nd}_.-]+\s*\}\}/uy;

export function parseJsonTemplate(text: string, location: string): JsonNode {
  return new JsonTemplateParser(text, location).parseDocument();
}

/** Deepest nesting of objects and arrays in a JSON body template. */
const MAX_TEMPLATE_DEPTH = 64;

class JsonTemplateParser {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly location: string,
  ) {}

  parseDocument(): JsonNode {
    const node = this.parseValue();
    this.skipWhitespace();
    if (this.pos < this.text.length) this.fail(this.pos, 'unexpected content after the JSON value');
    return node;
  }

  private parseValue(): JsonNode {
    this.skipWhitespace();
    const { text, pos } = this;
    if (pos >= text.length) this.fail(pos, 'unexpected end of the template, expected a value');
    const c = text[pos];
    switch (c) {
      case '{':
        BARE_TOKEN.lastIndex = pos;
        if (BARE_TOKEN.test(text)) {
          throw new TemplateError(
            this.location,
            pos,
            'a token must be inside a JSON string, e.g. "{{ Priority }}" (a string that is exactly one token takes the field\'s typed value)',
          );
        }
        return this.nested(pos, () => this.parseObject());
      case '[':
        return this.nested(pos, () => this.parseArray());
      case '"':
        return this.parseString();
      case 't':
        return this.parseWord('true');
      case 'f':
        return this.parseWord('false');
      case 'n':
        return this.parseWord('null');
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.parseNumber();
        return this.fail(pos, `unexpected character ${describe(c)}, expected a value`);
    }
  }

  /** The parser recurses: a template deeper than any real body is refused instead of overflowing the stack. */
  private nested(pos: number, parse: () => JsonNode): JsonNode {
    if (this.depth >= MAX_TEMPLATE_DEPTH) this.fail(pos, `the template is nested deeper than ${MAX_TEMPLATE_DEPTH} levels`);
    this.depth++;
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  private parseObject(): JsonNode {
    const entries: Array<{ key: string; value: JsonNode }> = [];
    const seen = new Set<string>();
    this.pos += 1;
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos += 1;
      return { kind: 'literal', json: '{}' };
    }
    for (;;) {
      this.skipWhitespace();
      const keyStart = this.pos;
      if (this.text[keyStart] !== '"') {
        this.fail(keyStart, `expected a string key, found ${describe(this.text[keyStart])}`);
      }
      const key = this.parseKey();
      // JSON.parse would silently keep the last one; in a template a duplicate is always a mistake.
      if (seen.has(key)) throw new TemplateError(this.location, keyStart, `duplicate key "${key}"`);
      seen.add(key);
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') this.fail(this.pos, `expected ':' after the key "${key}", found ${describe(this.text[this.pos])}`);
      this.pos += 1;
      entries.push({ key, value: this.parseValue() });
      this.skipWhitespace();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos += 1;
        continue;
      }
      if (c === '}') {
        this.pos += 1;
        return { kind: 'object', entries };
      }
      this.fail(this.pos, `expected ',' or '}' after a value in an object, found ${describe(c)}`);
    }
  }

  private parseArray(): JsonNode {
    const items: JsonNode[] = [];
    this.pos += 1;
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos += 1;
      return { kind: 'literal', json: '[]' };
    }
    for (;;) {
      items.push(this.parseValue());
      this.skipWhitespace();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos += 1;
        continue;
      }
      if (c === ']') {
        this.pos += 1;
        return { kind: 'array', items };
      }
      this.fail(this.pos, `expected ',' or ']' after a value in an array, found ${describe(c)}`);
    }
  }

  private parseKey(): string {
    const segments = this.stringSegments();
    let key = '';
    for (const s of segments) {
      if (typeof s !== 'string') {
        throw new TemplateError(this.location, s.position, 'tokens are not allowed in object keys, only in string values');
      }
      key += s;
    }
    return key;
  }

  private parseString(): JsonNode {
    const segments = this.stringSegments();
    if (segments.every((s) => typeof s === 'string')) {
      return { kind: 'literal', json: JSON.stringify(segments.join('')) };
    }
    return { kind: 'string', segments };
  }

  /** Reads the string literal at pos (its opening quote) and leaves pos after its closing quote. */
  private stringSegments(): Segment[] {
    const { text } = this;
    const open = this.pos;
    let i = open + 1;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) this.fail(open, "unterminated string: expected a closing '\"'");
    this.pos = i + 1;
    return parseJsonStringContent(text, open + 1, i, this.location);
  }

  private parseNumber(): JsonNode {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (match === null) return this.fail(this.pos, 'invalid number');
    this.pos += match[0].length;
    // Kept as written so large integers and decimals pass through without float rounding.
    return { kind: 'literal', json: match[0] };
  }

  private parseWord(word: 'true' | 'false' | 'null'): JsonNode {
    if (!this.text.startsWith(word, this.pos)) {
      this.fail(this.pos, `unexpected character ${describe(this.text[this.pos])}, expected a value`);
    }
    this.pos += word.length;
    return { kind: 'literal', json: word };
  }

  private skipWhitespace(): void {
    const { text } = this;
    let i = this.pos;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i += 1;
      else break;
    }
    this.pos = i;
  }

  private fail(position: number, reason: string): never {
    throw new TemplateError(this.location, position, `invalid JSON: ${reason}`);
  }
}

function describe(c: string | undefined): string {
  return c === undefined ? 'the end of the template' : `'${c}'`;
}
