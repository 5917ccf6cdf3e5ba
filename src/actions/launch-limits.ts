// Size and depth limits of a launch body: domain checks (a schema cannot say "at most 256 KB as
// JSON"), run before the body is hashed or looked at, so a value nested a million deep is a 422.

import { Problems } from '../errors.ts';
import { isObject } from '../validation/check.ts';
import { FIELD_LIMITS, INPUT_LIMITS, jsonProblem } from '../json-limits.ts';

export { FIELD_LIMITS, INPUT_LIMITS };

/** Size and depth of a launch body (or a case's), field by field: `input` and `data` get the input limits. */
export function checkLaunchLimits(req: unknown, bigFields: readonly string[] = ['input']): void {
  if (!isObject(req)) return;
  const p = new Problems();
  for (const [k, v] of Object.entries(req)) {
    const problem = jsonProblem(v, bigFields.includes(k) ? INPUT_LIMITS : FIELD_LIMITS);
    if (problem) p.add(k, problem);
  }
  p.throwIfAny();
}
