// Queues (SPEC 10.1): builders create and change them, every role reads them. Members must be users;
// the allocation decides who gets each task that lands on the queue (src/store/allocation.ts, in the
// store's transaction). The `integration` block is checked and stored here; it is acted on elsewhere.

import type { QueueRow, Store } from '../store/types.ts';
import type { Clock } from '../clock.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { compileQueue, type QueueSpec } from './queue.ts';
import type { QueueView } from './schemas.ts';

export class QueueService {
  constructor(private readonly d: { store: Store; clock: Clock }) {}

  async create(body: unknown): Promise<QueueView> {
    const spec = compileQueue(body, await this.userCheck());
    const now = this.d.clock.now();
    const row: QueueRow = { name: spec.name, doc: docOf(spec), revision: 1, createdAt: now, updatedAt: now };
    await this.d.store.insertQueue(row);
    return queueView(row);
  }

  async list(): Promise<QueueView[]> {
    return (await this.d.store.listQueues()).map(queueView);
  }

  async get(name: string): Promise<QueueView> {
    return queueView(await this.row(name));
  }

  /** Changes the fields given; the rest stay. The name is the queue's identity and cannot change. */
  async update(name: string, patch: Record<string, unknown>): Promise<QueueView> {
    const cur = await this.row(name);
    const merged: Record<string, unknown> = { ...stripNulls(cur.doc), ...patch, name: cur.name };
    if (merged.integration === null) delete merged.integration;
    const spec = compileQueue(merged, await this.userCheck());
    const row: QueueRow = { ...cur, doc: docOf(spec), revision: cur.revision + 1, updatedAt: this.d.clock.now() };
    if (!(await this.d.store.updateQueue(row, cur.revision)))
      throw new ConflictError(`Queue ${JSON.stringify(name)} was changed by someone else meanwhile; read it again`);
    return queueView(row);
  }

  private async row(name: string): Promise<QueueRow> {
    const q = await this.d.store.getQueue(name);
    if (!q) throw new NotFoundError('Queue', name);
    return q;
  }

  private async userCheck(): Promise<{ userExists: (name: string) => boolean }> {
    const names = new Set((await this.d.store.listUsers()).map((u) => u.name));
    return { userExists: (n) => names.has(n) };
  }
}

const docOf = (s: QueueSpec): Record<string, unknown> => ({
  description: s.description,
  members: s.members,
  allocation: s.allocation,
  integration: s.integration,
});

/** The stored document as a body again: compileQueue reads an absent field, not null, as "none". */
function stripNulls(doc: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (v === null) continue;
    out[k] = k === 'integration' ? stripNulls(v as Record<string, unknown>) : v;
  }
  return out;
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
