// Process expressions: the SPEC 10.1 scope, and the limits that keep a builder's expression bounded.

import { describe, expect, it } from 'vitest';
import { ExpressionError, compileExpressionText, evaluateExpression } from './expressions.ts';

const scope = { case: { name: 'Sam', items: [1, 2, 3] }, steps: { laptop: { output: { ticket: 'INC-7' }, status: 'done' } } };

describe('evaluateExpression', () => {
  it('reads case data and earlier steps', async () => {
    expect(await evaluateExpression('{ "Title": case.name, "Ticket": steps.laptop.output.ticket }', scope)).toEqual({
      Title: 'Sam',
      Ticket: 'INC-7',
    });
    expect(await evaluateExpression('$sum(case.items)', scope)).toBe(6);
  });

  it('gives null when nothing matches, and plain arrays for sequences', async () => {
    expect(await evaluateExpression('case.missing', scope)).toBeNull();
    const seq = await evaluateExpression('case.items.($ * 2)', scope);
    expect(seq).toEqual([2, 4, 6]);
    expect(Object.getPrototypeOf(seq)).toBe(Array.prototype);
  });

  it('stops an expression that runs too long', async () => {
    const limits = { timeoutMs: 50, maxStack: 200, maxSequence: 10_000_000, maxResultChars: 1_000_000 };
    const loop = '$sum([1..3000].($sum([1..3000])))';
    await expect(evaluateExpression(loop, {}, limits)).rejects.toThrow(/timeout/i);
  });

  it('stops deep recursion', async () => {
    const limits = { timeoutMs: 5_000, maxStack: 50, maxSequence: 100_000, maxResultChars: 1_000_000 };
    await expect(evaluateExpression('($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(1000))', {}, limits)).rejects.toBeInstanceOf(
      ExpressionError,
    );
  });

  it('refuses a result larger than the limit and a sequence longer than the limit', async () => {
    const limits = { timeoutMs: 1_000, maxStack: 200, maxSequence: 100_000, maxResultChars: 1_000 };
    await expect(evaluateExpression('$pad("", 2000, "x")', {}, limits)).rejects.toThrow(/more than the limit of 1000/);
    await expect(evaluateExpression('[1..200000]', {})).rejects.toBeInstanceOf(ExpressionError);
  });

  it('refuses a function as a result', async () => {
    await expect(evaluateExpression('function($x) { $x }', {})).rejects.toThrow('yields a function');
    await expect(evaluateExpression('{ "f": $uppercase }', {})).rejects.toThrow('yields a function');
  });

  it('reports a syntax error with its position', () => {
    try {
      compileExpressionText('{ "a": ');
      throw new Error('expected a syntax error');
    } catch (e) {
      expect(e).toBeInstanceOf(ExpressionError);
      expect((e as ExpressionError).position).toBeTypeOf('number');
      expect((e as ExpressionError).message).toMatch(/^is not a valid JSONata expression at position \d+/);
    }
  });
});
