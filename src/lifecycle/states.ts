// The words of the action lifecycle (SPEC section 2), shared by code, store and API.
// `as const` objects with union types rather than TS enums, so the strings are the API.

export const STATES = { waiting: 'waiting', todo: 'todo', in_progress: 'in_progress', closed: 'closed' } as const;
export type State = (typeof STATES)[keyof typeof STATES];

export const REASONS = {
  updated_by_integration: 'updated_by_integration',
  timeout: 'timeout',
  request_rejected: 'request_rejected',
  invalid_input: 'invalid_input',
  manual: 'manual',
} as const;
export type Reason = (typeof REASONS)[keyof typeof REASONS];

export const RESOLUTIONS = { done_successfully: 'done_successfully', not_done_successfully: 'not_done_successfully' } as const;
export type Resolution = (typeof RESOLUTIONS)[keyof typeof RESOLUTIONS];

/** What the engine is doing while an action is `waiting`. */
export const PHASES = {
  queued: 'queued',
  throttled: 'throttled',
  sending: 'sending',
  retry_scheduled: 'retry_scheduled',
  awaiting_callback: 'awaiting_callback',
} as const;
export type Phase = (typeof PHASES)[keyof typeof PHASES];

/** The labels people see, beside the words integrators script against. */
export const LABELS: Record<State | Reason | Resolution, string> = {
  waiting: 'Waiting',
  todo: 'To Do',
  in_progress: 'In Progress',
  closed: 'Closed',
  updated_by_integration: 'Updated by Integration',
  timeout: 'Timeout',
  request_rejected: 'Rejected by External System',
  invalid_input: 'Invalid Input',
  manual: 'Manual',
  done_successfully: 'Done Successfully',
  not_done_successfully: 'Not Done Successfully',
};

export const COMPLETION_MODES = { response: 'response', callback: 'callback' } as const;
export type CompletionMode = (typeof COMPLETION_MODES)[keyof typeof COMPLETION_MODES];

/** Who did a thing, as written on the timeline. */
export type Actor = 'system' | 'integration' | `user:${string}`;

export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}
