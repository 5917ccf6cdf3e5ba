// A process (case type): validation of a POST /v1/processes body into a frozen, compiled definition.
// Every mistake is reported at once, naming its field (`steps[2].input`), and expressions are parsed
// here so a syntax error is refused when the process is saved, not when a case reaches the step.

import { expressionShapeProblem } from '../expression-limits.ts';
import { type Doc, NAME_HINT, NAME_PATTERN, duration, isObject, str, unknownKeys } from '../validation/check.ts';
import { type Duration, parseDuration } from '../lifecycle/duration.ts';
import { Problems } from '../errors.ts';
import { DEFAULT_EXPRESSION_LIMITS, ExpressionError, compileExpressionText } from './expressions.ts';

export const STEP_KINDS = { manual: 'manual', external: 'external', map: 'map' } as const;
export type StepKind = (typeof STEP_KINDS)[keyof typeof STEP_KINDS];

export const ON_FAILURE = { stop: 'stop', continue: 'continue' } as const;
export type OnFailure = (typeof ON_FAILURE)[keyof typeof ON_FAILURE];

/** Step names are identifiers, so an expression reaches them as `steps.<name>` without quoting. */
export const STEP_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const STEP_NAME_HINT = 'must be 1–64 letters, digits or "_", not starting with a digit (expressions use it as steps.<name>)';

export const MAX_STEPS = 100;
const MAX_EXPRESSION_CHARS = 10_000;

interface StepBase {
  readonly name: string;
  readonly title: string;
  /** JSONata condition; a false (or empty) result skips the step. */
  readonly when: string | null;
  /** What a failed step does to its case: `stop` leaves it open at this step, `continue` goes on. @default 'stop' */
  readonly onFailure: OnFailure;
}

export interface ManualStep extends StepBase {
  readonly kind: 'manual';
  /** The queue its task goes to; null: the case's own queue (and none when the case has none). */
  readonly queue: string | null;
  /** How long after its creation the task is due ("4h", "2d"), as given; null (or absent, saved before): no due time. */
  readonly due?: Duration | null;
}

export interface ExternalStep extends StepBase {
  readonly kind: 'external';
  readonly actionType: string;
  /** JSONata yielding the action's input object; null with `useBodyOf` or for an empty input. */
  readonly input: string | null;
  /** An earlier map step whose result is the input ('Use Existing Body'). */
  readonly useBodyOf: string | null;
  /** false: the case goes on once the action is queued. @default true */
  readonly waitForResponse: boolean;
}

export interface MapStep extends StepBase {
  readonly kind: 'map';
  /** JSONata yielding an object merged into case data. */
  readonly expression: string;
}

export type ProcessStep = ManualStep | ExternalStep | MapStep;

/** A step's keys in the order compileProcess writes them. */
const STORED_ORDER = [
  'name',
  'title',
  'when',
  'onFailure',
  'kind',
  'queue',
  'due',
  'actionType',
  'input',
  'useBodyOf',
  'waitForResponse',
  'expression',
];

/**
 * A stored step with its keys in the order it was compiled in. PostgreSQL's jsonb keeps keys in an
 * order of its own (shortest first), so without this the same process read or exported from the two
 * stores differed: `kind` before `name`, `input` before `actionType`.
 */
export function inStoredOrder(step: ProcessStep): ProcessStep {
  const out: Record<string, unknown> = {};
  for (const k of STORED_ORDER) if (Object.hasOwn(step, k)) out[k] = (step as unknown as Record<string, unknown>)[k];
  for (const [k, v] of Object.entries(step)) if (!Object.hasOwn(out, k)) out[k] = v;
  return out as unknown as ProcessStep;
}

/** Milliseconds from a manual step's task's creation to its due time; null when the step sets none. */
export function taskDueMs(step: ManualStep): number | null {
  return step.due === undefined || step.due === null ? null : (parseDuration(step.due) ?? null);
}

export interface ProcessDefinition {
  readonly name: string;
  readonly description: string | null;
  readonly steps: readonly ProcessStep[];
}

/** Resolves references to other resources (id or name -> id); an absent resolver leaves them unchecked. */
export interface ProcessRefs {
  actionType?: (ref: string) => string | undefined;
  queue?: (ref: string) => string | undefined;
}

const PROCESS_KEYS = ['name', 'description', 'steps'] as const;
const COMMON_KEYS = ['name', 'kind', 'title', 'when', 'onFailure'] as const;
const KIND_KEYS: Record<StepKind, readonly string[]> = {
  manual: [...COMMON_KEYS, 'queue', 'due'],
  external: [...COMMON_KEYS, 'actionType', 'input', 'useBodyOf', 'waitForResponse'],
  map: [...COMMON_KEYS, 'expression'],
};

/** Validates a process body; throws ValidationError listing every problem with its field path. */
export function compileProcess(body: unknown, refs: ProcessRefs = {}): ProcessDefinition {
  const p = new Problems();
  if (!isObject(body)) {
    p.add('', 'the body must be a JSON object');
    p.throwIfAny();
  }
  const v = body as Doc;
  unknownKeys(p, v, '', PROCESS_KEYS);
  const name = str(p, v.name, 'name', { pattern: NAME_PATTERN, patternHint: NAME_HINT }) ?? '';
  const description = str(p, v.description, 'description', { required: false, max: 2000 }) ?? null;

  const steps: ProcessStep[] = [];
  if (!Array.isArray(v.steps)) p.add('steps', v.steps === undefined ? 'is required' : 'must be a list of steps');
  else if (v.steps.length === 0) p.add('steps', 'must hold at least one step');
  else if (v.steps.length > MAX_STEPS) p.add('steps', `must hold at most ${MAX_STEPS} steps`);
  else if (expressionChars(v.steps) > MAX_PROCESS_EXPRESSION_CHARS)
    p.add(
      'steps',
      `hold ${expressionChars(v.steps)} characters of expressions; a process may hold at most ${MAX_PROCESS_EXPRESSION_CHARS}`,
    );
  else {
    // Earlier steps by name, so `useBodyOf` can only point backwards.
    const earlier = new Map<string, StepKind>();
    v.steps.forEach((raw: unknown, i: number) => {
      const step = compileStep(p, raw, `steps[${i}]`, earlier, refs);
      if (step === undefined) return;
      if (earlier.has(step.name)) p.add(`steps[${i}].name`, `${JSON.stringify(step.name)} is already the name of an earlier step`);
      else earlier.set(step.name, step.kind);
      steps.push(step);
    });
  }
  p.throwIfAny();
  return Object.freeze({ name, description, steps: Object.freeze(steps.map((s) => Object.freeze(s))) });
}

function compileStep(
  p: Problems,
  raw: unknown,
  at: string,
  earlier: ReadonlyMap<string, StepKind>,
  refs: ProcessRefs,
): ProcessStep | undefined {
  if (!isObject(raw)) return void p.add(at, 'must be an object');
  const kind = raw.kind;
  if (kind !== 'manual' && kind !== 'external' && kind !== 'map') {
    p.add(`${at}.kind`, kind === undefined ? 'is required: manual, external or map' : 'must be manual, external or map');
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (!KIND_KEYS[kind].includes(key)) p.add(`${at}.${key}`, `is not a setting of a ${kind} step`);
  }
  const name = str(p, raw.name, `${at}.name`, { pattern: STEP_NAME_PATTERN, patternHint: STEP_NAME_HINT }) ?? '';
  const title = str(p, raw.title, `${at}.title`, { required: false, notBlank: true, max: 500 }) ?? name;
  const when = expression(p, raw.when, `${at}.when`, false);
  const onFailure = raw.onFailure ?? 'stop';
  if (onFailure !== 'stop' && onFailure !== 'continue') p.add(`${at}.onFailure`, 'must be stop or continue');
  const base = { name, title, when, onFailure: onFailure as OnFailure };

  switch (kind) {
    case 'manual': {
      // Optional: a step without one puts its task on the case's own queue.
      const queue =
        raw.queue === undefined || raw.queue === null ? null : (reference(p, raw.queue, `${at}.queue`, 'queue', refs.queue) ?? '');
      // Kept as given (GET shows "2d", not milliseconds); the task's due time is its creation plus this.
      const due = duration(p, raw.due, `${at}.due`) === undefined ? null : (raw.due as Duration);
      return { ...base, kind, queue, due };
    }
    case 'external': {
      const actionType = reference(p, raw.actionType, `${at}.actionType`, 'action type', refs.actionType);
      const input = expression(p, raw.input, `${at}.input`, false);
      let useBodyOf: string | null = null;
      if (raw.useBodyOf !== undefined && raw.useBodyOf !== null) {
        if (typeof raw.useBodyOf !== 'string') p.add(`${at}.useBodyOf`, 'must be the name of an earlier map step');
        else if (earlier.get(raw.useBodyOf) !== 'map') {
          p.add(`${at}.useBodyOf`, `must name an earlier map step; ${JSON.stringify(raw.useBodyOf)} is not one`);
        } else useBodyOf = raw.useBodyOf;
        if (input !== null) p.add(`${at}.useBodyOf`, 'cannot be used together with input: the map step is the input');
      }
      const waitForResponse = raw.waitForResponse ?? true;
      if (typeof waitForResponse !== 'boolean') p.add(`${at}.waitForResponse`, 'must be true or false');
      return { ...base, kind, actionType: actionType ?? '', input, useBodyOf, waitForResponse: waitForResponse === true };
    }
    case 'map': {
      const expr = expression(p, raw.expression, `${at}.expression`, true);
      return { ...base, kind, expression: expr ?? '' };
    }
  }
}

/**
 * All of a process's expressions, counted before any is compiled: each is compiled on the event loop
 * when the process is saved, and 100 steps of 10,000 characters each would hold it for seconds.
 */
const MAX_PROCESS_EXPRESSION_CHARS = 100_000;

function expressionChars(steps: unknown[]): number {
  let n = 0;
  for (const raw of steps) {
    if (!isObject(raw)) continue;
    for (const k of ['input', 'expression', 'when'] as const) {
      const v = (raw as Doc)[k];
      if (typeof v === 'string') n += v.length;
    }
  }
  return n;
}

function expression(p: Problems, v: unknown, field: string, required: boolean): string | null {
  const text = str(p, v, field, { required, max: MAX_EXPRESSION_CHARS });
  if (text === undefined) return null;
  if (text.trim() === '') {
    p.add(field, 'must not be empty');
    return null;
  }
  // Bounded here, where a process is saved: one stored before the bound still runs.
  const shape = expressionShapeProblem(text);
  if (shape !== undefined) {
    p.add(field, shape);
    return null;
  }
  let compiled: ReturnType<typeof compileExpressionText>;
  try {
    compiled = compileExpressionText(text);
  } catch (e) {
    if (!(e instanceof ExpressionError)) throw e;
    p.add(field, e.message);
    return null;
  }
  // The evaluator stops deeper than its limit, so such an expression fails every case that reaches it: refused here instead.
  const depth = nesting(compiled.ast());
  const max = DEFAULT_EXPRESSION_LIMITS.maxStack;
  if (depth > max) {
    p.add(
      field,
      `nests ${depth} levels deep; an expression is evaluated at most ${max} deep, so every case would fail here (each "or", "and" or "&" of a chain nests one level: use "in [ ... ]" or $join)`,
    );
    return null;
  }
  return text;
}

/** How deeply a compiled expression's nodes nest: each evaluation of a node is one level of the evaluator's. */
function nesting(ast: unknown): number {
  let max = 0;
  // Iterative: a tree that JSONata's parser could still build must not overflow the stack here.
  const stack: Array<[unknown, number]> = [[ast, 0]];
  // A node the parser shares (a parent step's slot) is counted once.
  const seen = new Set<object>();
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    if (Array.isArray(v)) {
      for (const x of v) stack.push([x, d]);
      continue;
    }
    const type = (v as { type?: unknown }).type;
    // A predicate's filter is no evaluation of its own, and a path step's stages are filtered by the
    // path, once the step is evaluated: counted as the evaluator goes, nested predicates count one
    // level each (they were counted three, and 66 of them, which run, were refused).
    const here = typeof type === 'string' && type !== 'filter' ? d + 1 : d;
    if (here > max) max = here;
    for (const [k, x] of Object.entries(v)) stack.push([x, k === 'stages' ? d : here]);
  }
  return max;
}

function reference(
  p: Problems,
  v: unknown,
  field: string,
  what: string,
  resolve: ((ref: string) => string | undefined) | undefined,
): string | undefined {
  const ref = str(p, v, field, { max: 200 });
  if (ref === undefined || resolve === undefined) return ref;
  const id = resolve(ref);
  if (id === undefined) p.add(field, `no ${what} ${JSON.stringify(ref)} exists`);
  return id;
}
