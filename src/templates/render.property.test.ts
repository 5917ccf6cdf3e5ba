// Properties of the renderer for any values: a JSON body is valid JSON carrying exactly the values;
// a token in the URL never changes the path's structure; a header value never carries CR, LF or NUL.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileTemplates } from './compile.ts';
import { RenderError } from './errors.ts';
import type { SystemValues } from './render.ts';
import { resolveUnderBase } from '../connectors/destination.ts';

const system: SystemValues = {
  callbackUrl: 'https://callout.example/v1/callbacks/t',
  callbackToken: 't',
  actionId: 'a1',
  caseId: null,
  idempotencyKey: 'a1',
};

/** Any text, including control characters, lone surrogates and URL syntax, biased to the tricky. */
const tricky = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.constantFrom('.', '/', '\\', '%', '2', 'e', 'E', '?', '#', '&', '\r', '\n', '\0', '\t', ' ', 'a', '\ud800') }),
  fc.constantFrom('.', '..', '%2e', '%2E%2e', '.%2e', '%252e', '../..', '..\\', '/', '?', '#', ''),
);

describe('JSON bodies', () => {
  const t = compileTemplates(
    {
      path: '/x',
      body: {
        format: 'json',
        template: '{"s":"{{ S }}","n":"{{ N }}","b":"{{ B }}","o":"{{ O }}","mixed":"<{{ S }}|{{ N }}>","list":["{{ S }}","{{ O }}",1]}',
      },
    },
    { S: { type: 'string' }, N: { type: 'number' }, B: { type: 'boolean' }, O: { type: 'json' } },
  );

  it('is valid JSON holding exactly the values, for any string, number, boolean and JSON value', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
        fc.jsonValue(),
        (S, N, B, O) => {
          const body = t.render({ S, N, B, O }, system).body!;
          const expected = { s: S, n: N, b: B, o: O, mixed: `<${S}|${String(N)}>`, list: [S, O, 1] };
          expect(JSON.parse(body)).toEqual(JSON.parse(JSON.stringify(expected)));
        },
      ),
    );
  });
});

describe('URL tokens', () => {
  const t = compileTemplates({ path: '/api/{{ X }}/tail?q={{ Y }}&r=1' });

  it('never change the path structure: no "/", "?", "#", dot segment or control character escapes', () => {
    fc.assert(
      fc.property(tricky, tricky, (X, Y) => {
        let path: string;
        try {
          path = t.render({ X, Y }, system).path;
        } catch (err) {
          // Refused only for a reason that names its field: a dot segment (path only) or a lone surrogate.
          expect(err).toBeInstanceOf(RenderError);
          const e = err as RenderError;
          expect(['X', 'Y']).toContain(e.field);
          if (e.field === 'Y') expect(e.reason).toContain('surrogate');
          return;
        }
        expect(path).not.toMatch(/[\u0000-\u001f\u007f]/);
        const url = resolveUnderBase('https://desk.example.com/base', path);
        const segments = url.pathname.split('/');
        expect(segments).toHaveLength(5);
        expect(segments.slice(0, 3)).toEqual(['', 'base', 'api']);
        expect(segments[4]).toBe('tail');
        expect(decodeURIComponent(segments[3]!)).toBe(X);
        expect([...url.searchParams.keys()]).toEqual(['q', 'r']);
        expect(url.searchParams.get('q')).toBe(Y);
        expect(url.hash).toBe('');
      }),
      { numRuns: 500 },
    );
  });

  it('refuses exactly the values that would make a whole dot segment, also from two tokens together', () => {
    const two = compileTemplates({ path: '/a/{{ X }}{{ Y }}/b' });
    const part = fc.constantFrom('', '.', '..', '%2e', '%2E', 'a', '.a');
    fc.assert(
      fc.property(part, part, (X, Y) => {
        const segment = (X + Y).replace(/%2e/gi, '.');
        const dot = segment === '.' || segment === '..';
        if (dot) expect(() => two.render({ X, Y }, system)).toThrow(RenderError);
        else expect(resolveUnderBase('https://h.example', two.render({ X, Y }, system).path).pathname.split('/')).toHaveLength(4);
      }),
    );
  });
});

describe('header values', () => {
  const t = compileTemplates({ path: '/x', headers: { 'X-Note': 'note {{ H }}', 'X-Case': '{{ $caseId }}' } });

  // What Node's HTTP client accepts in a header value (undici's headerCharRegex): tab, printable ASCII, Latin-1.
  const unsendable = /[^\t\x20-\x7e\x80-\xff]/;

  it('carry only what HTTP can (never CR, LF or NUL): any other value is refused naming its field', () => {
    fc.assert(
      fc.property(tricky, fc.option(tricky, { nil: null }), (H, caseId) => {
        const bad = unsendable.test(H) || (caseId !== null && unsendable.test(caseId));
        try {
          const headers = t.render({ H }, { ...system, caseId }).headers;
          expect(bad).toBe(false);
          for (const v of Object.values(headers)) expect(v).not.toMatch(unsendable);
        } catch (err) {
          expect(err).toBeInstanceOf(RenderError);
          expect(bad).toBe(true);
          expect(['H', '$caseId']).toContain((err as RenderError).field);
        }
      }),
      { numRuns: 500 },
    );
  });
});
