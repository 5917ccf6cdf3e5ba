// An operator's retry of a failed step (POST /v1/cases/{id}/steps/{name}/retry): which failed steps it
// may run again, and what it records on the step. The runner (runner.ts, step_retried) runs the step.

import type { ProcessStep } from './definition.ts';

/** Who retried a step last, when, how often, and the (hashed) Idempotency-Keys of its newest retries. */
export interface StepRetries {
  count: number;
  at: number;
  by: string;
  keys: string[];
}

/** The Idempotency-Keys of a step's retries that are kept: a repeat of an older one is a new retry. */
export const STEP_RETRY_KEYS_KEPT = 10;

/** What a retry needs to know of the step as the case ran it (runner.ts StepRun). */
interface FailedStep {
  name: string;
  status: string;
  actionId: string | null;
  outcome: string | null;
  error: string | null;
}

/**
 * Why a step cannot be run again by an operator's retry; undefined when it can: a failed step the case
 * stopped at (onFailure stop) with no action to retry: its expression or `when` failed, or it is a
 * manual step whose task was closed Not Done Successfully (a task has nothing to send, so it is not
 * retried: the step gets a new task).
 */
export function retryRefusal(
  caseStatus: 'open' | 'closed',
  step: FailedStep,
  def: Pick<ProcessStep, 'kind' | 'onFailure'>,
): string | undefined {
  const name = JSON.stringify(step.name);
  if (caseStatus === 'closed') return 'the case is closed: its steps no longer run';
  if (step.status !== 'failed') return `step ${name} is ${step.status}, not failed: there is nothing to retry`;
  if (step.actionId !== null && def.kind !== 'manual') {
    // Done, but its output could not be kept (the runner's keepOutput): the action is closed and is not sent again.
    if (step.outcome === 'ACTION_HANDLED_SUCCESSFUL')
      return `step ${name} failed although its action ${step.actionId} was Done Successfully (${step.error ?? 'no reason kept'}); that action is closed and is not sent again`;
    // Its action is what failed: the action's own retry moves the step again (the runner's action_changed).
    return `step ${name} failed with its action ${step.actionId}: retry the action (POST /v1/actions/${step.actionId}/retry), and its close moves the case on`;
  }
  // Its case went on without it; running it now would start it behind steps that already ran.
  if (def.onFailure === 'continue')
    return `step ${name} failed with onFailure "continue": the case went on without it, so it is not run again`;
  return undefined;
}

/** The step's retries with one more: by `user` at `at`, its hashed key kept among the newest. */
export function retriedAgain(before: StepRetries | undefined, retry: { user: string; at: number; key?: string }): StepRetries {
  const keys = before?.keys ?? [];
  return {
    count: (before?.count ?? 0) + 1,
    at: retry.at,
    by: retry.user,
    keys: retry.key === undefined ? keys : [...keys, retry.key].slice(-STEP_RETRY_KEYS_KEPT),
  };
}
