// Processes (case types): create, read, list and change, stored as revisioned configuration. Every
// save is checked by compileProcess, with the action types (and queues, when there are queues to
// look in) it names resolved to ids, so a case never reaches a step naming something that is not there.

import type { ConfigRow, Store } from '../store/types.ts';
import type { Clock } from '../clock.ts';
import { NotFoundError, ValidationError, checkRevision, type RevisionGuard, onWhatIsStored } from '../errors.ts';
import { uuidv7 } from '../ids.ts';
import { isObject } from '../validation/check.ts';
import { type ProcessDefinition, type ProcessRefs, type ProcessStep, compileProcess, inStoredOrder } from './definition.ts';
import { isBlank } from '../validation/blank.ts';
import { MAX_PAGE_BYTES, type PageQuery, checkCursor, pageOf, pageLimit } from '../pages.ts';

export interface ProcessServiceDeps {
  store: Store;
  clock: Clock;
  /** The queues a manual step may name (id and name); absent: queue names are taken as they are. */
  queues?: () => Promise<ReadonlyArray<{ id: string; name: string }>>;
  /** Told after a rename of process `id` is stored (saved views that name it follow it); it says its own failures, and throws none. */
  onRenamed?: (from: string, to: string, id: string) => Promise<void>;
}

export interface ProcessView {
  id: string;
  name: string;
  description: string | null;
  steps: ProcessStep[];
  revision: number;
  createdAt: string;
  updatedAt: string;
}

const view = (row: ConfigRow): ProcessView => {
  const d = row.doc as unknown as ProcessDefinition;
  return {
    id: row.id,
    name: row.name,
    description: d.description,
    steps: d.steps.map(inStoredOrder),
    revision: row.revision,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
};

/** A stored definition as a body again (nulls left out), for a PATCH to change and compile anew. */
export function bodyOf(d: ProcessDefinition): Record<string, unknown> {
  const drop = (o: object): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));
  // A blank step title saved before blank ones were refused is left out (the step's name stands in), so the process stays changeable.
  const step = (st: ProcessStep): Record<string, unknown> => {
    const b = drop(inStoredOrder(st));
    if (typeof b.title === 'string' && isBlank(b.title)) delete b.title;
    return b;
  };
  return drop({ name: d.name, description: d.description, steps: d.steps.map(step) });
}

export class ProcessService {
  constructor(private readonly d: ProcessServiceDeps) {}

  /** Resolvers by id or name, read once per save. */
  private async refs(): Promise<ProcessRefs> {
    const byIdOrName = (rows: ReadonlyArray<{ id: string; name: string }>) => {
      const m = new Map<string, string>();
      for (const r of rows) m.set(r.name, r.id);
      // An id wins over a name that spells it, as getConfig does.
      for (const r of rows) m.set(r.id, r.id);
      return (ref: string) => m.get(ref);
    };
    const refs: ProcessRefs = { actionType: byIdOrName(await this.d.store.listConfig('action_type')) };
    if (this.d.queues) refs.queue = byIdOrName(await this.d.queues());
    return refs;
  }

  async create(body: unknown): Promise<ProcessView> {
    const row = this.rowOf(body, await this.refs());
    await this.d.store.insertConfig('process', row);
    return view(row);
  }

  /** The row `body` describes, new or (given `cur`) its next revision; not stored yet (an import stores several at once). */
  rowOf(body: unknown, refs: ProcessRefs, cur?: ConfigRow): ConfigRow {
    const def = compileProcess(body, refs);
    const now = this.d.clock.now();
    const doc = def as unknown as Record<string, unknown>;
    if (cur) return { ...cur, name: def.name, doc, revision: cur.revision + 1, updatedAt: now };
    return { id: uuidv7(now), name: def.name, doc, revision: 1, createdAt: now, updatedAt: now };
  }

  /** Top-level settings of the body replace the stored ones (`steps` as a whole). Running cases keep the definition they started with. */
  async update(idOrName: string, patch: unknown, guard?: RevisionGuard): Promise<ProcessView> {
    if (!isObject(patch)) throw new ValidationError([{ field: '', message: 'the body must be a JSON object' }]);
    return onWhatIsStored('Process', idOrName, guard, async () => {
      const row = await this.d.store.getConfig('process', idOrName);
      if (!row) throw new NotFoundError('Process', idOrName);
      checkRevision('Process', idOrName, row.revision, guard);
      const next = this.rowOf({ ...bodyOf(row.doc as unknown as ProcessDefinition), ...patch }, await this.refs(), row);
      if (!(await this.d.store.updateConfig('process', next, row.revision))) return undefined;
      if (next.name !== row.name) await this.d.onRenamed?.(row.name, next.name, next.id);
      return view(next);
    });
  }

  async get(idOrName: string): Promise<ProcessView> {
    return view(await this.row(idOrName));
  }

  /** Every process, by name (the library's; the API pages them). */
  async list(): Promise<ProcessView[]> {
    return (await this.d.store.listConfig('process')).map(view);
  }

  /**
   * A page of processes, newest first; `next` is the `before` of the following page (null at the end).
   * A page also ends at about MAX_PAGE_BYTES of definitions: 200 processes of 100 steps were one 31 MB answer.
   */
  async page(q: { before?: string; limit?: number } = {}): Promise<{ items: ProcessView[]; next: string | null }> {
    checkCursor(q.before);
    const limit = pageLimit(q.limit);
    const page = { ...(q.before !== undefined ? { before: q.before } : {}), limit, maxBytes: MAX_PAGE_BYTES };
    const { rows, more } = await this.d.store.listConfigPage('process', page);
    return { items: rows.map(view), next: more && rows.length > 0 ? rows[rows.length - 1]!.id : null };
  }

  /**
   * A page of processes' names alone, newest first (as `page`): what a picker offers, none of the
   * definitions read (a page of those may be 4 MB).
   */
  async namesPage(q: PageQuery = {}): Promise<{ items: Array<{ id: string; name: string }>; next: string | null }> {
    checkCursor(q.before);
    const page = { ...(q.before !== undefined ? { before: q.before } : {}), limit: pageLimit(q.limit) };
    const { rows, more } = await this.d.store.configNamesPage('process', page);
    return pageOf(
      rows,
      more,
      ({ id, name }) => ({ id, name }),
      (r) => r.id,
    );
  }

  /** The stored process and its definition; NotFoundError when there is none. */
  async row(idOrName: string): Promise<ConfigRow> {
    const row = await this.d.store.getConfig('process', idOrName);
    if (!row) throw new NotFoundError('Process', idOrName);
    return row;
  }
}
