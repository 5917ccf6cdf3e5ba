import { describe, expect, it } from 'vitest';
import { TemplateError } from './errors.ts';
import { parseJsonTemplate } from './json.ts';

function errorOf(template: string): TemplateError {
  try {
    parseJsonTemplate(template, 'body.template');
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error(`expected a TemplateError for ${template}`);
}

describe('JSON body templates', () => {
  it('parse into a tree where strings with tokens are kept as segments', () => {
    expect(parseJsonTemplate('{"a": "{{ A }}", "b": [1, "x{{B}}"], "c": {}}', 'body.template')).toEqual({
      kind: 'object',
      entries: [
        { key: 'a', value: { kind: 'string', segments: [{ name: 'A', system: false, position: 7 }] } },
        {
          key: 'b',
          value: {
            kind: 'array',
            items: [
              { kind: 'literal', json: '1' },
              { kind: 'string', segments: ['x', { name: 'B', system: false, position: 28 }] },
            ],
          },
        },
        { key: 'c', value: { kind: 'literal', json: '{}' } },
      ],
    });
  });

  it('strings without tokens and numbers become constant JSON text; numbers stay as written', () => {
    expect(parseJsonTemplate('"a\\u0041"', 'body.template')).toEqual({ kind: 'literal', json: '"aA"' });
    expect(parseJsonTemplate(' 12345678901234567890 ', 'body.template')).toEqual({
      kind: 'literal',
      json: '12345678901234567890',
    });
    expect(parseJsonTemplate('[true,false,null,-1.5e3]', 'body.template')).toEqual({
      kind: 'array',
      items: ['true', 'false', 'null', '-1.5e3'].map((json) => ({ kind: 'literal', json })),
    });
  });

  it('a template that is not valid JSON is a TemplateError with the position and reason', () => {
    const missingComma = errorOf('{"a": 1 "b": 2}');
    expect(missingComma.location).toBe('body.template');
    expect(missingComma.position).toBe(8);
    expect(missingComma.reason).toBe("invalid JSON: expected ',' or '}' after a value in an object, found '\"'");

    expect(errorOf('{"a": 1,}').position).toBe(8);
    expect(errorOf('{"a": tru}').position).toBe(6);
    expect(errorOf('[1, 2').reason).toMatch(/found the end of the template/);
    expect(errorOf('').reason).toMatch(/unexpected end/);
    expect(errorOf('{} {}').reason).toMatch(/unexpected content after the JSON value/);
    expect(errorOf('{"a": "abc}').reason).toMatch(/unterminated string/);
    expect(errorOf('{"a": 01}').position).toBe(7);
  });

  it('a token outside a JSON string is refused with a hint to quote it', () => {
    const error = errorOf('{"priority": {{ Priority }}}');
    expect(error.position).toBe(13);
    expect(error.reason).toMatch(/a token must be inside a JSON string/);
  });

  it('a token in an object key is refused', () => {
    const error = errorOf('{"ok": 1, "{{ Key }}": "v"}');
    expect(error.position).toBe(11);
    expect(error.reason).toBe('tokens are not allowed in object keys, only in string values');
  });

  it('`\\{{` in a key is a literal `{{`', () => {
    expect(parseJsonTemplate('{"\\{{x}}": 1}', 'body.template')).toEqual({
      kind: 'object',
      entries: [{ key: '{{x}}', value: { kind: 'literal', json: '1' } }],
    });
  });

  it('a duplicate key is refused', () => {
    const error = errorOf('{"a": 1, "a": 2}');
    expect([error.position, error.reason]).toEqual([9, 'duplicate key "a"']);
  });

  it('token errors inside strings carry their position in the whole template', () => {
    const error = errorOf('{"title": "{{ Title"}');
    expect([error.position, error.reason]).toEqual([11, "unclosed token: expected '}}'"]);
  });
});
