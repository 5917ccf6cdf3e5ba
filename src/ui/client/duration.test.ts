import { describe, expect, it } from 'vitest';
import { durationText } from './duration.ts';
import { parseDuration } from '../../lifecycle/duration.ts';

describe('durationText', () => {
  it('writes the largest whole unit, and reads back as the same milliseconds', () => {
    const cases: Array<[number, string]> = [
      [7_200_000, '2h'],
      [30_000, '30s'],
      [90_000, '90s'],
      [300_000, '5m'],
      [86_400_000, '1d'],
      [1_209_600_000, '2w'],
      [1_500, '1500ms'],
      [0, '0ms'],
    ];
    for (const [ms, text] of cases) {
      expect(durationText(ms)).toBe(text);
      expect(parseDuration(text)).toBe(ms);
    }
  });
});
