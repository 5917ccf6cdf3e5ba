// What the lifecycle's effects ask of the store, decided once for both: which case data to merge and
// which owners to notify. Each store then runs the plan in the transaction of the writes.

import { assertNever } from '../lifecycle/states.ts';
import type { ActionWrite } from './types.ts';
import type { CaseEvent } from '../processes/runner.ts';

export interface CaseDataMerge {
  caseId: string;
  /** The patches to this case in write order, composed: a shallow merge, later keys winning. */
  data: Record<string, unknown>;
  at: number;
}

/** A notice to the owner of the case (if it has one) that one of its actions escalated. */
export interface OwnerNotice {
  actionId: string;
  caseId: string;
  message: string;
  at: number;
}

/** A change of state of a case's action, for the case outbox (stored only for cases that run a process). */
export interface CaseEventNotice {
  caseId: string;
  event: Extract<CaseEvent, { type: 'action_changed' }>;
  at: number;
}

export interface EffectPlan {
  merges: CaseDataMerge[];
  notices: OwnerNotice[];
  caseEvents: CaseEventNotice[];
}

/** The effects of applied writes, in write order; an action without a case has none to apply. */
export function planEffects(applied: readonly ActionWrite[]): EffectPlan {
  const merges = new Map<string, CaseDataMerge>();
  const notices: OwnerNotice[] = [];
  const caseEvents: CaseEventNotice[] = [];
  for (const { action: a, effects } of applied) {
    const caseId = a.caseId;
    if (caseId === null) continue;
    for (const eff of effects)
      switch (eff.type) {
        case 'merge_case_data':
          merges.set(caseId, { caseId, data: { ...merges.get(caseId)?.data, ...eff.data }, at: a.updatedAt });
          break;
        case 'escalated':
          notices.push({
            actionId: a.id,
            caseId,
            message: `Action ${a.id} closed Not Done Successfully: ${a.lastError ?? ''}`.trim(),
            at: a.updatedAt,
          });
          break;
        case 'state_changed':
          // The record's new state and its timeline entry say it; the case's process hears of it
          // through the outbox. The step is found by action id when the event is applied.
          caseEvents.push({
            caseId,
            event: {
              type: 'action_changed',
              step: '',
              actionId: a.id,
              state: eff.to.state,
              reason: eff.to.reason,
              resolution: eff.to.resolution,
              escalated: effects.some((e) => e.type === 'escalated'),
              ...(eff.to.state === 'closed' && a.output !== null ? { output: a.output } : {}),
            },
            at: a.updatedAt,
          });
          break;
        default:
          assertNever(eff);
      }
  }
  return { merges: [...merges.values()], notices, caseEvents };
}

export const isEmptyPlan = (p: EffectPlan): boolean => p.merges.length === 0 && p.notices.length === 0 && p.caseEvents.length === 0;
