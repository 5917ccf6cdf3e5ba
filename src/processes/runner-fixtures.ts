// Shared fixtures of the runner tests: the SPEC 10.1 example process, real JSONata and real input checks.

import { buildInputSchema, inferFields, type FieldDeclarations } from '../templates/fields.ts';
import { compileInputValidator, type InputResult } from '../templates/validate.ts';
import { compileProcess } from './definition.ts';
import { evaluateExpression } from './expressions.ts';
import { type CaseEvent, type CaseRun, type RunResult, type RunnerContext, advance, newCaseRun } from './runner.ts';

export type Ok = Extract<RunResult, { ok: true }>;

export function checkerFor(types: Record<string, FieldDeclarations>): RunnerContext['checkInput'] {
  const validators = new Map<string, (input: unknown) => InputResult>();
  for (const [name, declared] of Object.entries(types)) {
    const fields = inferFields([], declared);
    validators.set(name, compileInputValidator(fields, buildInputSchema(fields)));
  }
  return (actionType, input) => validators.get(actionType)!(input);
}

export const ctx: RunnerContext = {
  evaluate: evaluateExpression,
  checkInput: checkerFor({
    'order-laptop': { Title: { type: 'string' }, Queue: { type: 'string' } },
    'send-sms': { To: { type: 'string' }, Text: { type: 'string' } },
    'set-priority': { Priority: { type: 'integer' } },
  }),
};

export function ok(r: RunResult): Ok {
  if (!r.ok) throw new Error(`expected ok, got ${r.code}: ${r.message}`);
  return r;
}

export const newStarter = compileProcess({
  name: 'new-starter',
  steps: [
    { name: 'approve', kind: 'manual', title: 'Approve the starter', queue: 'hr' },
    { name: 'laptop', kind: 'external', actionType: 'order-laptop', input: '{ "Title": case.name, "Queue": "hr" }' },
    {
      name: 'shape',
      kind: 'map',
      expression: '{ "laptopTicket": steps.laptop.output.ticket, "sms": { "To": case.mobile, "Text": "Welcome " & case.name } }',
    },
    { name: 'welcome', kind: 'external', actionType: 'send-sms', input: 'case.sms', waitForResponse: false, when: 'case.mobile != null' },
  ],
});

export const statuses = (run: CaseRun) => Object.fromEntries(run.steps.map((s) => [s.name, s.status]));
export const closed = (extra: Partial<Extract<CaseEvent, { type: 'action_changed' }>> & { step: string; actionId: string }): CaseEvent => ({
  type: 'action_changed',
  state: 'closed',
  reason: null,
  resolution: 'done_successfully',
  escalated: false,
  ...extra,
});
export const todo = (
  step: string,
  actionId: string,
  reason: 'request_rejected' | 'updated_by_integration' | 'timeout' = 'request_rejected',
): CaseEvent => ({
  type: 'action_changed',
  step,
  actionId,
  state: 'todo',
  reason,
  resolution: null,
  escalated: false,
});

/** A case of `process` whose first steps ran up to the external step `laptop` being sent. */
export async function atLaptop(
  process = newStarter,
  data: Record<string, unknown> = { name: 'Sam', mobile: '+31600000000' },
): Promise<CaseRun> {
  let run = ok(await advance(process, newCaseRun(process, data), { type: 'case_started' }, ctx)).run;
  run = ok(await advance(process, run, { type: 'action_queued', step: 'approve', actionId: 'task_1' }, ctx)).run;
  run = ok(
    await advance(process, run, { type: 'step_completed', step: 'approve', resolution: 'done_successfully', user: 'alice' }, ctx),
  ).run;
  return ok(await advance(process, run, { type: 'action_queued', step: 'laptop', actionId: 'act_laptop' }, ctx)).run;
}
