// Queues (SPEC 10.1): builders create and change them, every role reads them. Members must be users;
// the allocation decides who gets each task that lands on the queue (src/store/allocation.ts, in the
// store's transaction). The `integration` block is checked and stored here; it is acted on elsewhere.

import type { PendingRelease, QueueRow, Store } from '../store/types.ts';
import type { Clock } from '../clock.ts';
import { NotFoundError, checkRevision, type RevisionGuard, onWhatIsStored } from '../errors.ts';
import { compileQueue, type QueueRefs, type QueueSpec } from './queue.ts';
import type { QueueView } from './schemas.ts';
import type { TaskService } from '../tasks/service.ts';
import { queueMembers } from '../store/allocation.ts';
import { isBlank } from '../validation/blank.ts';
import { MAX_PAGE_BYTES, type PageQuery, checkNameCursor, pageOf, pageLimit } from '../pages.ts';

/** The longest queue name (its schema's maxLength): a longer cursor cannot be the last name of a page. */
const MAX_QUEUE_NAME = 100;

export class QueueService {
  /** `tasks`: moves the To Do tasks of members who leave a queue back to it. */
  constructor(private readonly d: { store: Store; clock: Clock; tasks?: Pick<TaskService, 'release'> }) {}

  async create(body: unknown): Promise<QueueView> {
    const row = this.rowOf(body, await this.refs());
    await this.d.store.insertQueue(row);
    return queueView(row);
  }

  /** The row `body` describes, new or (given `cur`) its next revision; not stored yet (an import stores several at once). */
  rowOf(body: unknown, refs: QueueRefs, cur?: QueueRow): QueueRow {
    const spec = compileQueue(body, refs, cur?.name);
    const now = this.d.clock.now();
    if (cur) return { ...cur, doc: docOf(spec), revision: cur.revision + 1, updatedAt: now };
    return { name: spec.name, doc: docOf(spec), revision: 1, createdAt: now, updatedAt: now };
  }

  /** Every queue, by name (the library's; the API pages them). */
  async list(): Promise<QueueView[]> {
    return (await this.d.store.listQueues()).map(queueView);
  }

  /**
   * A page of queues by name; `next` is the `before` of the following page (the last name; null at the
   * end). A page also ends at about MAX_PAGE_BYTES: a queue may list 1,000 members.
   */
  async page(q: PageQuery = {}): Promise<{ items: QueueView[]; next: string | null }> {
    checkNameCursor(q.before, (n) => n.length >= 1 && n.length <= MAX_QUEUE_NAME);
    const { rows, more } = await this.d.store.listQueuesPage({
      ...(q.before !== undefined ? { after: q.before } : {}),
      limit: pageLimit(q.limit),
      maxBytes: MAX_PAGE_BYTES,
    });
    return pageOf(rows, more, queueView, (r) => r.name);
  }

  async get(name: string): Promise<QueueView> {
    return queueView(await this.row(name));
  }

  /**
   * Changes the fields given; the rest stay. The name is the queue's identity and cannot change. A
   * member who leaves (`by` is who changed it) gives the queue back the To Do tasks it gave them, for
   * its allocation to pick someone else; what they picked up is theirs to finish.
   */
  async update(name: string, patch: Record<string, unknown>, by = 'system', guard?: RevisionGuard): Promise<QueueView> {
    return onWhatIsStored('Queue', name, guard, async () => {
      const cur = await this.row(name);
      checkRevision('Queue', cur.name, cur.revision, guard);
      const merged: Record<string, unknown> = { ...stripNulls(cur.doc), ...patch, name: cur.name };
      if (merged.integration === null) delete merged.integration;
      const row = this.rowOf(merged, await this.refs(), cur);
      if (!(await this.d.store.updateQueue(row, cur.revision, this.leaving(cur, row, by)))) return undefined;
      await this.stored(cur, row, by);
      return queueView(row);
    });
  }

  /**
   * The members `after` takes off the queue, as releases to record with its change (updateQueue, or an
   * import's write): a node that stops before their tasks are all given back leaves them to any node's sweep.
   */
  leaving(before: QueueRow | undefined, after: QueueRow, by: string): PendingRelease[] {
    if (!before || !this.d.tasks) return [];
    const stays = new Set(queueMembers(after));
    return queueMembers(before)
      .filter((m) => !stays.has(m))
      .map((m) => ({ holder: m, queue: after.name, by, because: `${m} left queue ${after.name}`, at: after.updatedAt }));
  }

  /** A queue changed (here, or by an imported file, either recording `leaving`): the members who left it give back its To Do tasks. */
  async stored(before: QueueRow | undefined, after: QueueRow, by: string): Promise<void> {
    for (const r of this.leaving(before, after, by))
      await this.d.tasks?.release(r.holder, by, { queue: r.queue, inProgress: false, because: r.because, recorded: r.at });
  }

  /** The queue a route names: found ignoring case (names are unique so), answered with its stored name. */
  private async row(name: string): Promise<QueueRow> {
    const q = await this.d.store.findQueue(name);
    if (!q) throw new NotFoundError('Queue', name);
    return q;
  }

  /**
   * Members must be users; an integration's connector and action types must exist (by id or name),
   * and are kept by id, so renaming them leaves the queue working (as processes keep action types).
   */
  private async refs(): Promise<QueueRefs> {
    const names = new Set((await this.d.store.listUsers()).map((u) => u.name));
    const byIdOrName = async (kind: 'connector' | 'action_type') => {
      const rows = await this.d.store.listConfig(kind);
      // An id wins over a name that spells it, as getConfig does.
      return new Map([...rows.map((r) => [r.name, r.id] as const), ...rows.map((r) => [r.id, r.id] as const)]);
    };
    const config = { connector: await byIdOrName('connector'), actionType: await byIdOrName('action_type') };
    return { userExists: (n) => names.has(n), configId: (kind, ref) => config[kind].get(ref) };
  }
}

const docOf = (s: QueueSpec): Record<string, unknown> => ({
  description: s.description,
  members: s.members,
  allocation: s.allocation,
  integration: s.integration,
});

/**
 * The stored document as a body again: compileQueue reads an absent field, not null, as "none". A blank
 * description stored before blank ones were refused is none too, so the queue stays changeable.
 */
function stripNulls(doc: Record<string, unknown>, top = true): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (v === null || (top && k === 'description' && typeof v === 'string' && isBlank(v))) continue;
    out[k] = k === 'integration' ? stripNulls(v as Record<string, unknown>, false) : v;
  }
  return out;
}

/** The stored queue as a body again, which compileQueue reads back to the same document (as processes' bodyOf). */
export function bodyOf(q: QueueRow): Record<string, unknown> {
  return { name: q.name, ...stripNulls(q.doc) };
}

export function queueView(q: QueueRow): QueueView {
  const d = q.doc as Omit<QueueSpec, 'name'>;
  return {
    name: q.name,
    description: d.description ?? null,
    members: [...(d.members ?? [])],
    allocation: d.allocation ?? 'none',
    integration: d.integration ?? null,
    revision: q.revision,
    createdAt: new Date(q.createdAt).toISOString(),
    updatedAt: new Date(q.updatedAt).toISOString(),
  };
}
