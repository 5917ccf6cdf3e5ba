import { describe, expect, it } from 'vitest';
import { isBlank } from './blank.ts';

describe('isBlank', () => {
  it('is true of text that shows nothing: spaces of any kind, zero-width and other invisible characters', () => {
    for (const t of ['', ' ', '\t\n', '\u200B', '\uFEFF', '\u2060', '\u00A0', '\u3000', '\u00AD', '\u3164', '\uFE0F', '\u200C\u200D\u200E'])
      expect(isBlank(t), JSON.stringify(t)).toBe(true);
  });

  it('is false once one character shows, whatever surrounds it', () => {
    for (const t of ['a', '\u200Ba\u200B', ' . ', '😀', '\u00A0é']) expect(isBlank(t), JSON.stringify(t)).toBe(false);
  });
});
