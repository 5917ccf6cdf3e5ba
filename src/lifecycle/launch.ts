// A new action enters the lifecycle: waiting/queued, due at once, with its completion deadline.

import type { ActionPolicy, ActionRecord, TimelineEntry } from './action.ts';
import type { Actor } from './states.ts';

export interface LaunchParams {
  id: string;
  actionTypeId: string;
  actionTypeName: string;
  caseId: string | null;
  input: Record<string, unknown>;
  policy: ActionPolicy;
  now: number;
  actor: Actor;
  /** Send no earlier than this (a scheduled launch); the completion deadline counts from then. @default now */
  startAt?: number;
}

export function launchAction(p: LaunchParams): { action: ActionRecord; timeline: TimelineEntry[] } {
  const start = Math.max(p.now, p.startAt ?? p.now);
  const action: ActionRecord = {
    id: p.id,
    actionTypeId: p.actionTypeId,
    caseId: p.caseId,
    state: 'waiting',
    reason: null,
    resolution: null,
    phase: 'queued',
    input: p.input,
    output: null,
    attempts: 0,
    lastError: null,
    lastErrorAt: null,
    nextRetryAt: null,
    paused: false,
    rejectedReason: null,
    externalReference: null,
    callbackOutcome: null,
    escalated: false,
    queue: null,
    assignee: null,
    dueAt: start,
    timeoutAt: p.policy.completion.timeoutMs !== null ? start + p.policy.completion.timeoutMs : null,
    heartbeatAt: null,
    createdAt: p.now,
    updatedAt: p.now,
    closedAt: null,
    version: 1,
    workDueAt: null,
    overdueNoticed: false,
  };
  const timeline: TimelineEntry[] = [
    { at: p.now, actor: p.actor, kind: 'launched', message: `Launched ${p.actionTypeName}; Waiting (queued)` },
  ];
  return { action, timeline };
}
