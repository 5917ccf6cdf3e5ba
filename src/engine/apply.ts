// A change asked for by a person or an external system (a callback, a completion, a retry): applied
// now through the lifecycle, written through the group commit (so concurrent requests share a
// transaction), and tried again from the stored record when another writer got there first.

import type { ActionRecord } from '../lifecycle/action.ts';
import { transition, type ActionEvent } from '../lifecycle/transition.ts';
import type { Store } from '../store/types.ts';
import type { Clock } from '../clock.ts';
import type { Registry } from './registry.ts';
import { transitionWrite, type GroupCommit } from './group-commit.ts';
import type { WebhookEventSource } from '../webhooks/outbox.ts';
import { ConflictError, InvalidStateError, NotFoundError } from '../errors.ts';
import { skippedActionRefusal } from '../processes/step-skip.ts';

export interface ApplyDeps {
  store: Store;
  registry: Registry;
  clock: Clock;
  writes: GroupCommit;
  webhookEvents: WebhookEventSource | null;
}

/**
 * The engine's part when a person's change meets an action it claimed ahead and has not sent: given
 * back (the lifecycle's `claim_released`) in the same write as the change.
 */
export interface HeldClaim {
  /** The event that gives `cur` back, when it is such a claim (its copy then leaves the engine's hands). */
  releaseFor(cur: ActionRecord): ActionEvent | undefined;
  /** The change was refused or changed nothing: the claim stands as `cur`, to be sent as claimed. */
  keep(cur: ActionRecord): void;
}

/** Applies one event to an action now, guarded against concurrent writers; refusals become errors. */
export async function applyNow(
  d: ApplyDeps,
  id: string,
  event: ActionEvent,
  known?: ActionRecord,
  claim?: HeldClaim,
  repeatOf?: () => Promise<ActionRecord | undefined>,
): Promise<ActionRecord> {
  for (let i = 0; i < 20; i++) {
    // A write lost to another node may have been this request's repeat (the same Idempotency-Key sent
    // there): asked again before applying it on what that node wrote.
    const repeated = i > 0 && repeatOf ? await repeatOf() : undefined;
    if (repeated) return repeated;
    const cur = i === 0 && known ? known : await d.store.getAction(id);
    if (!cur) throw new NotFoundError('Action', id);
    // A skipped step's action is not sent again (its case would not move). Asked at every try: a write
    // the store refused for it (guard below) was one a skip beat to the case.
    const retriesStep = event.type === 'retry_requested' && cur.caseId !== null;
    if (retriesStep) await refuseIfStepSkipped(d.store, cur);
    const policy = await d.registry.policyOf(cur);
    const now = d.clock.now();
    const release = claim?.releaseFor(cur);
    let base = cur;
    if (release) {
      const r = transition(cur, release, { policy, now, rand: Math.random() });
      if (r.ok) base = r.action;
    }
    const t = transition(base, event, { policy, now, rand: Math.random() });
    if (!t.ok || !t.changed) claim?.keep(cur);
    if (!t.ok) {
      // Refused on what a repeat made of it (another node applied it first): answered as the repeat.
      const repeat = repeatOf && (await repeatOf());
      if (repeat) return repeat;
      throw t.code === 'CONFLICT' ? new ConflictError(t.message) : new InvalidStateError(t.message);
    }
    if (!t.changed) return cur;
    // Through the group commit: many concurrent callbacks share one transaction.
    const events = d.webhookEvents?.forTransition(cur, t.action, t.effects);
    const write = transitionWrite(cur, t, events);
    // Checked again in the write's transaction, under the case's lock: a skip landing since is seen.
    if (retriesStep) write.unlessStepSkipped = true;
    const written = await d.writes.enqueue(write, event, 'report');
    // Its due time reaches the loop through the group commit (onDue).
    if (written) return written;
    // Lost again: another node is writing this action as fast (a team's notes through both). Tried at
    // once it loses in step with that node's next write; after a random pause of up to 50 ms, the gap.
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 ** i, 50)));
  }
  throw new ConflictError('The action kept changing while this request was applied; try again');
}

/** Refuses (409) the retry of an action whose case's step an operator skipped. */
async function refuseIfStepSkipped(store: Store, a: ActionRecord): Promise<void> {
  const c = await store.getCase(a.caseId!);
  const refusal = c ? skippedActionRefusal(c.id, c.steps, a.id) : undefined;
  if (refusal !== undefined) throw new InvalidStateError(refusal);
}
