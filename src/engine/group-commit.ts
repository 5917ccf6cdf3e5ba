// The group commit: writes of actions (the engine's outcomes, people's and callbacks' changes) queue
// here and are committed together, so a busy engine makes few large transactions rather than one per
// action. A write that fails alone never fails the others in its commit.

import type { ActionRecord } from '../lifecycle/action.ts';
import { transition, type ActionEvent, type Effect } from '../lifecycle/transition.ts';
import type { ActionWrite, Store } from '../store/types.ts';
import type { Clock } from '../clock.ts';
import type { ConnectorHealth } from './connector-health.ts';
import type { Registry } from './registry.ts';
import type { Logger } from '../logger.ts';
import { isOutcomeUnknown } from '../store/failures.ts';

/**
 * What to do when another writer changed the action first: the engine's own writes apply their
 * event again to what is there now; a request's writes report it (the request reads and retries).
 */
export type OnConflict = 'reapply' | 'report';

interface PendingWrite {
  write: ActionWrite;
  event: ActionEvent;
  onConflict: OnConflict;
  resolve: (ok: ActionRecord | undefined) => void;
  reject: (err: unknown) => void;
}

export interface GroupCommitOptions {
  store: Store;
  registry: Registry;
  clock: Clock;
  logger: Logger;
  /** Its pending circuit outcomes are written before each batch. */
  health: ConnectorHealth;
  /** A queue this long is written at once. */
  batchSize: number;
  /** An action was written. */
  onWritten: (action: ActionRecord, effects: Effect[]) => void;
  /** The earliest due time a commit wrote: the loop's sleep began before it, so it is told (once per commit). */
  onDue: (at: number) => void;
  /** Something failed that the engine recovers from (already logged). */
  onFailure: (err: unknown) => void;
  /** Webhook outbox rows of a transition, written with it (none when nobody subscribes). */
  eventsFor?: (before: ActionRecord, after: ActionRecord, effects: Effect[]) => ActionWrite['events'];
}

/** The guarded write of a transition computed from `cur` (only its changed columns need writing), with its webhook events. */
export function transitionWrite(
  cur: ActionRecord,
  t: { action: ActionRecord; timeline: ActionWrite['timeline']; effects: Effect[] },
  events: ActionWrite['events'],
): ActionWrite {
  return {
    action: t.action,
    expectedVersion: cur.version,
    previous: cur,
    timeline: t.timeline,
    effects: t.effects,
    ...(events ? { events } : {}),
  };
}

/** Most writes in one transaction. */
const MAX_WRITE_BATCH = 1024;
/** How long the engine's own outcomes wait to share a commit. */
const WRITE_COALESCE_MS = 2;

export class GroupCommit {
  private queue: PendingWrite[] = [];
  private flushScheduled = false;
  private readonly writers = new Set<Promise<void>>();

  constructor(private readonly o: GroupCommitOptions) {}

  /** Queues a write for the next batch; resolves to the record written, or undefined when it was not. */
  enqueue(write: ActionWrite, event: ActionEvent, onConflict: OnConflict = 'reapply'): Promise<ActionRecord | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ write, event, onConflict, resolve, reject });
      if (this.queue.length >= this.o.batchSize) void this.flush();
      else if (onConflict === 'report')
        setImmediate(() => void this.flush()); // a request waits: no delay
      else if (!this.flushScheduled) {
        // The engine's own outcomes wait a moment for company: fewer, larger commits (one fsync each).
        this.flushScheduled = true;
        setTimeout(() => void this.flush(), WRITE_COALESCE_MS);
      }
    });
  }

  /**
   * Writers drain the queue; writes that arrive while a batch commits wait for the next one. A store
   * that takes concurrent writers usefully gets them (PostgreSQL had two, then one once the engine
   * claimed ahead: the batch fills while the one commits, and bigger batches cost less per write);
   * SQLite's writes are synchronous, so one is all it can use. Resolves when the queue is empty.
   */
  flush(): Promise<void> {
    this.flushScheduled = false;
    const maxWriters = this.o.store.capabilities.concurrentWriters;
    while (this.writers.size < maxWriters && this.queue.length > 0) {
      const w = (async () => {
        while (this.queue.length > 0) await this.writeBatch(this.queue.splice(0, MAX_WRITE_BATCH));
      })().finally(() => this.writers.delete(w));
      this.writers.add(w);
    }
    return Promise.all(this.writers).then(() => undefined);
  }

  private async writeBatch(batch: PendingWrite[]): Promise<void> {
    await this.o.health.flush(this.o.clock.now());
    const failed = await this.writeGroup(batch);
    if (failed.length === 0) return;
    // The store is unreachable, or these writes cannot be stored: the engine's own work is taken
    // up again when its lease expires; a request learns that its write failed.
    this.o.logger.error(
      { err: failed[0]!.err, count: failed.length, of: batch.length },
      isOutcomeUnknown(failed[0]!.err)
        ? 'writing outcomes may have failed (the store could not say); those not stored will be taken up again when their leases expire'
        : 'writing outcomes failed; the actions will be taken up again when their leases expire',
    );
    this.o.onFailure(failed[0]!.err);
    for (const { b, err } of failed)
      if (b.onConflict === 'report') b.reject(err);
      else b.resolve(undefined);
  }

  /**
   * Commits writes together; when the commit fails, each is written alone, so one write the store
   * cannot take (a value it cannot serialise, a constraint) never fails the others in its commit.
   * A commit whose outcome is unknown (store/failures.ts) fails as a whole. Returns the writes
   * that failed on their own, still pending.
   */
  private async writeGroup(batch: PendingWrite[]): Promise<Array<{ b: PendingWrite; err: unknown }>> {
    let results: boolean[];
    try {
      results = await this.o.store.writeActions(batch.map((b) => b.write));
    } catch (err) {
      // Written or not, nobody knows: written alone, each would conflict with itself and apply its
      // event a second time (an attempt counted twice). Their leases bring them back if it was not.
      if (batch.length === 1 || isOutcomeUnknown(err)) return batch.map((b) => ({ b, err }));
      this.o.logger.warn({ err, count: batch.length }, 'a group commit failed; writing its actions one at a time');
      const failed: Array<{ b: PendingWrite; err: unknown }> = [];
      for (const b of batch) failed.push(...(await this.writeGroup([b])));
      return failed;
    }
    let earliest = Infinity;
    for (let i = 0; i < batch.length; i++) if (results[i]) earliest = Math.min(earliest, batch[i]!.write.action.dueAt ?? Infinity);
    if (earliest !== Infinity) this.o.onDue(earliest);
    for (let i = 0; i < batch.length; i++) {
      const b = batch[i]!;
      if (results[i]) {
        this.o.onWritten(b.write.action, b.write.effects);
        b.resolve(b.write.action);
      } else if (b.onConflict === 'report') {
        b.resolve(undefined);
      } else {
        // Someone else wrote first (a callback, a user): apply the same event to what is there now.
        b.resolve(await this.reapply(b.write.action.id, b.event));
      }
    }
    return [];
  }

  /**
   * The engine's event, applied again to the action as another writer left it. A failure here (the
   * store went away) is logged and reported, and the action is taken up again when its lease expires.
   */
  private async reapply(id: string, event: ActionEvent): Promise<ActionRecord | undefined> {
    // A reschedule that lost its race needs nothing: whoever wrote first set the due time.
    if (event.type === 'due_rescheduled') return undefined;
    try {
      for (let i = 0; i < 10; i++) {
        const cur = await this.o.store.getAction(id);
        if (!cur) return undefined;
        const policy = await this.o.registry.policyOf(cur);
        const t = transition(cur, event, { policy, now: this.o.clock.now(), rand: Math.random() });
        if (!t.ok || !t.changed) return cur;
        const events = this.o.eventsFor?.(cur, t.action, t.effects);
        const [ok] = await this.o.store.writeActions([transitionWrite(cur, t, events)]);
        if (ok) {
          if (t.action.dueAt !== null) this.o.onDue(t.action.dueAt);
          this.o.onWritten(t.action, t.effects);
          return t.action;
        }
      }
      this.o.logger.warn(
        { actionId: id, event: event.type },
        'the action kept changing while an outcome was applied again; it is taken up again when its lease expires',
      );
      return undefined;
    } catch (err) {
      this.o.logger.error(
        { err, actionId: id, event: event.type },
        'applying an outcome again failed; the action is taken up again when its lease expires',
      );
      this.o.onFailure(err);
      return undefined;
    }
  }
}
