// Process expressions run in the mapping worker pool: a hostile expression cannot freeze the process.

import { expect, it } from 'vitest';
import { ExpressionError, evaluateExpression } from './expressions.ts';

it('a regex that backtracks for ever is ended by its worker while the main thread keeps running', async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 20);
  try {
    const hostile = '$match("' + 'a'.repeat(40) + '!", /(a+)+$/)';
    const started = Date.now();
    await expect(evaluateExpression(hostile, {})).rejects.toBeInstanceOf(ExpressionError);
    // Stopped at the pool's hard deadline (about a second), not after the regex finished (hours).
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(ticks).toBeGreaterThan(5);
  } finally {
    clearInterval(timer);
  }
  // The pool replaced the worker: the next expression works.
  expect(await evaluateExpression('case.a + 1', { case: { a: 1 } })).toBe(2);
});
