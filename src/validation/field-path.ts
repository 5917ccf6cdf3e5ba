// Field paths as the project writes them in problems: `steps[1].name`, `roles[0]`, `headers.X/Y`.

/**
 * A JSON pointer into `data` (ajv's and TypeBox's error paths) as a field path. A segment is an index
 * (`[2]`) where `data` holds a list there, and a key otherwise: a pointer alone cannot tell
 * `{"2": …}` from `[…, …, …]`. Segments are unescaped (~1 is "/", ~0 is "~"), so a key reads as sent.
 * `more` names keys below the pointer (a missing or unknown property).
 */
export function fieldPath(pointer: string, data: unknown, ...more: string[]): string {
  const segments = pointer === '' ? [] : pointer.split('/').slice(1).map(unescapeSegment);
  let at = data;
  let out = '';
  for (const seg of [...segments, ...more]) {
    out += Array.isArray(at) && /^\d+$/.test(seg) ? `[${seg}]` : out === '' ? seg : `.${seg}`;
    at = at !== null && typeof at === 'object' && Object.hasOwn(at, seg) ? (at as Record<string, unknown>)[seg] : undefined;
  }
  return out;
}

const unescapeSegment = (seg: string): string => seg.replace(/~1/g, '/').replace(/~0/g, '~');
