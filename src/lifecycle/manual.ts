// Actions with no action type: a process's manual step (a task for a person) and nothing else. They
// are created in To Do and never sent, so the only policy they need is one that retries nothing and
// times nothing out.

import type { ActionPolicy, ActionRecord, TimelineEntry } from './action.ts';
import { DEFAULT_RETRY_POLICY } from './retry-policy.ts';
import type { Actor, Reason } from './states.ts';

export const MANUAL_POLICY: ActionPolicy = Object.freeze({
  retry: Object.freeze({ ...DEFAULT_RETRY_POLICY, maxRetries: 0 }),
  completion: Object.freeze({ mode: 'response' as const, timeoutMs: null, heartbeatTimeoutMs: null }),
  allocation: Object.freeze({ queue: null, user: null }),
});

export interface ToDoParams {
  id: string;
  actionTypeId: string | null;
  caseId: string;
  input: Record<string, unknown>;
  /** `manual` for a manual step's task; `invalid_input` for a step whose input failed its action type's fields. */
  reason: Extract<Reason, 'manual' | 'invalid_input'>;
  queue: string | null;
  assignee: string | null;
  /** Why it is a person's: the step's title, or the field errors. */
  message: string;
  now: number;
  actor: Actor;
  /** When a person's work on it is due (a task's `dueAt`); none when absent. */
  workDueAt?: number | null;
}

/** An action created straight in To Do for a person: never due, never sent. */
export function toDoAction(p: ToDoParams): { action: ActionRecord; timeline: TimelineEntry[] } {
  const action: ActionRecord = {
    id: p.id,
    actionTypeId: p.actionTypeId,
    caseId: p.caseId,
    state: 'todo',
    reason: p.reason,
    resolution: null,
    phase: null,
    input: p.input,
    output: null,
    attempts: 0,
    lastError: p.reason === 'invalid_input' ? p.message : null,
    lastErrorAt: p.reason === 'invalid_input' ? p.now : null,
    nextRetryAt: null,
    paused: false,
    rejectedReason: p.reason === 'invalid_input' ? p.message : null,
    externalReference: null,
    callbackOutcome: null,
    escalated: false,
    queue: p.queue,
    assignee: p.assignee,
    dueAt: null,
    timeoutAt: null,
    heartbeatAt: null,
    createdAt: p.now,
    updatedAt: p.now,
    closedAt: null,
    version: 1,
    workDueAt: p.workDueAt ?? null,
    overdueNoticed: false,
  };
  const label = p.reason === 'manual' ? 'To Do (Manual)' : 'To Do (Invalid Input)';
  return { action, timeline: [{ at: p.now, actor: p.actor, kind: 'launched', message: `Created ${label}: ${p.message}` }] };
}
