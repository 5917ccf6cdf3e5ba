// The process runner as a pure state machine, like src/lifecycle/transition.ts: (process, case run,
// event, context) -> new case run and the effects for the engine to perform. Expressions and the
// action types' input checks are injected, so the runner does no I/O and reads no clock; it is async
// only because JSONata evaluation is.

import type { FieldError, InputResult } from '../templates/validate.ts';
import { type Reason, type Resolution, type State, assertNever } from '../lifecycle/states.ts';
import { type ExternalStep, type ProcessDefinition, type ProcessStep, taskDueMs } from './definition.ts';
import { ExpressionError } from './expressions.ts';
import { type StepRetries, retriedAgain, retryRefusal } from './step-retry.ts';
import { type StepSkip, skipRefusal } from './step-skip.ts';
import { INPUT_LIMITS, MAX_STEP_OUTPUTS_BYTES, describeBytes, jsonProblem, jsonSize } from '../json-limits.ts';

export const STEP_STATUSES = {
  pending: 'pending',
  running: 'running',
  waiting_for_person: 'waiting_for_person',
  done: 'done',
  failed: 'failed',
  skipped: 'skipped',
} as const;
export type StepStatus = (typeof STEP_STATUSES)[keyof typeof STEP_STATUSES];

export const STEP_OUTCOMES = {
  ACTION_HANDLED_SUCCESSFUL: 'ACTION_HANDLED_SUCCESSFUL',
  ACTION_HANDLED_FAILED: 'ACTION_HANDLED_FAILED',
  QUEUE_ACTION_SUCCESSFUL: 'QUEUE_ACTION_SUCCESSFUL',
} as const;
export type StepOutcome = (typeof STEP_OUTCOMES)[keyof typeof STEP_OUTCOMES];

export interface StepRun {
  name: string;
  kind: ProcessStep['kind'];
  status: StepStatus;
  /** How the external system handled the step's action; external steps only. */
  outcome: StepOutcome | null;
  actionId: string | null;
  output: unknown;
  /** Why the step failed or its action went to a person for invalid input. */
  error: string | null;
  /** An operator's retries of the step (step_retried); absent: never retried. */
  retried?: StepRetries;
  /** An operator's skip of the failed step (step_skipped); absent: never skipped by a person. */
  skipped?: StepSkip;
}

export interface CaseRun {
  status: 'open' | 'closed';
  data: Record<string, unknown>;
  escalated: boolean;
  steps: StepRun[];
}

/** What expressions see (SPEC 10.1). */
export interface ExpressionScope {
  case: Record<string, unknown>;
  steps: Record<string, { output: unknown; status: StepStatus }>;
}

export type CaseEvent =
  | { type: 'case_started' }
  /** The step's action (or manual task) was written to the store, queued for the engine or a person. */
  | { type: 'action_queued'; step: string; actionId: string }
  /** The step's action reached a new state in its lifecycle. */
  | {
      type: 'action_changed';
      step: string;
      actionId: string;
      state: State;
      reason: Reason | null;
      resolution: Resolution | null;
      escalated: boolean;
      output?: unknown;
    }
  /** A person finished the step's task or To Do action. */
  | { type: 'step_completed'; step: string; resolution: Resolution; user: string; output?: unknown }
  /**
   * An operator runs a failed step again, as the first time, over the case's data as it now is: a step
   * the case stopped at with no action to retry (its expression or its `when` failed). `key`: the
   * request's Idempotency-Key, hashed and scoped to the user; a repeat of one kept changes nothing.
   */
  | { type: 'step_retried'; step: string; user: string; at: number; key?: string }
  /**
   * An operator skips a failed step the case stopped at: it becomes `skipped` and the case goes on as
   * after a `when` that was false. `key`: as a retry's; a repeat of it changes nothing.
   */
  | { type: 'step_skipped'; step: string; user: string; at: number; note: string | null; key?: string };

export type CaseEffect =
  | { type: 'launch_action'; step: string; actionType: string; input: Record<string, unknown>; waitForResponse: boolean }
  /** Create the action straight in To Do / Invalid Input for a person: it is never sent. */
  | { type: 'launch_invalid_input'; step: string; actionType: string; input: Record<string, unknown>; errors: FieldError[] }
  /** `queue` null: the case's own queue. */
  | { type: 'create_task'; step: string; queue: string | null; title: string; dueMs?: number | null }
  | { type: 'merge_case_data'; step: string; data: Record<string, unknown> }
  | { type: 'mark_escalated'; step: string }
  | { type: 'close_case' };

export interface RunnerContext {
  /** Evaluates a JSONata text over the scope; throws ExpressionError (see expressions.ts). */
  evaluate(expr: string, scope: ExpressionScope): Promise<unknown>;
  /** The action type's input check (defaults applied, types checked), e.g. compileInputValidator's. */
  checkInput(actionType: string, input: Record<string, unknown>): InputResult;
}

export type RefusalCode = 'INVALID_STATE' | 'CONFLICT' | 'NOT_FOUND';
export type RunResult =
  { ok: true; run: CaseRun; effects: CaseEffect[]; changed: boolean } | { ok: false; code: RefusalCode; message: string };

/** The step runs of a new case: every step pending. */
export function newCaseRun(process: ProcessDefinition, data: Record<string, unknown>): CaseRun {
  return {
    status: 'open',
    data: { ...data },
    escalated: false,
    steps: process.steps.map((s) => ({
      name: s.name,
      kind: s.kind,
      status: 'pending',
      outcome: null,
      actionId: null,
      output: null,
      error: null,
    })),
  };
}

const refuse = (message: string, code: RefusalCode = 'INVALID_STATE'): RunResult => ({ ok: false, code, message });

/** Applies one event to a case and runs its process forward as far as it can go without waiting. */
export async function advance(process: ProcessDefinition, current: CaseRun, event: CaseEvent, ctx: RunnerContext): Promise<RunResult> {
  if (current.steps.length !== process.steps.length || current.steps.some((s, i) => s.name !== process.steps[i]!.name)) {
    return refuse(`the case's steps do not match process ${JSON.stringify(process.name)}`);
  }
  const run: CaseRun = { ...current, data: { ...current.data }, steps: current.steps.map((s) => ({ ...s })) };
  const r = new Run(process, run, ctx);

  switch (event.type) {
    case 'case_started':
      if (run.status !== 'open' || run.steps.some((s) => s.status !== 'pending')) return refuse('the case has already started');
      await r.proceed();
      return r.result();
    case 'action_queued': {
      const at = r.stepFor(event.step, event.actionId);
      if (typeof at === 'string') return refuse(at, 'CONFLICT');
      const { step, def } = at;
      if (step.actionId === event.actionId) return r.result();
      if (step.status !== 'running' && step.status !== 'waiting_for_person')
        return refuse(`step ${event.step} is ${step.status}, not starting an action`);
      step.actionId = event.actionId;
      r.changed = true;
      if (def.kind === 'external' && !def.waitForResponse && step.status === 'running') {
        step.status = 'done';
        step.outcome = 'QUEUE_ACTION_SUCCESSFUL';
        await r.proceed();
      }
      return r.result();
    }
    case 'action_changed': {
      const at = r.stepFor(event.step, event.actionId);
      if (typeof at === 'string') return refuse(at, 'CONFLICT');
      const { step, def } = at;
      if (step.status === 'pending') return refuse(`step ${event.step} has not started; no action of it can change`);
      if (event.escalated && !run.escalated) {
        run.escalated = true;
        r.effect({ type: 'mark_escalated', step: step.name });
      }
      // A closed case only records escalation, even when a failed step's action is retried and then
      // succeeds: closing is final (the case's steps and data no longer change, as PATCH refuses), and
      // the action's own record shows the retry.
      if (run.status === 'closed') return r.result();
      if (step.status === 'failed' && step.actionId === event.actionId) {
        // The step's own action was reopened (an operator's Retry) or closed again.
        if (def.onFailure === 'stop') {
          // The case stopped at this step: it runs again, as the first time, and its close moves the case on.
          step.status = def.kind === 'manual' ? 'waiting_for_person' : 'running';
          step.outcome = null;
          step.error = null;
          r.changed = true;
        } else {
          // The case already went on past it (`continue`): waiting for the step again would hold
          // later steps back, so only a final Done is recorded.
          if (event.state === 'closed' && event.resolution === 'done_successfully') {
            const tooMany = event.output === undefined ? undefined : r.keepOutput(step, event.output);
            if (def.kind === 'external') step.outcome = 'ACTION_HANDLED_SUCCESSFUL';
            if (tooMany === undefined) {
              step.status = 'done';
              step.error = null;
            } else step.error = `output: ${tooMany}`;
            r.changed = true;
          }
          return r.result();
        }
      }
      // A no-wait step's action runs on after the case moved on.
      if (step.status !== 'running' && step.status !== 'waiting_for_person') return r.result();
      if (step.actionId === null) step.actionId = event.actionId;
      switch (event.state) {
        case 'waiting':
          return r.result();
        case 'todo':
        case 'in_progress':
          if (step.status !== 'waiting_for_person') {
            step.status = 'waiting_for_person';
            if (def.kind === 'external') step.outcome = 'ACTION_HANDLED_FAILED';
            r.changed = true;
          }
          return r.result();
        case 'closed': {
          const automatic = step.status === 'running';
          if (def.kind === 'external' && automatic) {
            step.outcome = event.resolution === 'done_successfully' ? 'ACTION_HANDLED_SUCCESSFUL' : 'ACTION_HANDLED_FAILED';
          }
          await r.finish(step, event.resolution ?? 'not_done_successfully', event.output);
          return r.result();
        }
        default:
          return assertNever(event.state);
      }
    }
    case 'step_completed': {
      const at = r.stepFor(event.step, null);
      if (typeof at === 'string') return refuse(at, 'CONFLICT');
      if (run.status === 'closed') return refuse('the case is closed');
      if (at.step.status !== 'waiting_for_person') return refuse(`step ${event.step} is ${at.step.status}, not waiting for a person`);
      await r.finish(at.step, event.resolution, event.output);
      return r.result();
    }
    case 'step_retried': {
      const at = r.stepFor(event.step, null);
      if (typeof at === 'string') return refuse(at, 'NOT_FOUND');
      const { step, def } = at;
      // A repeat (its answer lost, a double submit) answers the case as it now is, whatever came of the first.
      if (event.key !== undefined && step.retried?.keys.includes(event.key)) return r.result();
      const refusal = retryRefusal(run.status, step, def);
      if (refusal !== undefined) return refuse(refusal);
      step.status = 'pending';
      step.outcome = null;
      step.output = null;
      step.error = null;
      // A manual step's closed task stays as it was; the step gets a new one (under its retry's launch key).
      step.actionId = null;
      step.retried = retriedAgain(step.retried, event);
      r.changed = true;
      // The case stopped at this step: every step before it is done, skipped or failed with `continue`.
      await r.proceed();
      return r.result();
    }
    case 'step_skipped': {
      const at = r.stepFor(event.step, null);
      if (typeof at === 'string') return refuse(at, 'NOT_FOUND');
      const { step, def } = at;
      // A repeat (its answer lost, a double submit) answers the case as it now is.
      if (event.key !== undefined && step.skipped?.key === event.key)
        return step.skipped.note === event.note
          ? r.result()
          : refuse(`this Idempotency-Key skipped step ${JSON.stringify(step.name)} with another note: it is not the same request`);
      const refusal = skipRefusal(run.status, step, def);
      if (refusal !== undefined) return refuse(refusal);
      // Its error and action stay as they were: what the step failed with, and what was skipped (that
      // action is not retried from now on: engine/apply.ts; the write is refused if it was meanwhile).
      step.status = 'skipped';
      step.skipped = { at: event.at, by: event.user, note: event.note, ...(event.key !== undefined ? { key: event.key } : {}) };
      r.changed = true;
      // The case stopped at this step: every step before it is done, skipped or failed with `continue`.
      await r.proceed();
      return r.result();
    }
    default:
      return assertNever(event);
  }
}

/** The change being built, so every path records effects and moves on the same way. */
class Run {
  readonly effects: CaseEffect[] = [];
  changed = false;
  constructor(
    readonly process: ProcessDefinition,
    readonly run: CaseRun,
    readonly ctx: RunnerContext,
  ) {}

  effect(e: CaseEffect): void {
    this.effects.push(e);
    this.changed = true;
  }

  result(): RunResult {
    return { ok: true, run: this.run, effects: this.effects, changed: this.changed };
  }

  /** The step named in an event, or why the event does not belong to it. */
  stepFor(name: string, actionId: string | null): { step: StepRun; def: ProcessStep } | string {
    const i = this.run.steps.findIndex((s) => s.name === name);
    if (i === -1) return `the process has no step ${JSON.stringify(name)}`;
    const step = this.run.steps[i]!;
    if (actionId !== null && step.actionId !== null && step.actionId !== actionId) {
      return `step ${name} belongs to action ${step.actionId}, not ${actionId}`;
    }
    return { step, def: this.process.steps[i]! };
  }

  /** A step's action or task closed: Done goes on; Not Done fails the step and stops or goes on. */
  async finish(step: StepRun, resolution: Resolution, output: unknown): Promise<void> {
    this.changed = true;
    const tooMany = output === undefined ? undefined : this.keepOutput(step, output);
    if (resolution === 'done_successfully' && tooMany === undefined) {
      step.status = 'done';
      await this.proceed();
      return;
    }
    step.status = 'failed';
    // Done, but its output cannot be kept: the step fails saying so (the action's own record keeps the output).
    if (resolution === 'done_successfully') step.error = `output: ${tooMany}`;
    else step.error = `the action was closed Not Done Successfully${tooMany === undefined ? '' : `; its output was not kept: ${tooMany}`}`;
    // proceed() stops at a failed `stop` step, or passes it for `continue`.
    await this.proceed();
  }

  /**
   * Keeps `output` as the step's, unless the case's step outputs together would then pass
   * MAX_STEP_OUTPUTS_BYTES: the step keeps none of it, and the reason is returned. Bounded per case, not
   * per step: each output is already within its own limit, but a process of many steps added them up.
   */
  keepOutput(step: StepRun, output: unknown): string | undefined {
    let left = MAX_STEP_OUTPUTS_BYTES;
    // The step's own earlier output (a retried step's) is replaced, so not counted.
    for (const s of this.run.steps) {
      if (s === step || s.output === null || s.output === undefined) continue;
      left -= outputBytes(s.output);
      if (left < 0) break;
    }
    // Depth is bounded where each output is made; measured here for size alone, without recursion.
    const n = left < 0 ? undefined : jsonSize(output, { maxDepth: Number.MAX_SAFE_INTEGER, maxBytes: left });
    if (typeof n !== 'number' || n > left) {
      step.output = null;
      return `with it, the outputs of the case's steps would be larger than ${describeBytes(MAX_STEP_OUTPUTS_BYTES)} as JSON, so it is not kept`;
    }
    step.output = output;
    if (typeof output === 'object' && output !== null) OUTPUT_BYTES.set(output, n);
    return undefined;
  }

  scope(): ExpressionScope {
    // Entries, not assignments: a step named "__proto__" (the name pattern allows it) is then a key like any other.
    const steps: ExpressionScope['steps'] = Object.fromEntries(this.run.steps.map((s) => [s.name, { output: s.output, status: s.status }]));
    return { case: this.run.data, steps };
  }

  /** Runs pending steps in order until one waits (for an action or a person) or a failure stops the case. */
  async proceed(): Promise<void> {
    for (let i = 0; i < this.run.steps.length; i++) {
      const step = this.run.steps[i]!;
      const def = this.process.steps[i]!;
      switch (step.status) {
        case 'done':
        case 'skipped':
          continue;
        case 'failed':
          if (def.onFailure === 'continue') continue;
          return;
        case 'running':
        case 'waiting_for_person':
          return;
        case 'pending':
          if (!(await this.start(step, def))) return;
          continue;
        default:
          return assertNever(step.status);
      }
    }
    this.run.status = 'closed';
    this.effect({ type: 'close_case' });
  }

  /** Starts one step; true when it finished at once (skipped, map done, or failed with `continue`). */
  private async start(step: StepRun, def: ProcessStep): Promise<boolean> {
    this.changed = true;
    if (def.when !== null) {
      const cond = await this.tryEvaluate(def.when, 'when');
      if (!cond.ok) return this.fail(step, def, cond.error);
      if (!truthy(cond.value)) {
        step.status = 'skipped';
        return true;
      }
    }
    switch (def.kind) {
      case 'manual':
        step.status = 'waiting_for_person';
        this.effect({ type: 'create_task', step: step.name, queue: def.queue, title: def.title, dueMs: taskDueMs(def) });
        return false;
      case 'external':
        await this.launch(step, def);
        return false;
      case 'map': {
        const result = await this.tryEvaluate(def.expression, 'expression');
        if (!result.ok) return this.fail(step, def, result.error);
        const value = result.value ?? {};
        if (!isPlainObject(value)) return this.fail(step, def, 'expression must yield an object to merge into case data');
        // Case data is bounded as a launch's and a PATCH's are: steps that each stay within it must not grow it past.
        const merged = { ...this.run.data, ...value };
        const tooBig = jsonProblem(merged, INPUT_LIMITS);
        if (tooBig) return this.fail(step, def, `merged into the case data, the result ${tooBig}`);
        const tooMany = this.keepOutput(step, value);
        if (tooMany !== undefined) return this.fail(step, def, `the result: ${tooMany}`);
        this.run.data = merged;
        step.status = 'done';
        this.effect({ type: 'merge_case_data', step: step.name, data: value });
        return true;
      }
      default:
        return assertNever(def);
    }
  }

  private async launch(step: StepRun, def: ExternalStep): Promise<void> {
    let input: Record<string, unknown> = {};
    let problem: string | null = null;
    if (def.useBodyOf !== null) {
      const body = this.run.steps.find((s) => s.name === def.useBodyOf)?.output ?? {};
      if (isPlainObject(body)) input = body;
      else problem = `useBodyOf: step ${def.useBodyOf} has no object result to use`;
    } else if (def.input !== null) {
      const result = await this.tryEvaluate(def.input, 'input');
      if (!result.ok) problem = result.error;
      else if (isPlainObject(result.value)) input = result.value;
      else problem = 'input must yield an object of the action type’s fields';
    }
    const checked: InputResult =
      problem === null ? this.ctx.checkInput(def.actionType, input) : { ok: false, errors: [{ field: '', message: problem }] };
    if (checked.ok) {
      step.status = 'running';
      this.effect({
        type: 'launch_action',
        step: step.name,
        actionType: def.actionType,
        input: checked.value,
        waitForResponse: def.waitForResponse,
      });
      return;
    }
    // Never a send with missing or wrong values: a person sees the input and the errors instead.
    step.status = 'waiting_for_person';
    step.outcome = 'ACTION_HANDLED_FAILED';
    step.error = checked.errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; ');
    this.effect({ type: 'launch_invalid_input', step: step.name, actionType: def.actionType, input, errors: checked.errors });
  }

  private fail(step: StepRun, def: ProcessStep, error: string): boolean {
    step.status = 'failed';
    step.error = error;
    return def.onFailure === 'continue';
  }

  private async tryEvaluate(expr: string, field: string): Promise<{ ok: true; value: unknown } | { ok: false; error: string }> {
    try {
      return { ok: true, value: await this.ctx.evaluate(expr, this.scope()) };
    } catch (e) {
      // Only expression failures become step errors; anything else is a bug the engine must see.
      if (!(e instanceof ExpressionError)) throw e;
      return { ok: false, error: `${field}: ${e.message}` };
    }
  }
}

/**
 * Each kept output's size as JSON, measured once: every step that finishes weighs the case's other
 * outputs, and walking all of them again each time (up to 1 MB of small members) cost a process of 100
 * steps seconds of the main thread. Outputs are never changed once kept, so a size stays true.
 */
const OUTPUT_BYTES = new WeakMap<object, number>();

function outputBytes(v: unknown): number {
  if (typeof v !== 'object' || v === null) {
    const n = jsonSize(v, { maxDepth: Number.MAX_SAFE_INTEGER, maxBytes: MAX_STEP_OUTPUTS_BYTES });
    return typeof n === 'number' ? n : MAX_STEP_OUTPUTS_BYTES + 1;
  }
  const known = OUTPUT_BYTES.get(v);
  if (known !== undefined) return known;
  const n = jsonSize(v, { maxDepth: Number.MAX_SAFE_INTEGER, maxBytes: MAX_STEP_OUTPUTS_BYTES });
  // Over the bound on its own (one kept before the bound was): counted as just past it.
  const bytes = typeof n === 'number' ? n : MAX_STEP_OUTPUTS_BYTES + 1;
  OUTPUT_BYTES.set(v, bytes);
  return bytes;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSONata's $boolean(): empty strings, 0, null, empty arrays and objects are false. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (Array.isArray(v)) return v.some(truthy);
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'string':
      return v.length > 0;
    case 'number':
      return v !== 0;
    case 'object':
      return Object.keys(v).length > 0;
    default:
      return false;
  }
}
