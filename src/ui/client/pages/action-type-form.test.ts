import { expect, it } from 'vitest';
import { inputValue } from './action-type-form.ts';

it('reads a boolean box with the words a CSV cell may use, and leaves any other text for the API to refuse by name', () => {
  expect(['true', 'Yes', ' 1 ', 'false', 'NO', '0'].map((t) => inputValue('boolean', t))).toEqual([true, true, true, false, false, false]);
  expect(inputValue('boolean', 'maybe')).toBe('maybe');
  expect([inputValue('integer', '42'), inputValue('integer', 'forty')]).toEqual([42, 'forty']);
});
