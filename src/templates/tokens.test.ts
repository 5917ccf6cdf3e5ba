import { describe, expect, it } from 'vitest';
import { TemplateError } from './errors.ts';
import { fieldNameProblem, parseJsonStringContent, parseTemplate, SYSTEM_TOKENS, tokensOf } from './tokens.ts';

function errorOf(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error('expected a TemplateError');
}

describe('tokens', () => {
  it('splits text and `{{ Name }}` tokens, with the position of each token', () => {
    expect(parseTemplate('/tickets/{{ Queue }}/notes', 'path')).toEqual([
      '/tickets/',
      { name: 'Queue', system: false, position: 9 },
      '/notes',
    ]);
  });

  it('whitespace inside the braces is optional', () => {
    const names = ['{{Name}}', '{{ Name }}', '{{   Name\t}}'].map((t) => tokensOf(parseTemplate(t, 'path'))[0]?.name);
    expect(names).toEqual(['Name', 'Name', 'Name']);
  });

  it('names may hold letters, digits, _, - and .', () => {
    const [token] = tokensOf(parseTemplate('{{ customer.first_name-2 }}', 'path'));
    expect(token?.name).toBe('customer.first_name-2');
    expect(tokensOf(parseTemplate('{{ Priorité }}', 'path'))[0]?.name).toBe('Priorité');
  });

  it('a `$` prefix marks the system tokens', () => {
    for (const name of SYSTEM_TOKENS) {
      expect(parseTemplate(`{{ ${name} }}`, 'path')).toEqual([{ name, system: true, position: 0 }]);
    }
  });

  it('an unknown `$name` is a TemplateError', () => {
    const error = errorOf(() => parseTemplate('x {{ $callbackURL }}', 'headers.X-Callback'));
    expect(error.code).toBe('TEMPLATE_INVALID');
    expect(error.location).toBe('headers.X-Callback');
    expect(error.position).toBe(2);
    expect(error.reason).toMatch(/unknown system token "\$callbackURL"/);
  });

  it('`\\{{` writes a literal `{{`', () => {
    expect(parseTemplate('a \\{{ Name }} b', 'path')).toEqual(['a {{ Name }} b']);
  });

  it('a backslash elsewhere is literal text', () => {
    expect(parseTemplate('C:\\dir\\{{ File }}', 'path')).toEqual(['C:\\dir{{ File }}']);
    expect(parseTemplate('a\\b', 'path')).toEqual(['a\\b']);
  });

  it('a lone `}}` is literal text', () => {
    expect(parseTemplate('a }} b', 'path')).toEqual(['a }} b']);
  });

  it('an unclosed `{{` is a TemplateError at the position of the `{{`', () => {
    const error = errorOf(() => parseTemplate('/tickets/{{ Queue', 'path'));
    expect(error.location).toBe('path');
    expect(error.position).toBe(9);
    expect(error.reason).toBe("unclosed token: expected '}}'");
    expect(error.message).toBe("path at position 9: unclosed token: expected '}}'");
  });

  it('a `{{` closed only after another token opens is unclosed', () => {
    const error = errorOf(() => parseTemplate('{{ A and {{ B }}', 'path'));
    expect([error.position, error.reason]).toEqual([0, "unclosed token: expected '}}'"]);
  });

  it('an empty name is a TemplateError', () => {
    const error = errorOf(() => parseTemplate('x{{  }}', 'path'));
    expect(error.position).toBe(1);
    expect(error.reason).toMatch(/empty token name/);
  });

  it('an invalid name is a TemplateError at the offending character', () => {
    const error = errorOf(() => parseTemplate('{{ first name }}', 'body.fields.text'));
    expect(error.location).toBe('body.fields.text');
    expect(error.position).toBe(8);
    expect(error.reason).toMatch(/invalid token name "first name"/);
    expect(errorOf(() => parseTemplate('{{ a/b }}', 'path')).position).toBe(4);
  });

  it('"__proto__" cannot be a field name', () => {
    expect(errorOf(() => parseTemplate('{{ __proto__ }}', 'path')).reason).toMatch(/reserved/);
    expect(fieldNameProblem('__proto__')).toMatch(/reserved/);
  });

  it('field declarations follow the same name rule', () => {
    expect(fieldNameProblem('Priority')).toBeUndefined();
    expect(fieldNameProblem('has space')).toMatch(/invalid field name/);
    expect(fieldNameProblem('$caseId')).toMatch(/system tokens/);
  });

  describe('inside a JSON string', () => {
    const content = (raw: string) => parseJsonStringContent(raw, 0, raw.length, 'body.template');

    it('JSON escapes are decoded around tokens', () => {
      expect(content('say \\"{{ Greeting }}\\"\\n\\u00e9')).toEqual([
        'say "',
        { name: 'Greeting', system: false, position: 6 },
        '"\n\u00e9',
      ]);
    });

    it('`\\{{` is a literal `{{` and `\\\\{{` is a backslash before a token', () => {
      expect(content('\\{{ x }}')).toEqual(['{{ x }}']);
      expect(content('\\\\{{ x }}')).toEqual(['\\', { name: 'x', system: false, position: 2 }]);
    });

    it('an invalid escape is a TemplateError', () => {
      const error = errorOf(() => content('ab\\q'));
      expect([error.position, error.reason]).toEqual([2, expect.stringMatching(/invalid escape '\\q'/)]);
    });

    it('a raw control character is a TemplateError', () => {
      expect(errorOf(() => content('a\nb')).position).toBe(1);
    });

    it('a token may not run past the end of the string', () => {
      const raw = '{{ A "}}';
      const error = errorOf(() => parseJsonStringContent(raw, 0, 4, 'body.template'));
      expect(error.reason).toBe("unclosed token: expected '}}'");
    });
  });
});
