import { expect, it } from 'vitest';
import { fieldPath } from './field-path.ts';

it('writes a list position as [n] and a key as .key, as the rest of the project names fields', () => {
  const body = { steps: [{ name: 'a' }, { name: 'b', useBodyOf: 'x' }], roles: ['root'] };
  expect(fieldPath('/steps/1/useBodyOf', body)).toBe('steps[1].useBodyOf');
  expect(fieldPath('/roles/0', body)).toBe('roles[0]');
  expect(fieldPath('/steps/0', body, 'kind')).toBe('steps[0].kind');
  expect(fieldPath('', body, 'name')).toBe('name');
  expect(fieldPath('', body)).toBe('');
});

it('a numeric key of an object stays a key: a pointer alone cannot tell it from a position', () => {
  expect(fieldPath('/input/2', { input: { '2': 'x' } })).toBe('input.2');
  // Without the data (a query string), a segment is a key.
  expect(fieldPath('/limit', undefined)).toBe('limit');
});

it('unescapes a segment, so a key holding / or ~ reads as sent', () => {
  expect(fieldPath('/headers/X~1Y~0Z', { headers: { 'X/Y~Z': 1 } })).toBe('headers.X/Y~Z');
  // Not "~1" read as "/" twice: ~01 is the key "~1".
  expect(fieldPath('/headers/~01', { headers: { '~1': 1 } })).toBe('headers.~1');
});
