import { describe, expect, it } from 'vitest';
import { requestHash, sha256 } from './ids.ts';

describe('requestHash', () => {
  it('is the same for the same request with its fields in any order, at any depth, and differs for another request', () => {
    const a = requestHash({ actionType: 'x', input: { b: 1, a: [{ d: 2, c: 3 }] } });
    const b = requestHash({ input: { a: [{ c: 3, d: 2 }], b: 1 }, actionType: 'x' });
    expect(b.hash).toBe(a.hash);
    expect(b.matches(a.hash)).toBe(true);
    // Array order is the request's meaning: not sorted.
    expect(requestHash({ input: { a: [2, 1] } }).matches(requestHash({ input: { a: [1, 2] } }).hash)).toBe(false);
    expect(requestHash({ actionType: 'y' }).matches(a.hash)).toBe(false);
  });

  it('still matches a hash stored before keys were sorted (the JSON as it was sent)', () => {
    const body = { zeta: 1, alpha: { y: 2, x: 1 } };
    const stored = sha256(JSON.stringify(body));
    expect(requestHash(body).hash).not.toBe(stored);
    expect(requestHash(body).matches(stored)).toBe(true);
    expect(requestHash({ zeta: 2 }).matches(stored)).toBe(false);
    expect(requestHash(body).matches(null)).toBe(false);
  });
});
