// A JSON object body whose one large array member (a bulk launch's `rows`) is parsed element by
// element, with a turn of the event loop every megabyte: JSON.parse of a 48 MB body held the loop
// about half a second (its conversion to text, the nesting scan and the parse, all at once). The
// object's structure is walked here over the bytes (every JSON delimiter is ASCII, and no byte of a
// multi-byte UTF-8 character is); each member's and element's text is then parsed on its own by the
// server's JSON parser, so what it accepts and refuses (prototype keys, invalid text) is unchanged.

import { turn } from '../loop-turns.ts';
import { MAX_PARSE_DEPTH } from './body-depth.ts';
import { MAX_INPUT_BYTES, MAX_JSON_DEPTH } from '../json-limits.ts';
import { ValidationError } from '../errors.ts';

/** Bytes walked between turns of the event loop. */
const SLICE_BYTES = 1024 * 1024;

/**
 * The most JSON text one row or one other member may take: each is parsed in one go, so one huge row
 * (or `rows` sent as one huge object) would hold the loop as the whole body did. Four times a launch's
 * input limit, so a row spaced out by a pretty-printer still reaches the row's own check.
 */
export const MAX_PIECE_BYTES = 4 * MAX_INPUT_BYTES;

/** Parses one piece of JSON text the way the server parses a body; throws what it throws. */
export type PieceParser = (text: string) => unknown;

/** A 400 worded as the server words a body that is not JSON (problem.ts maps a SyntaxError with a status). */
function notJson(message: string): SyntaxError {
  return Object.assign(new SyntaxError(message), { statusCode: 400 });
}

const isSpace = (c: number | undefined): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * The object in `buf`, with `arrayKey`'s array parsed an element at a time, at most `maxItems` of
 * them. Members nested past MAX_PARSE_DEPTH are refused before they are parsed (422, as the server's
 * parser refuses them).
 */
export async function parseSlicedObject(
  buf: Buffer,
  arrayKey: string,
  parse: PieceParser,
  maxItems = Number.POSITIVE_INFINITY,
): Promise<Record<string, unknown>> {
  let i = 0;
  let sliceEnd = SLICE_BYTES;
  const skipSpace = (): void => {
    while (isSpace(buf[i])) i++;
  };
  const expect = (c: number, what: string): void => {
    skipSpace();
    if (buf[i] !== c) throw notJson(`expected ${what} at byte ${i}`);
    i++;
  };
  /** The end (exclusive) of the value starting at `start`: its brackets matched, its strings skipped. */
  const valueEnd = (start: number, field: string, baseDepth: number): number => {
    let depth = 0;
    let j = start;
    // One byte past the largest piece, so a piece of exactly that size still finds its end.
    const stop = Math.min(buf.length, start + MAX_PIECE_BYTES + 1);
    for (; j < stop; j++) {
      const c = buf[j]!;
      if (c === 0x22) {
        for (j++; j < stop && buf[j] !== 0x22; j++) if (buf[j] === 0x5c) j++;
        if (j >= stop) break;
        if (depth === 0) return j + 1;
      } else if (c === 0x5b || c === 0x7b) {
        if (++depth + baseDepth > MAX_PARSE_DEPTH)
          throw new ValidationError([{ field, message: `is nested deeper than ${MAX_JSON_DEPTH} levels` }]);
      } else if (c === 0x5d || c === 0x7d) {
        if (depth === 0) return j; // a scalar ends at its container's close
        if (--depth === 0) return j + 1;
      } else if (depth === 0 && (c === 0x2c || isSpace(c))) return j;
    }
    if (stop < buf.length)
      throw new ValidationError([
        { field, message: `is more than ${MAX_PIECE_BYTES / 1024} KB of JSON text (a row or member is read in one go)` },
      ]);
    if (depth > 0 || j > buf.length) throw notJson(`unexpected end of the body after byte ${start}`);
    return j;
  };
  const piece = (start: number, end: number): unknown => {
    if (end === start) throw notJson(`expected a value at byte ${start}`);
    // The server's parser skips a byte order mark at the start of its text: only the body's may have one.
    if (buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf)
      throw notJson(`unexpected byte order mark at byte ${start}`);
    return parse(buf.toString('utf8', start, end));
  };
  /** After a member or an element: true on a comma (another follows), false on the container's close. */
  const another = (close: number, what: string): boolean => {
    skipSpace();
    const c = buf[i++];
    if (c === 0x2c) return true;
    if (c === close) return false;
    throw notJson(`expected , or ${what} at byte ${i - 1}`);
  };
  const pace = async (): Promise<void> => {
    if (i < sliceEnd) return;
    sliceEnd = i + SLICE_BYTES;
    await turn();
  };

  const out: Record<string, unknown> = {};
  // A byte order mark, which the server's parser skips too.
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
  skipSpace();
  // A list is answered as the schema answers a small one (422, not 400), without reading it.
  if (buf[i] === 0x5b) throw new ValidationError([{ field: '', message: 'must be object' }], 'the body must be object');
  expect(0x7b, '{');
  skipSpace();
  if (buf[i] === 0x7d) i++;
  else
    for (;;) {
      skipSpace();
      if (buf[i] !== 0x22) throw notJson(`expected a member name at byte ${i}`);
      const keyEnd = valueEnd(i, '', 1);
      const key = parse(buf.toString('utf8', i, keyEnd)) as string;
      i = keyEnd;
      // The server's parser refuses it; a member name is here, not in a piece it sees. (A member named
      // constructor is no prototype key on its own: kept, for the schema to refuse as an unknown field.)
      if (key === '__proto__') throw notJson(`the member ${JSON.stringify(key)} is refused`);
      expect(0x3a, ':');
      skipSpace();
      if (key === arrayKey && buf[i] === 0x5b) {
        i++;
        const items: unknown[] = [];
        skipSpace();
        if (buf[i] === 0x5d) i++;
        else
          for (;;) {
            skipSpace();
            // Refused at once, as the schema would refuse it once all were parsed (50 MB of `1,` is 25 million).
            if (items.length === maxItems)
              throw new ValidationError([{ field: key, message: `must NOT have more than ${maxItems} items` }]);
            const end = valueEnd(i, key, 2);
            items.push(piece(i, end));
            i = end;
            await pace();
            if (!another(0x5d, ']')) break;
          }
        out[key] = items;
      } else {
        const end = valueEnd(i, key, 1);
        out[key] = piece(i, end);
        i = end;
        await pace();
      }
      if (!another(0x7d, '}')) break;
    }
  skipSpace();
  if (i < buf.length) throw notJson(`unexpected text after the body at byte ${i}`);
  return out;
}
