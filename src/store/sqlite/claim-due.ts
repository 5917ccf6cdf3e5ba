// Claim due work: lease up to `limit` actions whose due time has come, in one statement.

import type Database from 'better-sqlite3';
import type { ClaimParams } from '../types.ts';
import type { Phase } from '../../lifecycle/states.ts';
import { ACTION_COLUMNS } from '../rows.ts';
import { prepared } from './statements.ts';

// The lease is the due time itself: a claimed row is due again at leaseUntil, so if this node dies
// mid-send another one takes the work over when the lease runs out. A throttled action keeps its
// phase, so waiting on a rate limit is noted once, not at every window.
// Due by @dueBy (the engine's claim lead), but a throttled action only when due at @now: a person may
// retry it (due now again), and a copy held claimed ahead would then be sent beside the new claim's.
const PHASE = ACTION_COLUMNS.indexOf('phase');
const DUE = "due_at <= @dueBy AND (due_at <= @now OR phase IS NOT 'throttled')";

const SQL = `
UPDATE actions
   SET phase = CASE WHEN phase IN ('awaiting_callback', 'throttled') THEN phase ELSE 'sending' END,
       due_at = @leaseUntil, lease_owner = @owner, version = version + 1
 WHERE id IN (SELECT id FROM actions WHERE ${DUE} ORDER BY due_at LIMIT @limit)
RETURNING ${ACTION_COLUMNS.join(', ')}`;

// RETURNING sees only the new due time and phase: the old ones are read first, in the same write
// transaction (one writer), so the UPDATE's identical subquery picks the same rows.
const DUE_SQL = `SELECT id, due_at, phase FROM actions WHERE ${DUE} ORDER BY due_at LIMIT @limit`;

// Whether anything is due, read before the write transaction: a loop that looks again as soon as it
// has sent a claim's work finds nothing due about a third of the time (bench B), and a read costs a
// tenth of an empty write transaction.
const ANY_DUE_SQL = `SELECT 1 FROM actions WHERE ${DUE} LIMIT 1`;

/**
 * A claim commits without its own fsync: a claim lost to a power cut only means the work is claimed
 * again (sends are at least once anyway), and the next sync of the WAL (a fully synchronous commit,
 * or the grouped sync after launches and outcomes: wal-sync.ts) writes it, this claim included, to
 * disk. `fullSync` says whether the store normally fsyncs every commit.
 * Returns the claimed rows as values in ACTION_COLUMNS order (actionFromValues reads them).
 */
export function claimDue(db: Database.Database, p: ClaimParams, fullSync: boolean): unknown[][] {
  const dueBy = p.dueBy ?? p.now;
  if (prepared(db, ANY_DUE_SQL).pluck().get({ dueBy, now: p.now }) === undefined) return [];
  // Rows as arrays: see actionFromValues.
  const claim = prepared(db, SQL).raw(true);
  if (fullSync) prepared(db, 'PRAGMA synchronous = NORMAL').run();
  try {
    const dueTimes = p.dueTimes;
    const { rows, dueOf } = db
      .transaction(() => {
        const dueOf = new Map<string, [number, Phase | null]>();
        if (dueTimes)
          for (const [id, due, phase] of prepared(db, DUE_SQL).raw(true).iterate({ dueBy, now: p.now, limit: p.limit }) as Iterable<
            [string, number, Phase | null]
          >)
            dueOf.set(id, [due, phase]);
        return { rows: claim.all({ dueBy, now: p.now, owner: p.owner, leaseUntil: p.leaseUntil, limit: p.limit }) as unknown[][], dueOf };
      })
      .immediate();
    // The id is the first column; a row the read did not see (it cannot happen: one writer) counts as
    // due last, in the phase it has now.
    if (dueTimes)
      rows.forEach((row, i) => {
        const [due, phase] = dueOf.get(row[0] as string) ?? [dueBy, row[PHASE] as Phase | null];
        dueTimes(due, i, phase);
      });
    return rows;
  } finally {
    if (fullSync) prepared(db, 'PRAGMA synchronous = FULL').run();
  }
}

/** When the engine should look again: the earliest due time, or null when nothing is due. */
export function nextDueAt(db: Database.Database): number | null {
  return (prepared(db, 'SELECT min(due_at) AS due FROM actions WHERE due_at IS NOT NULL').get() as { due: number | null }).due;
}
