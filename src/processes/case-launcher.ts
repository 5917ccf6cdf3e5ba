// What a case's effects create: the actions of its steps. Each is inserted under the launch key
// `case:<case id>:<step>`, so applying an event again finds the action launched the first time
// instead of launching a second one.

import type { NewAction, Store } from '../store/types.ts';
import type { Registry, ActionTypeEntry } from '../engine/registry.ts';
import type { Engine } from '../engine/engine.ts';
import type { ActionRecord, TimelineEntry } from '../lifecycle/action.ts';
import { launchAction } from '../lifecycle/launch.ts';
import { toDoAction } from '../lifecycle/manual.ts';
import { uuidv7 } from '../ids.ts';
import type { FieldError } from '../templates/validate.ts';
import type { CaseEvent, RunnerContext } from './runner.ts';
import { evaluateExpression } from './expressions.ts';
import type { ProcessDefinition } from './definition.ts';

/**
 * `retry`: how many times an operator retried the step (step-retry.ts): a retried step's new action is
 * another launch than the one its first run made (a manual step's closed task stays as it was).
 */
export const stepLaunchKey = (caseId: string, step: string, retry = 0): string =>
  retry > 0 ? `case:${caseId}:${step}#${retry}` : `case:${caseId}:${step}`;
// Stored as the launch's hash: a user's launch that happens to use such a key never matches it.
const STEP_HASH = 'process-step';

export interface StepLaunch {
  actionId: string;
  /** Events the runner must hear at once (the action went straight to a person). */
  events: CaseEvent[];
  /** The action to insert with the case write that starts the step; absent when it exists already (a replay). */
  insert?: NewAction;
}

/**
 * Plans the actions of a case's steps; the case worker inserts them in the version-guarded write of
 * the case that starts those steps, so a PATCH or a close that lands first leaves nothing launched
 * (a step skipped by the new data, or a closed case, never has an action sent).
 */
export class CaseLauncher {
  constructor(private readonly d: { store: Store; registry: Registry; engine: Engine }) {}

  /** The runner's context for a process: its action types loaded once, so the input check is synchronous. */
  async context(def: ProcessDefinition): Promise<RunnerContext> {
    const types = new Map<string, ActionTypeEntry>();
    for (const s of def.steps)
      if (s.kind === 'external' && !types.has(s.actionType)) types.set(s.actionType, await this.d.registry.actionType(s.actionType));
    return {
      evaluate: (expr, scope) => evaluateExpression(expr, scope),
      checkInput: (actionType, input) => types.get(actionType)!.compiled.templates.validateInput(input),
    };
  }

  async launch(
    caseId: string,
    step: string,
    actionTypeId: string,
    input: Record<string, unknown>,
    now: number,
    caseQueue: string | null = null,
    retry = 0,
  ): Promise<StepLaunch> {
    const type = await this.d.registry.actionType(actionTypeId);
    const refused = type.compiled.templates.refusal(input);
    if (refused)
      return this.invalidInput(
        caseId,
        step,
        actionTypeId,
        input,
        [{ field: refused.field, message: refused.reason }],
        now,
        caseQueue,
        retry,
      );
    return this.plan(caseId, step, retry, () => {
      const l = launchAction({
        id: uuidv7(now),
        actionTypeId,
        actionTypeName: type.compiled.spec.name,
        caseId,
        input,
        policy: type.compiled.policy,
        now,
        actor: 'system',
      });
      return { action: l.action, timeline: l.timeline.map((e) => ({ ...e, data: { caseId, step } })) };
    });
  }

  /**
   * The step's action straight in To Do / Invalid Input, on its action type's queue (or, when the type
   * names neither queue nor person, the case's): never sent with wrong values.
   */
  async invalidInput(
    caseId: string,
    step: string,
    actionTypeId: string,
    input: Record<string, unknown>,
    errors: FieldError[],
    now: number,
    caseQueue: string | null = null,
    retry = 0,
  ): Promise<StepLaunch> {
    const policy = await this.d.registry.policyOf({ actionTypeId });
    const message = errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; ');
    return this.plan(caseId, step, retry, () =>
      toDoAction({
        id: uuidv7(now),
        actionTypeId,
        caseId,
        input,
        reason: 'invalid_input',
        queue: policy.allocation.queue ?? (policy.allocation.user === null ? caseQueue : null),
        assignee: policy.allocation.user,
        message,
        now,
        actor: 'system',
      }),
    );
  }

  /**
   * A manual step's task: an action with no action type, To Do / Manual on the step's queue (or the
   * case's; null when neither names one: it waits on the case for anyone to pick up).
   */
  async task(
    caseId: string,
    step: string,
    queue: string | null,
    title: string,
    now: number,
    dueMs: number | null = null,
    retry = 0,
  ): Promise<StepLaunch> {
    return this.plan(caseId, step, retry, () =>
      toDoAction({
        id: uuidv7(now),
        actionTypeId: null,
        caseId,
        // The step's title is what the task asks: lists and cards show it (a task has no action type to name it).
        input: { title },
        reason: 'manual',
        queue,
        assignee: null,
        message: title,
        now,
        actor: 'system',
        workDueAt: dueMs === null ? null : now + dueMs,
      }),
    );
  }

  /** After the case write that inserted them: wake the engine for their due times. */
  launched(items: readonly NewAction[]): void {
    for (const { action } of items) if (action.dueAt !== null) this.d.engine.dueAt(action.dueAt);
  }

  /**
   * Whether a launch is a task that may go on to a provider (a queue integrated with one): its case's
   * write then leaves a follow-up event, so the submission survives a failure or a crash after that write.
   */
  submits(item: NewAction): boolean {
    return item.action.actionTypeId === null && item.action.queue !== null && this.d.engine.integrations !== null;
  }

  /** Sends a task on an integrated queue to its provider; nothing on any other queue. Safe to repeat: the rules send it once. */
  async submit(taskId: string): Promise<void> {
    if (this.d.engine.integrations === null) return;
    const task = await this.d.store.getAction(taskId);
    if (task) await this.d.engine.integrations.taskCreated(task);
  }

  private async plan(
    caseId: string,
    step: string,
    retry: number,
    build: () => { action: ActionRecord; timeline: TimelineEntry[] },
  ): Promise<StepLaunch> {
    const key = stepLaunchKey(caseId, step, retry);
    const prior = await this.d.store.getActionByLaunchKey(key);
    if (prior) {
      if (prior.action.caseId !== caseId || prior.launchHash !== STEP_HASH)
        throw new Error(`the launch key ${key} belongs to action ${prior.action.id}, not to a step of case ${caseId}`);
      return { actionId: prior.action.id, events: arrivedAt(prior.action) };
    }
    const item = build();
    return { actionId: item.action.id, events: arrivedAt(item.action), insert: { ...item, launchKey: key, launchHash: STEP_HASH } };
  }
}

/** An action created for a person tells the runner so at once (no write of it will). */
function arrivedAt(a: ActionRecord): CaseEvent[] {
  if (a.state !== 'todo' || a.reason !== 'invalid_input') return [];
  return [{ type: 'action_changed', step: '', actionId: a.id, state: 'todo', reason: 'invalid_input', resolution: null, escalated: false }];
}
