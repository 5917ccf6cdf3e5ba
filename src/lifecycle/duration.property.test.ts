// Properties of the duration parser: it never throws on any input, and "N<unit>" reads back as N
// times the unit.

import { expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_DURATION_MS, parseDuration } from './duration.ts';

const UNITS: Array<[string, number]> = [
  ['ms', 1],
  ['s', 1_000],
  ['m', 60_000],
  ['h', 3_600_000],
  ['d', 86_400_000],
  ['w', 604_800_000],
];

it('never throws, and answers a non-negative integer or undefined, for any string, number or value', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.double(), fc.anything()), (v) => {
      const ms = parseDuration(v);
      if (ms !== undefined) {
        expect(Number.isInteger(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(0);
      }
    }),
  );
});

it('round-trips "N<unit>" for every unit up to ten years, and refuses anything longer', () => {
  fc.assert(
    fc.property(fc.nat({ max: 1_000_000 }), fc.constantFrom(...UNITS), fc.constantFrom('', ' '), (n, [unit, ms], gap) => {
      expect(parseDuration(`${n}${gap}${unit}`)).toBe(n * ms <= MAX_DURATION_MS ? n * ms : undefined);
    }),
  );
  fc.assert(
    fc.property(fc.nat(), (n) => {
      expect(parseDuration(n)).toBe(n);
      expect(parseDuration(`${n}ms`)).toBe(n);
    }),
  );
});
