// Where a case stopped: the failed step (onFailure stop) an open case waits at with nothing to move
// it on but a person (retry, skip, or a fix of its action). The case view shows it, the case's
// `stopped_at` column lists it (GET /v1/cases?stopped=), and the case worker tells the owner and
// webhook subscribers once per stop.

import type { ProcessStep } from './definition.ts';
import type { CaseNotice } from '../store/types.ts';
import { cut } from './case-history.ts';

/** What the stop needs to know of a step as the case ran it (runner.ts StepRun). */
interface StoppedStep {
  name: string;
  status: string;
  error: string | null;
  retried?: { count: number };
}

export interface CaseStop {
  step: string;
  error: string | null;
  /** The step's retries so far: a retry that fails again is a new stop at the same step. */
  retries: number;
}

/**
 * The failed `stop` step an open case is stopped at; undefined when the case goes on, waits for an
 * action or a person, or is closed. The runner goes no further than the first such step, so there is
 * at most one; a `continue` step that failed was passed.
 */
export function caseStop(
  status: 'open' | 'closed' | undefined,
  steps: readonly StoppedStep[] | null | undefined,
  defs: readonly Pick<ProcessStep, 'onFailure'>[] | undefined,
): CaseStop | undefined {
  if (status === 'closed' || !steps || !defs) return undefined;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if (s.status !== 'failed') continue;
    // A definition stored before onFailure had a default reads as stop, as the runner reads it.
    if ((defs[i]?.onFailure ?? 'stop') !== 'stop') continue;
    return { step: s.name, error: s.error, retries: s.retried?.count ?? 0 };
  }
  return undefined;
}

/** Whether `after` is a stop that `before` was not: a new step, or the same one failing again after a retry. */
export const isNewStop = (before: CaseStop | undefined, after: CaseStop | undefined): after is CaseStop =>
  after !== undefined && (before === undefined || before.step !== after.step || before.retries !== after.retries);

/** The most of a step's error a notification quotes: an expression's message may quote case data. */
const NOTICE_ERROR_CHARS = 500;

/** The owner's notification of a new stop (kind case.stopped), naming the step and why. */
export function stopNotice(owner: string, stop: CaseStop, at: number): CaseNotice {
  const error = stop.error === null ? '' : `: ${cut(stop.error, NOTICE_ERROR_CHARS + 1)}`;
  return { user: owner, kind: 'case.stopped', message: `The case stopped at step ${JSON.stringify(stop.step)}${error}`, at };
}
