// The configuration the engine runs on: connectors and action types compiled once and cached by
// revision. Other nodes' changes are picked up by a periodic refresh; this node's at once.

import type { ConfigRow, Store } from '../store/types.ts';
import type { SecretBox } from '../crypto/secrets.ts';
import { connectorFromDoc, type ConnectorSpec } from '../connectors/connector.ts';
import { actionTypeFromDoc, compileActionType, type CompiledActionType } from '../action-types/action-type.ts';
import { NotFoundError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { MANUAL_POLICY } from '../lifecycle/manual.ts';
import type { ActionPolicy } from '../lifecycle/action.ts';

export interface ConnectorEntry {
  id: string;
  revision: number;
  spec: ConnectorSpec;
  createdAt: number;
  updatedAt: number;
}

export interface ActionTypeEntry {
  compiled: CompiledActionType;
  createdAt: number;
  updatedAt: number;
}

export class Registry {
  private connectors = new Map<string, ConnectorEntry>();
  private actionTypes = new Map<string, ActionTypeEntry>();
  /** Called when a connector's revision changes, so its HTTP pool can be rebuilt. */
  onConnectorChanged: (id: string) => void = () => {};

  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly logger: Pick<Logger, 'error'> = { error: () => undefined },
  ) {}

  async connector(idOrName: string): Promise<ConnectorEntry> {
    const hit = this.connectors.get(idOrName);
    if (hit) return hit;
    const row = await this.store.getConfig('connector', idOrName);
    if (!row) throw new NotFoundError('Connector', idOrName);
    return this.putConnector(row);
  }

  async actionType(idOrName: string): Promise<ActionTypeEntry> {
    const hit = this.actionTypes.get(idOrName);
    if (hit) return hit;
    const row = await this.store.getConfig('action_type', idOrName);
    if (!row) throw new NotFoundError('Action type', idOrName);
    return this.putActionType(row);
  }

  /** The live policy of an action: its action type's, or the manual one for a task with no action type. */
  async policyOf(a: { actionTypeId: string | null }): Promise<ActionPolicy> {
    return a.actionTypeId === null ? MANUAL_POLICY : (await this.actionType(a.actionTypeId)).compiled.policy;
  }

  /** Synchronous look-up for the hot path; undefined when not loaded yet. */
  cachedActionType(id: string): ActionTypeEntry | undefined {
    return this.actionTypes.get(id);
  }
  cachedConnector(id: string): ConnectorEntry | undefined {
    return this.connectors.get(id);
  }

  /** Caches a stored connector; one already cached at this revision or a later one is returned as it is (no decrypting again). */
  putConnector(row: ConfigRow): ConnectorEntry {
    const { id, revision, doc, createdAt, updatedAt } = row;
    const prev = this.connectors.get(id);
    // A row read before a newer one was cached (a request racing another) must not bring back the old.
    if (prev?.id === id && prev.revision >= revision) return prev;
    const e: ConnectorEntry = { id, revision, spec: connectorFromDoc(doc, this.box), createdAt, updatedAt };
    if (prev) this.connectors.delete(prev.spec.name);
    this.connectors.set(id, e);
    this.connectors.set(e.spec.name, e);
    if (prev && prev.revision !== revision) this.onConnectorChanged(id);
    return e;
  }

  /** Caches a stored action type; one already compiled at this revision or a later one is returned as it is. */
  putActionType(row: ConfigRow): ActionTypeEntry {
    const { id, revision, doc, createdAt, updatedAt } = row;
    const prev = this.actionTypes.get(id);
    if (prev?.compiled.id === id && prev.compiled.revision >= revision) return prev;
    const e: ActionTypeEntry = { compiled: compileActionType(id, revision, actionTypeFromDoc(doc)), createdAt, updatedAt };
    if (prev) this.actionTypes.delete(prev.compiled.spec.name);
    this.actionTypes.set(id, e);
    this.actionTypes.set(e.compiled.spec.name, e);
    return e;
  }

  /**
   * Reloads whatever changed elsewhere; returns the action types whose revision moved, each with the
   * retry limit this node knew before (a lowered limit closes only the retries it used up).
   */
  async refresh(): Promise<Array<{ id: string; previousMaxRetries: number }>> {
    for (const row of await this.store.listConfig('connector')) this.putConnector(row);
    const changed: Array<{ id: string; previousMaxRetries: number }> = [];
    for (const row of await this.store.listConfig('action_type')) {
      const prev = this.actionTypes.get(row.id);
      if (prev && prev.compiled.revision !== row.revision)
        changed.push({ id: row.id, previousMaxRetries: prev.compiled.policy.retry.maxRetries });
      // One stored document a newer rule refuses must not stop the node: its actions fail alone.
      try {
        this.putActionType(row);
      } catch (err) {
        this.logger.error(
          { err, actionType: row.id },
          'a stored action type could not be loaded; its actions cannot be sent until it is saved again',
        );
      }
    }
    return changed;
  }

  /** The ids of the cached action types that use a connector. */
  actionTypeIdsOf(connectorId: string): string[] {
    const ids = new Set<string>();
    for (const t of this.actionTypes.values()) if (t.compiled.spec.connectorId === connectorId) ids.add(t.compiled.id);
    return [...ids];
  }

  /** The longest attempt timeout of any connector: leases must outlast it. */
  maxAttemptTimeoutMs(): number {
    let max = 0;
    for (const c of this.connectors.values()) max = Math.max(max, c.spec.timeoutMs);
    return max || 30_000;
  }
}
