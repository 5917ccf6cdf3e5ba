// What the lifecycle's effects ask of the store, decided once for both: which case data to merge and
// which owners to notify. Each store then runs the plan in the transaction of the writes.

import { assertNever } from '../lifecycle/states.ts';
import type { ActionWrite } from './types.ts';
import type { WebhookEventRow } from '../webhooks/rows.ts';

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

export interface EffectPlan {
  merges: CaseDataMerge[];
  notices: OwnerNotice[];
  /** Webhook events of the applied writes, for the outbox, in write order. */
  events: WebhookEventRow[];
}

/** The effects of applied writes, in write order; an action without a case has none to apply. */
export function planEffects(applied: readonly ActionWrite[]): EffectPlan {
  const merges = new Map<string, CaseDataMerge>();
  const notices: OwnerNotice[] = [];
  const events: WebhookEventRow[] = [];
  for (const { action: a, effects, events: outgoing } of applied) {
    if (outgoing) events.push(...outgoing);
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
          // Nothing more to store: the record's new state and its timeline entry already say it.
          break;
        default:
          assertNever(eff);
      }
  }
  return { merges: [...merges.values()], notices, events };
}

export const isEmptyPlan = (p: EffectPlan): boolean => p.merges.length === 0 && p.notices.length === 0 && p.events.length === 0;
