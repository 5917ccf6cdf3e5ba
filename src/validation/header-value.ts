// What an HTTP header value may hold: Node's and undici's rule (RFC 9110 field-vchar, with obs-text):
// tab, printable ASCII and the bytes 0x80–0xFF, which go out as Latin-1. Anything else undici refuses
// when the request is built, so it is refused here first, with the field and the character named:
// a connector's or action type's literal text when it is saved, and a value from the input at launch
// and at render (the action is then To Do / Invalid Input, not a failed connection counted against
// the connector's circuit breaker).

const LINE_BREAK = /[\r\n\0]/;
export const HEADER_LINE_BREAK_REASON = 'a header value must not contain a line break (CR or LF) or NUL';
const OUTSIDE = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Why `text` cannot be a header value, or undefined when it can. For a secret (a token, a key) the
 * character and its place are not named: the answer would give part of it away.
 */
export function headerValueProblem(text: string, opts: { secret?: boolean } = {}): string | undefined {
  // CR, LF and NUL would end the header and start another (injection): said as such.
  if (LINE_BREAK.test(text)) return HEADER_LINE_BREAK_REASON;
  const at = text.search(OUTSIDE);
  if (at === -1) return undefined;
  if (opts.secret) return 'holds a character HTTP cannot carry in a header (it allows printable ASCII, tab and Latin-1 characters)';
  const code = text.codePointAt(at)!;
  const shown = code < 0x20 || code === 0x7f ? 'a control character' : `"${String.fromCodePoint(code)}"`;
  return `a header value cannot hold ${shown} (U+${code.toString(16).toUpperCase().padStart(4, '0')}, at position ${at}): HTTP allows printable ASCII, tab and Latin-1 characters`;
}
