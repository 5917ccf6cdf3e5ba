// Bounds on JSONata expression text beyond its length, checked before it is compiled. JSONata
// compiles a path in time quadratic in its steps (5,000 steps took 0.3 s on the event loop), and a
// builder's definition is compiled where the API runs.

/** Most dots (path steps, and any others) one expression holds: 1,000 steps compile in about 7 ms. */
export const MAX_PATH_STEPS = 1000;

/** What is wrong with an expression's shape before compiling it, or undefined. */
export function expressionShapeProblem(text: string): string | undefined {
  let dots = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 46) dots++;
  return dots > MAX_PATH_STEPS
    ? `has ${dots} dots; an expression may hold at most ${MAX_PATH_STEPS} (long paths are slow to compile)`
    : undefined;
}
