// Action type use cases: create, change (retry policy changes reach open actions), read, list, the
// JSON Schema of the fields, and 'Test action'.

import type { DocumentChange, ConfigRow, Store } from '../store/types.ts';
import type { Registry } from '../engine/registry.ts';
import type { Engine } from '../engine/engine.ts';
import type { Sender } from '../engine/sender.ts';
import type { Clock } from '../clock.ts';
import { NotFoundError, ValidationError, checkRevision, type RevisionGuard, onWhatIsStored } from '../errors.ts';
import { uuidv7 } from '../ids.ts';
import { isObject } from '../validation/check.ts';
import { checkLaunchLimits } from '../json-limits.ts';
import { actionTypeFromDoc, actionTypeOptions, actionTypeToDoc, actionTypeView, compileActionTypeSpec } from './action-type.ts';
import { maxIntervalChosen } from '../lifecycle/retry-policy.ts';
import { testAction } from './test-action.ts';
import type { ActionTypeView, TestActionResult } from './schemas.ts';
import { MAX_PAGE_BYTES, type PageQuery, checkCursor, pageOf, pageLimit } from '../pages.ts';

export interface ActionTypeServiceDeps {
  store: Store;
  registry: Registry;
  engine: Engine;
  sender: Sender;
  clock: Clock;
  publicUrl: string;
  /** Told after a rename of action type `id` is stored (saved views that name it follow it); it says its own failures, and throws none. */
  onRenamed?: (from: string, to: string, id: string) => Promise<void>;
}

export class ActionTypeService {
  constructor(private readonly d: ActionTypeServiceDeps) {}

  /** The id of the connector a body names, or undefined when there is none by that id or name. */
  private async connectorIdOf(body: unknown): Promise<string | undefined> {
    if (!isObject(body) || typeof body.connector !== 'string') return undefined;
    return (await this.d.store.getConfig('connector', body.connector))?.id;
  }

  async create(body: unknown): Promise<ActionTypeView> {
    const { row } = this.planCreate(body, await this.connectorIdOf(body));
    await this.d.store.insertConfig('action_type', row);
    const e = this.d.registry.putActionType(row);
    return actionTypeView(e.compiled, e);
  }

  /**
   * A new action type's row, its connector given by id, not stored yet (the import stores several at
   * once, and chooses their ids first: the file's processes and schedules name them).
   */
  planCreate(body: unknown, connectorId: string | undefined, id?: string): DocumentChange {
    const spec = compileActionTypeSpec(body, connectorId);
    const now = this.d.clock.now();
    const row = { id: id ?? uuidv7(now), name: spec.name, doc: actionTypeToDoc(spec), revision: 1, createdAt: now, updatedAt: now };
    return { kind: 'action_type', row, expectedRevision: null };
  }

  async update(
    idOrName: string,
    patch: unknown,
    actor: `user:${string}` | 'system' = 'system',
    mode: 'merge' | 'replace' = 'merge',
    guard?: RevisionGuard,
  ): Promise<ActionTypeView> {
    if (!isObject(patch)) throw new ValidationError([{ field: '', message: 'the body must be a JSON object' }]);
    return onWhatIsStored('Action type', idOrName, guard, async () => {
      const row = await this.d.store.getConfig('action_type', idOrName);
      if (!row) throw new NotFoundError('Action type', idOrName);
      checkRevision('Action type', idOrName, row.revision, guard);
      const merged = this.merged(row, patch, mode);
      const change = this.planUpdate(row, merged, await this.connectorIdOf(merged));
      if (!(await this.d.store.updateConfig('action_type', change.row, row.revision))) return undefined;
      if (change.row.name !== row.name) await this.d.onRenamed?.(row.name, change.row.name, change.row.id);
      return this.updated(row, change.row, actor);
    });
  }

  /** The whole new document: `patch` over the stored one (`merge`), or `patch` alone (`replace`). */
  private merged(row: ConfigRow, patch: Record<string, unknown>, mode: 'merge' | 'replace'): Record<string, unknown> {
    if (mode === 'replace') return { ...patch };
    const base = actionTypeOptions(this.d.registry.putActionType(row).compiled.spec);
    // Nested settings merge one level deep, so `{ "retry": { "maxRetries": 7 } }` keeps the interval.
    const merged: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(patch))
      merged[k] =
        isObject(v) && isObject(base[k]) && k !== 'fields' && k !== 'headers' && k !== 'body' ? { ...(base[k] as object), ...v } : v;
    // A longest wait nobody chose is derived again from the new interval, not kept as a limit: a
    // longer interval alone was refused naming maxInterval, which the builder never set.
    const retry = base.retry as { interval: number; maxInterval?: unknown };
    if (isObject(patch.retry) && patch.retry.maxInterval === undefined && !maxIntervalChosen(retry) && isObject(merged.retry))
      delete (merged.retry as Record<string, unknown>).maxInterval;
    return merged;
  }

  /** The stored row `row` replaced by the whole document `body` (its connector given by id), not stored yet. */
  planUpdate(row: ConfigRow, body: Record<string, unknown>, connectorId: string | undefined): DocumentChange {
    const spec = compileActionTypeSpec(body, connectorId);
    const next = { ...row, name: spec.name, doc: actionTypeToDoc(spec), revision: row.revision + 1, updatedAt: this.d.clock.now() };
    return { kind: 'action_type', row: next, expectedRevision: row.revision };
  }

  /** Once an update of `prior` is stored: the registry takes it, and a changed retry policy applies to open actions. */
  async updated(prior: ConfigRow, next: ConfigRow, actor: `user:${string}` | 'system'): Promise<ActionTypeView> {
    const { registry, engine } = this.d;
    const before = actionTypeFromDoc(prior.doc).retry;
    const e = registry.putActionType(next);
    // Retry policy changes apply live to open actions (SPEC section 2).
    if (JSON.stringify(before) !== JSON.stringify(e.compiled.spec.retry)) await engine.applyPolicyChange(next.id, actor, before.maxRetries);
    return actionTypeView(e.compiled, e);
  }

  async get(idOrName: string): Promise<ActionTypeView> {
    const row = await this.d.store.getConfig('action_type', idOrName);
    if (!row) throw new NotFoundError('Action type', idOrName);
    const e = this.d.registry.putActionType(row);
    return actionTypeView(e.compiled, e);
  }

  /** The action type, or undefined when none has this id or name; any other failure is thrown. */
  async find(idOrName: string): Promise<ActionTypeView | undefined> {
    try {
      return await this.get(idOrName);
    } catch (e) {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    }
  }

  /** Every action type, by name (the library's; the API pages them). */
  async list(): Promise<ActionTypeView[]> {
    const rows = await this.d.store.listConfig('action_type');
    return rows.map((row) => this.rowView(row));
  }

  /**
   * A page of action types, newest first; `next` is the `before` of the following page (null at the
   * end). A page also ends at about MAX_PAGE_BYTES: templates and schemas can be large.
   */
  async page(q: PageQuery = {}): Promise<{ items: ActionTypeView[]; next: string | null }> {
    checkCursor(q.before);
    const page = { ...(q.before !== undefined ? { before: q.before } : {}), limit: pageLimit(q.limit), maxBytes: MAX_PAGE_BYTES };
    const { rows, more } = await this.d.store.listConfigPage('action_type', page);
    return pageOf(
      rows,
      more,
      (row) => this.rowView(row),
      (r) => r.id,
    );
  }

  private rowView(row: ConfigRow): ActionTypeView {
    const e = this.d.registry.putActionType(row);
    return actionTypeView(e.compiled, e);
  }

  async schema(idOrName: string): Promise<object> {
    const e = await this.d.registry.actionType(idOrName);
    return { ...e.compiled.templates.schema, title: e.compiled.spec.name };
  }

  /** 'Test action': the exact request from sample values; with `send: true`, sent once and answered. */
  async testAction(idOrName: string, body: unknown): Promise<TestActionResult> {
    checkLaunchLimits(body); // sample input is bounded like a launch's
    const { registry, sender, publicUrl, clock } = this.d;
    const type = await registry.actionType(idOrName);
    const connector = await registry.connector(type.compiled.spec.connectorId);
    return testAction(type, connector, body, { sender, publicUrl, now: clock.now() });
  }
}
