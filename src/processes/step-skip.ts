// An operator's skip of a failed step (POST /v1/cases/{id}/steps/{name}/skip): which steps it may
// skip, and what it records on the step. The runner (runner.ts, step_skipped) moves the case on. A
// skipped step's action is not retried any more, and a retry and a skip that meet: the second loses.

import type { ProcessStep } from './definition.ts';

/** Who skipped a step, when and why; `key`: the request's Idempotency-Key, hashed (never shown). */
export interface StepSkip {
  at: number;
  by: string;
  note: string | null;
  key?: string;
}

/** The longest note a skip keeps, in characters. */
export const MAX_STEP_SKIP_NOTE = 1000;

/** What a skip needs to know of the step as the case ran it (runner.ts StepRun). */
interface SkippedStep {
  name: string;
  status: string;
  actionId: string | null;
}

/**
 * Why a step cannot be skipped; undefined when it can: only a failed step the case stopped at
 * (onFailure stop), whatever it failed with. A step waiting for a person is finished by its task, a
 * running one by its action, and a pending one has not run: skipping any of them would hide work in
 * progress. Skipping cannot be undone.
 */
export function skipRefusal(caseStatus: 'open' | 'closed', step: SkippedStep, def: Pick<ProcessStep, 'onFailure'>): string | undefined {
  const name = JSON.stringify(step.name);
  if (caseStatus === 'closed') return 'the case is closed: its steps no longer change';
  switch (step.status) {
    case 'failed':
      if (def.onFailure === 'continue') return `step ${name} failed with onFailure "continue": the case already went on without it`;
      return undefined;
    case 'skipped':
      return `step ${name} is already skipped`;
    case 'waiting_for_person':
      return step.actionId === null
        ? `step ${name} is waiting for a person: complete its task instead of skipping it`
        : `step ${name} is waiting for a person: complete its task or action ${step.actionId} (POST /v1/actions/${step.actionId}/complete) instead of skipping it`;
    case 'running':
      return `step ${name} is running: its action moves the case on when it closes`;
    default:
      return `step ${name} is ${step.status}, not failed: only a failed step the case stopped at can be skipped`;
  }
}

/** A case's step as stored, as far as an action's retry needs to know it (runner.ts StepRun). */
interface StoredStep {
  name: string;
  status: string;
  actionId: string | null;
  skipped?: Pick<StepSkip, 'by'>;
}

/**
 * Why an action of a case may not be retried (POST /v1/actions/{id}/retry); undefined when it may: its
 * step was skipped by an operator, so the case no longer waits for it and would not move whatever it
 * returned, and the external system would get a request nobody waits for.
 */
export function skippedActionRefusal(
  caseId: string,
  steps: readonly StoredStep[] | null | undefined,
  actionId: string,
): string | undefined {
  const step = steps?.find((s) => s.actionId === actionId && s.status === 'skipped');
  if (!step) return undefined;
  return `The action's step ${JSON.stringify(step.name)} of case ${caseId} was skipped by ${step.skipped?.by ?? 'an operator'}: nothing waits for it, so it is not sent again`;
}

/**
 * The skip's refusal when the step's action changed after the step failed and the case has not heard
 * of it yet (an operator's retry of it, written just before the skip): the retry came first. A
 * sentence of its own, as the store throws it.
 */
export function reopenedActionRefusal(step: string, actionId: string): string {
  return `Step ${JSON.stringify(step)} is running again: its action ${actionId} was retried, and its close moves the case on`;
}
