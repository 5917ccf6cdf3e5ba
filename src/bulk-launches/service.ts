// Bulk launches (SPEC 10.1): rows of a JSON body or a CSV body, for an action type or a process. The
// request reads and checks every row and stores it (refused rows with their field errors), answers
// with the report so far, and the rows launch in the background in chunks (runner.ts). The rows are
// in the store, so a run whose node stops is resumed by another; an Idempotency-Key returns the first
// report and launches nothing again.

import { ConflictError, NotFoundError, ValidationError, type FieldProblem } from '../errors.ts';
import { uuidv7 } from '../ids.ts';
import { hashOf, type BulkInput } from './request-hash.ts';
import { slicer, turn } from '../loop-turns.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { BulkLaunchRow, BulkLease, BulkRowRecord } from '../store/bulk-schedule-types.ts';
import type { Store } from '../store/types.ts';
import { jsonRow, type BulkRow, type RowTarget } from './convert.ts';
import { csvRows } from './csv.ts';
import type { BulkRowReport } from './report.ts';
import type { ActionTypes } from './ports.ts';
import { MAX_JSON_ROWS, type BulkReportView } from './schemas.ts';
import { MAX_INPUT_BYTES, MAX_JSON_DEPTH, jsonProblem, jsonSize } from '../json-limits.ts';
import { caseCellProblems, type CaseColumns } from './case-columns.ts';

const ROW_LIMITS = { maxDepth: MAX_JSON_DEPTH, maxBytes: MAX_INPUT_BYTES };

export type BulkStore = Pick<
  Store,
  | 'insertBulkLaunch'
  | 'getBulkLaunch'
  | 'insertBulkRows'
  | 'finishBulkParse'
  | 'listBulkRows'
  | 'recordBulkResults'
  | 'finishBulkLaunch'
  | 'claimStaleBulkLaunches'
  | 'actionIdsByLaunchKeys'
>;

/** A CSV body holds at most as many rows as a JSON one. */
export const MAX_CSV_ROWS = MAX_JSON_ROWS;
/** Rows in one page of a report; `nextRow` pages on. */
export const REPORT_PAGE = 1000;

export type { BulkInput } from './request-hash.ts';

export interface BulkOptions {
  clock: Clock;
  logger: Logger;
  nodeId: string;
  /** How long a node holds a run without writing before another node takes it over. @default 30000 */
  leaseMs?: number;
  /** The process a reference (id or name) names; absent: a process launch keeps the reference as given. */
  processOf?: (ref: string) => Promise<{ id: string; name: string } | undefined>;
}

/** Starts the launch of stored rows in the background (runner.ts); settles when this node's run ends. */
export type StartRun = (bulk: BulkLaunchRow) => Promise<void>;

/**
 * A launch of up to this many rows (one report page) is answered once it has run, so its 201 holds
 * every row with its id, as SPEC 10.1 shows it; a larger one answers with the report so far.
 */
export const ANSWER_WHEN_DONE_ROWS = REPORT_PAGE;
/** How long a small launch's request waits for its rows to launch before answering with the report so far. */
const ANSWER_WAIT_MS = 10_000;
/** How often a repeat of a launch another node is answering reads it again. */
const REPEAT_POLL_MS = 50;

const INSERT_CHUNK = 1000;
// ...or fewer, when their inputs reach this much: 1,000 rows of 48 KB in one insert held the loop.
const INSERT_CHUNK_BYTES = 1024 * 1024;

export class BulkLaunchService {
  private readonly leaseMs: number;

  constructor(
    private readonly store: BulkStore,
    private readonly actionTypes: ActionTypes,
    private readonly startRun: StartRun,
    private readonly o: BulkOptions,
  ) {
    this.leaseMs = o.leaseMs ?? 30_000;
  }

  lease(): BulkLease {
    const now = this.o.clock.now();
    return { owner: this.o.nodeId, now, until: now + this.leaseMs };
  }

  /** Reads, checks and stores every row, starts the launch, and answers with the report so far. */
  async create(input: BulkInput, opts: { idempotencyKey?: string; user: string }): Promise<{ report: BulkReportView; created: boolean }> {
    const { kind, name, target, columns } = await this.target(input);
    // Before the body is hashed or a row validated: a row nested a million deep is a 422, not a stack overflow.
    if (input.kind === 'json') await checkRowLimits(input.body.rows);
    // A title or owner column no row has is a misspelt setting, said before anything is stored (a CSV header says it as it is read).
    if (input.kind === 'json') await checkColumnsUsed(input.body.rows, columns);
    // Only a key compares requests: without one, nothing is hashed (a 50 MB body takes most of a second).
    const request = opts.idempotencyKey !== undefined ? await hashOf(input) : undefined;
    const first = input.kind === 'csv' ? csvRows(input.body, target) : jsonRows(input.body.rows, target);
    // The header is checked before anything is stored: a misspelt column is a 422 that changes nothing.
    const head = await first.next();
    const lease = this.lease();
    const bulk: BulkLaunchRow = {
      id: uuidv7(lease.now),
      idempotencyKey: opts.idempotencyKey ?? null,
      requestHash: request?.hash ?? null,
      targetKind: kind,
      target: name,
      titleColumn: columns.title,
      ownerColumn: columns.owner,
      actor: `user:${opts.user}`,
      status: 'parsing',
      error: null,
      total: 0,
      launched: 0,
      refused: 0,
      leaseOwner: lease.owner,
      leaseUntil: lease.until,
      createdAt: lease.now,
      updatedAt: lease.now,
      finishedAt: null,
    };
    const ins = await this.store.insertBulkLaunch(bulk);
    if (!ins.created) {
      await first.return(undefined);
      if (!request?.matches(ins.row.requestHash)) throw new ConflictError('This Idempotency-Key was used for a different bulk launch');
      // The first request still being answered on this node (a double click, a retry sent at once):
      // the repeat waits for it and answers as it does, not with the report of a launch half read.
      const answering = this.answering.get(ins.row.id);
      let row: BulkLaunchRow | undefined = ins.row;
      if (answering) {
        await answering.catch(() => undefined);
        row = await this.store.getBulkLaunch(ins.row.id);
      } else row = await this.answeredElsewhere(ins.row);
      if (row?.status === 'failed') throw bodyError(row.error ?? 'could not be read');
      return { report: await this.report(ins.row.id), created: false };
    }
    const answered = this.answer(bulk, head, first, columns);
    this.answering.set(bulk.id, answered);
    try {
      return { report: await answered, created: true };
    } finally {
      this.answering.delete(bulk.id);
    }
  }

  /**
   * The launch as its first request answers it, when that request is on another node (several share one
   * PostgreSQL database): waited for while its body is read (until that node answers, or the sweep fails
   * a launch whose node died reading it), and while a small one launches, up to ANSWER_WAIT_MS from its
   * creation by that node's clock (the first waits that long from the end of its reading, so a repeat may
   * still answer `running` where the first answers `done`). A repeat answered at once gave it half done.
   */
  private async answeredElsewhere(first: BulkLaunchRow): Promise<BulkLaunchRow | undefined> {
    let row: BulkLaunchRow | undefined = first;
    const waiting = (b: BulkLaunchRow): boolean =>
      b.status === 'parsing' ||
      (b.status === 'running' && b.total <= ANSWER_WHEN_DONE_ROWS && this.o.clock.now() < b.createdAt + ANSWER_WAIT_MS);
    while (row && waiting(row)) {
      await new Promise<void>((resolve) => this.o.clock.setTimer(REPEAT_POLL_MS, resolve));
      row = await this.store.getBulkLaunch(first.id);
    }
    return row;
  }

  /** Creates on this node being answered, by id: a repeat of one waits for its answer. */
  private readonly answering = new Map<string, Promise<BulkReportView>>();

  /** Stores a new launch's rows, starts it, and gives the report its first request answers with. */
  private async answer(
    bulk: BulkLaunchRow,
    head: IteratorResult<BulkRow>,
    first: AsyncGenerator<BulkRow>,
    columns: Parameters<BulkLaunchService['storeRows']>[3],
  ): Promise<BulkReportView> {
    let rows: number;
    try {
      rows = await this.storeRows(bulk.id, head, first, columns);
    } catch (err) {
      const message = err instanceof ValidationError ? (err.errors ?? []).map((e) => e.message).join('; ') : 'could not be read';
      await this.store.finishBulkLaunch(bulk.id, 'failed', message, this.lease());
      throw err;
    }
    const running = this.lease();
    if (!(await this.store.finishBulkParse(bulk.id, running))) throw new ConflictError('The bulk launch was taken over by another node');
    const run = this.startRun({ ...bulk, status: 'running' });
    if (rows <= ANSWER_WHEN_DONE_ROWS) await this.within(run, ANSWER_WAIT_MS);
    return this.report(bulk.id);
  }

  /** The report as stored (any node may be running it), rows paged from `afterRow`. */
  async report(id: string, page: { afterRow?: number; limit?: number } = {}): Promise<BulkReportView> {
    const b = await this.store.getBulkLaunch(id);
    if (!b) throw new NotFoundError('Bulk launch', id);
    const limit = page.limit ?? REPORT_PAGE;
    const rows: BulkRowReport[] = [];
    let after = page.afterRow ?? 0;
    // Pending rows have no outcome yet and are left out (read, their inputs would make a poll of a
    // running 50 MB launch read all of it).
    for (const r of await this.store.listBulkRows(id, after, limit, 'finished')) {
      after = r.row;
      if (r.status === 'launched') rows.push({ row: r.row, status: 'launched', id: r.actionId });
      else if (r.status === 'refused') rows.push({ row: r.row, status: 'refused', errors: r.errors });
    }
    const hasMore = rows.length === limit && (await this.store.listBulkRows(id, after, 1, undefined, 1)).length > 0;
    return {
      id: b.id,
      status: b.status === 'parsing' ? 'running' : b.status,
      ...(b.error !== null ? { error: b.error } : {}),
      // A process by its name now (the launch holds its id; a name that named none is kept as given).
      ...(b.targetKind === 'actionType' ? { actionType: b.target } : { process: (await this.o.processOf?.(b.target))?.name ?? b.target }),
      ...(b.titleColumn !== null ? { titleColumn: b.titleColumn } : {}),
      ...(b.ownerColumn !== null ? { ownerColumn: b.ownerColumn } : {}),
      total: b.total,
      launched: b.launched,
      refused: b.refused,
      rows,
      nextRow: hasMore ? after : null,
      createdAt: new Date(b.createdAt).toISOString(),
      finishedAt: b.finishedAt === null ? null : new Date(b.finishedAt).toISOString(),
    };
  }

  private async target(
    input: BulkInput,
  ): Promise<{ kind: 'actionType' | 'process'; name: string; target: RowTarget; columns: CaseColumns }> {
    const src = input.kind === 'csv' ? input.query : input.body;
    const where = input.kind === 'csv' ? 'the query (?actionType= or ?process=)' : 'the body';
    if ((src.actionType === undefined) === (src.process === undefined))
      throw new ValidationError([
        {
          field: src.actionType === undefined ? 'actionType' : 'process',
          message: `give exactly one of actionType or process in ${where}`,
        },
      ]);
    const columns: CaseColumns = { title: src.titleColumn ?? null, owner: src.ownerColumn ?? null };
    if (src.process !== undefined) {
      // One column cannot be both: every case's title would be its owner's name.
      if (columns.title !== null && columns.title === columns.owner)
        throw new ValidationError([
          {
            field: 'ownerColumn',
            message: `names the column ${JSON.stringify(columns.owner)}, which titleColumn names too: give each its own`,
          },
        ]);
      // Built from entries, not assigned: a column named "__proto__" is then a key like any other.
      const required = Object.fromEntries(
        [
          [columns.owner, 'ownerColumn'],
          [columns.title, 'titleColumn'],
        ].filter((e): e is [string, string] => e[0] !== null),
      );
      // By id, so a rename while the rows launch (or before another node resumes them) refuses none;
      // a process that is not there is kept as named, and each row is refused saying so.
      const process = (await this.o.processOf?.(src.process))?.id ?? src.process;
      return { kind: 'process', name: process, target: { fields: null, columns: required }, columns };
    }
    const misplaced = (['titleColumn', 'ownerColumn'] as const).filter((k) => src[k] !== undefined);
    if (misplaced.length > 0)
      throw new ValidationError(
        misplaced.map((field) => ({ field, message: 'is only for a process (each row a case): an action has no title or owner' })),
      );
    const type = await this.actionTypes.actionType(src.actionType!).catch((e: unknown) => {
      if (e instanceof NotFoundError)
        throw new ValidationError([{ field: 'actionType', message: `no action type ${JSON.stringify(src.actionType)} exists` }]);
      throw e;
    });
    const t = type.compiled.templates;
    return {
      kind: 'actionType',
      name: type.compiled.id,
      target: { fields: t.fields, validate: (v) => t.validateInput(v) },
      columns,
    };
  }

  /** Waits for `p`, or `ms` at most. */
  private async within(p: Promise<void>, ms: number): Promise<void> {
    let timer: TimerHandle | undefined;
    await Promise.race([p, new Promise<void>((resolve) => (timer = this.o.clock.setTimer(ms, resolve)))]);
    timer?.cancel();
  }

  /** Stores rows in chunks under the lease, yielding to the event loop between chunks; answers how many. */
  private async storeRows(id: string, head: IteratorResult<BulkRow>, rest: AsyncIterator<BulkRow>, columns: CaseColumns): Promise<number> {
    const caseCells = columns.title !== null || columns.owner !== null;
    let stored = 0;
    let chunk: BulkRowRecord[] = [];
    let chunkBytes = 0;
    const pace = slicer();
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return;
      if (!(await this.store.insertBulkRows(id, chunk, this.lease())))
        throw new ConflictError('The bulk launch was taken over by another node');
      chunk = [];
      chunkBytes = 0;
      await turn();
    };
    for (let r = head; !r.done; r = await rest.next()) {
      let row = r.value;
      // A case's title and owner cells are checked as the row is read: a row without its title is refused now.
      if (row.ok && caseCells) {
        const problems = caseCellProblems(row.input, columns);
        if (problems.length > 0) row = { row: row.row, ok: false, errors: problems };
      }
      if (row.row > MAX_CSV_ROWS) {
        await rest.return?.(undefined);
        throw bodyError(`has more than ${MAX_CSV_ROWS} rows; split it into several bulk launches`);
      }
      // A CSV json cell is bounded like a launch's input.
      const size = row.ok ? jsonSize(row.input, ROW_LIMITS) : 0;
      if (typeof size === 'string') chunk.push({ row: row.row, status: 'refused', errors: [{ field: '', message: `the row ${size}` }] });
      else
        chunk.push(
          row.ok ? { row: row.row, status: 'pending', input: row.input } : { row: row.row, status: 'refused', errors: row.errors },
        );
      chunkBytes += typeof size === 'number' ? size : 0;
      stored++;
      if (chunk.length === INSERT_CHUNK || chunkBytes >= INSERT_CHUNK_BYTES) await flush();
      else await pace();
    }
    await flush();
    return stored;
  }
}

async function* jsonRows(rows: unknown[], target: RowTarget): AsyncGenerator<BulkRow> {
  for (let i = 0; i < rows.length; i++) yield jsonRow(i + 1, rows[i], target);
}

async function checkRowLimits(rows: unknown[]): Promise<void> {
  const problems: FieldProblem[] = [];
  const pace = slicer();
  for (let i = 0; i < rows.length && problems.length < 10; i++) {
    const problem = jsonProblem(rows[i], ROW_LIMITS);
    if (problem !== undefined) problems.push({ field: `rows[${i}]`, message: problem });
    await pace();
  }
  if (problems.length > 0) throw new ValidationError(problems);
}

/** Each title or owner column must be in some row of a JSON body: one in none is misspelt. */
async function checkColumnsUsed(rows: unknown[], columns: CaseColumns): Promise<void> {
  const wanted = new Map<string, Array<'titleColumn' | 'ownerColumn'>>();
  if (columns.title !== null) wanted.set(columns.title, ['titleColumn']);
  if (columns.owner !== null) wanted.set(columns.owner, [...(wanted.get(columns.owner) ?? []), 'ownerColumn']);
  const pace = slicer();
  for (let i = 0; i < rows.length && wanted.size > 0; i++) {
    const row = rows[i];
    if (row !== null && typeof row === 'object' && !Array.isArray(row))
      for (const column of [...wanted.keys()]) if (Object.hasOwn(row, column)) wanted.delete(column);
    await pace();
  }
  const problems: FieldProblem[] = [];
  for (const [column, settings] of wanted)
    for (const field of settings) problems.push({ field, message: `names the column ${JSON.stringify(column)}, which no row has` });
  if (problems.length > 0) throw new ValidationError(problems);
}

function bodyError(message: string): ValidationError {
  const problems: FieldProblem[] = [{ field: 'body', message }];
  return new ValidationError(problems);
}
