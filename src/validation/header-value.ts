// What an HTTP header value may hold: Node's and undici's rule (RFC 9110 field-vchar, with obs-text):
// tab, printable ASCII and the bytes 0x80–0xFF, which go out as Latin-1. Anything else undici refuses
// when the request is built, so it is refused here first, with the field and the character named:
// at save for a literal, at render for a value from the input (the action is then To Do / Invalid Input,
// not a failed connection counted against the connector's circuit breaker).

const LINE_BREAK = /[\r\n\0]/;
const OUTSIDE = /[^\t\x20-\x7e\x80-\xff]/;

/** Why `text` cannot be a header value, or undefined when it can. */
export function headerValueProblem(text: string): string | undefined {
  // CR, LF and NUL would end the header and start another (injection): said as such.
  if (LINE_BREAK.test(text)) return 'a header value must not contain a line break (CR or LF) or NUL';
  const at = text.search(OUTSIDE);
  if (at === -1) return undefined;
  const code = text.codePointAt(at)!;
  const shown = code < 0x20 || code === 0x7f ? 'a control character' : `"${String.fromCodePoint(code)}"`;
  return `a header value cannot hold ${shown} (U+${code.toString(16).toUpperCase().padStart(4, '0')}, at position ${at}): HTTP allows printable ASCII, tab and Latin-1 characters`;
}
