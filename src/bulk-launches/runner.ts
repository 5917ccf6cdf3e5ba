// Launching a bulk launch's stored rows: chunks of pending rows, each launched in one transaction
// (launchMany) under the launch keys `bulk:<id>:<row>`, the outcomes recorded under the run's lease,
// a turn of the event loop between chunks so the API and the engine keep going. A chunk whose
// actions exist already (the node stopped after launching, before recording) is recorded, not
// launched again. Runs whose node stopped are taken over (resumeStale) at start and on a timer.

import { CalloutError, ConflictError, ValidationError, type FieldProblem } from '../errors.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { BulkLaunchRow, BulkLease, BulkRowResult } from '../store/bulk-schedule-types.ts';
import type { BulkStore } from './service.ts';
import type { CaseLauncher, Launcher } from './ports.ts';
import { turn } from '../loop-turns.ts';
import { splitCaseRow } from './case-columns.ts';

export interface RunnerOptions {
  store: BulkStore;
  launcher: Launcher;
  cases: CaseLauncher;
  clock: Clock;
  logger: Logger;
  nodeId: string;
  /** Rows launched in one transaction, fewer when their inputs pass 1 MB. @default 500 */
  chunkSize?: number;
  /** @default 30000 */
  leaseMs?: number;
  /** How often this node looks for runs whose node stopped. @default 10000 */
  resumeIntervalMs?: number;
}

/** A chunk ends once its inputs reach this (at least one row): 500 rows of 24 KB launched at once held the loop. */
const CHUNK_BYTES = 1024 * 1024;

export const rowLaunchKey = (bulkId: string, row: number): string => `bulk:${bulkId}:${row}`;

export class BulkRunner {
  private readonly o: Required<RunnerOptions>;
  private readonly runs = new Map<string, Promise<void>>();
  private timer: TimerHandle | undefined;
  private stopped = true;

  constructor(opts: RunnerOptions) {
    this.o = { chunkSize: 500, leaseMs: 30_000, resumeIntervalMs: 10_000, ...opts };
  }

  start(): void {
    this.stopped = false;
    void this.resumeStale();
  }

  /** Stops taking chunks; a run in progress ends after its current chunk (its lease lets another node go on). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await Promise.all(this.runs.values());
  }

  /** Runs the rows of `bulk` in the background; settles (never rejects) when this node's run ends. */
  run(bulk: BulkLaunchRow): Promise<void> {
    const running = this.runs.get(bulk.id);
    if (running) return running;
    const p = this.launchAll(bulk)
      .catch((err: unknown) =>
        this.o.logger.warn(
          { bulkLaunch: bulk.id, err: (err as Error).message },
          'bulk launch: stopped; another node (or a restart) resumes it',
        ),
      )
      .finally(() => this.runs.delete(bulk.id));
    this.runs.set(bulk.id, p);
    return p;
  }

  /** Takes over runs whose node stopped, then looks again after the interval. */
  async resumeStale(): Promise<void> {
    if (this.stopped) return;
    try {
      const now = this.o.clock.now();
      for (const b of await this.o.store.claimStaleBulkLaunches({ owner: this.o.nodeId, now, until: now + this.o.leaseMs }, 5)) {
        this.o.logger.info({ bulkLaunch: b.id, launched: b.launched, total: b.total }, 'bulk launch: resuming a run whose node stopped');
        void this.run(b);
      }
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, 'bulk launch: looking for runs to resume failed');
    }
    if (!this.stopped) this.timer = this.o.clock.setTimer(this.o.resumeIntervalMs, () => void this.resumeStale());
  }

  private lease(): BulkLease {
    const now = this.o.clock.now();
    return { owner: this.o.nodeId, now, until: now + this.o.leaseMs };
  }

  private async launchAll(bulk: BulkLaunchRow): Promise<void> {
    let after = 0;
    for (;;) {
      if (this.stopped) return;
      const pending = await this.o.store.listBulkRows(bulk.id, after, this.o.chunkSize, 'pending', CHUNK_BYTES);
      if (pending.length === 0) {
        await this.o.store.finishBulkLaunch(bulk.id, 'done', null, this.lease());
        return;
      }
      const rows = pending.map((r) => ({ row: r.row, input: r.status === 'pending' ? r.input : {} }));
      const results = bulk.targetKind === 'actionType' ? await this.launchActions(bulk, rows) : await this.launchCases(bulk, rows);
      if (!(await this.o.store.recordBulkResults(bulk.id, results, this.lease()))) {
        this.o.logger.info({ bulkLaunch: bulk.id }, 'bulk launch: another node took the run over');
        return;
      }
      after = rows[rows.length - 1]!.row;
      // A turn of the event loop: requests and the engine's sends go on between chunks.
      await turn();
    }
  }

  private async launchActions(bulk: BulkLaunchRow, rows: Array<{ row: number; input: Record<string, unknown> }>): Promise<BulkRowResult[]> {
    const keys = rows.map((r) => rowLaunchKey(bulk.id, r.row));
    const existing = await this.o.store.actionIdsByLaunchKeys(keys);
    const results: BulkRowResult[] = [];
    const todo = rows.filter((r, i) => {
      const id = existing.get(keys[i]!);
      if (id !== undefined) results.push({ row: r.row, status: 'launched', actionId: id });
      return id === undefined;
    });
    if (todo.length === 0) return results;
    const reqs = todo.map((r) => ({ actionType: bulk.target, input: r.input }));
    try {
      const ids = await this.o.launcher.launchMany(reqs, bulk.actor, { launchKeys: todo.map((r) => rowLaunchKey(bulk.id, r.row)) });
      ids.forEach((id, i) => results.push({ row: todo[i]!.row, status: 'launched', actionId: id }));
      return results;
    } catch (err) {
      if (!(err instanceof ValidationError || err instanceof ConflictError)) throw err;
    }
    // A row the launch itself refuses (the action type changed since the rows were checked, a value
    // its path cannot take) or a key launched meanwhile: row by row, so each gets its own outcome.
    for (const r of todo) {
      try {
        const a = await this.o.launcher.launch(
          { actionType: bulk.target, input: r.input },
          { idempotencyKey: rowLaunchKey(bulk.id, r.row), actor: bulk.actor },
        );
        results.push({ row: r.row, status: 'launched', actionId: a.action.id });
      } catch (err) {
        if (!(err instanceof CalloutError) || err.status >= 500) throw err;
        results.push({ row: r.row, status: 'refused', errors: rowErrors(err) });
      }
    }
    return results;
  }

  private async launchCases(bulk: BulkLaunchRow, rows: Array<{ row: number; input: Record<string, unknown> }>): Promise<BulkRowResult[]> {
    const results: BulkRowResult[] = [];
    const columns = { title: bulk.titleColumn, owner: bulk.ownerColumn };
    for (const r of rows) {
      try {
        // The title and owner columns' cells are the case's title and owner, not its data.
        const c = await this.o.cases.create(
          { process: bulk.target, ...splitCaseRow(r.input, columns) },
          { idempotencyKey: rowLaunchKey(bulk.id, r.row), actor: bulk.actor },
        );
        results.push({ row: r.row, status: 'launched', actionId: c.id });
      } catch (err) {
        if (!(err instanceof CalloutError) || err.status >= 500) throw err;
        // An owner the case service refuses is named by its column, as the row has it.
        const errors = rowErrors(err).map((e) => (e.field === 'owner' && columns.owner !== null ? { ...e, field: columns.owner } : e));
        results.push({ row: r.row, status: 'refused', errors });
      }
    }
    return results;
  }
}

/** A launch's field errors as a row's: `input.Priority` is the row's `Priority`. */
function rowErrors(err: CalloutError): FieldProblem[] {
  if (err.errors && err.errors.length > 0) return err.errors.map((e) => ({ field: e.field.replace(/^input\.?/, ''), message: e.message }));
  return [{ field: '', message: err.message }];
}
