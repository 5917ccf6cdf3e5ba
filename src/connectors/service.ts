// Connector use cases: create, change, read, list and test connectors; keep a rotated refresh token.
// Secrets are write-only: views never carry them.

import type { DocumentChange, ConfigRow, Store } from '../store/types.ts';
import type { SecretBox } from '../crypto/secrets.ts';
import type { Registry } from '../engine/registry.ts';
import type { Engine } from '../engine/engine.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { AuthProviders } from './auth/index.ts';
import {
  NotFoundError,
  ValidationError,
  changedMeanwhile,
  checkRevision,
  type RevisionGuard,
  STORED_ATTEMPTS,
  raceApart,
} from '../errors.ts';
import { uuidv7 } from '../ids.ts';
import { isObject } from '../validation/check.ts';
import { TOKEN_ROTATED_FROM, compileConnector, connectorPatchBase, connectorToDoc, connectorView } from './connector.ts';
import { testConnection, type ConnectionTestResult } from './test-connection.ts';
import type { ConnectorView } from './schemas.ts';
import { connectorHealth, type ConnectorHealthView, type HealthWindow } from './health.ts';
import { MAX_PAGE_BYTES, type PageQuery, checkCursor, pageOf, pageLimit } from '../pages.ts';

export interface ConnectorServiceDeps {
  store: Store;
  registry: Registry;
  engine: Engine;
  box: SecretBox;
  clock: Clock;
  logger: Logger;
  authProviders: AuthProviders;
  allowPrivateNetworks: boolean;
  /** Told after a rename of connector `id` is stored (saved views that name it follow it); it says its own failures, and throws none. */
  onRenamed?: (from: string, to: string, id: string) => Promise<void>;
}

export class ConnectorService {
  constructor(private readonly d: ConnectorServiceDeps) {}

  async create(body: unknown): Promise<ConnectorView> {
    const { row } = this.planCreate(body);
    await this.d.store.insertConfig('connector', row);
    const e = this.d.registry.putConnector(row);
    return this.withStatus(connectorView(row.id, e.spec, row));
  }

  /**
   * A new connector's row (secrets encrypted), not stored yet: the import stores several in one
   * transaction, with `id` chosen beforehand (its queues' integrations name it).
   */
  planCreate(body: unknown, id?: string): DocumentChange {
    const spec = compileConnector(body, { allowPrivateNetworks: this.d.allowPrivateNetworks });
    const now = this.d.clock.now();
    const row = {
      id: id ?? uuidv7(now),
      name: spec.name,
      doc: connectorToDoc(spec, this.d.box),
      revision: 1,
      createdAt: now,
      updatedAt: now,
    };
    return { kind: 'connector', row, expectedRevision: null };
  }

  /** PATCH semantics by default; `replace` takes the body as the whole new connector (import). `guard`: the revision the caller read. */
  async update(idOrName: string, patch: unknown, mode: 'merge' | 'replace' = 'merge', guard?: RevisionGuard): Promise<ConnectorView> {
    if (!isObject(patch)) throw new ValidationError([{ field: '', message: 'the body must be a JSON object' }]);
    // Tried again when only a rotated refresh token was stored meanwhile (the guard still holds), and
    // without If-Match on whatever won a race (a PATCH applies to what is stored).
    for (let i = 0; ; i++) {
      const row = await this.d.store.getConfig('connector', idOrName);
      if (!row) throw new NotFoundError('Connector', idOrName);
      // Revisions that only stored a rotated refresh token (keepRotatedRefreshToken) change nothing a
      // builder sees or sends: a screen read on any of them is still current.
      const rotatedFrom = row.doc[TOKEN_ROTATED_FROM];
      const current =
        guard?.ifRevision !== undefined &&
        typeof rotatedFrom === 'number' &&
        guard.ifRevision >= rotatedFrom &&
        guard.ifRevision <= row.revision;
      checkRevision('Connector', idOrName, row.revision, current ? undefined : guard);
      const change = this.planUpdate(row, patch, mode);
      if (await this.d.store.updateConfig('connector', change.row, row.revision)) {
        if (change.row.name !== row.name) await this.d.onRenamed?.(row.name, change.row.name, change.row.id);
        return this.updated(change.row);
      }
      // Without If-Match, made again on what is stored now; with it, a real change meanwhile is a 412 above.
      if (i >= STORED_ATTEMPTS - 1) throw changedMeanwhile('Connector', idOrName, guard);
      await raceApart(i);
    }
  }

  /** The stored row `row` changed by `patch`, not stored yet. */
  planUpdate(row: ConfigRow, patch: Record<string, unknown>, mode: 'merge' | 'replace'): DocumentChange {
    const cur = this.d.registry.putConnector(row);
    const spec = compileConnector(mode === 'replace' ? patch : { ...connectorPatchBase(cur.spec), ...patch }, {
      allowPrivateNetworks: this.d.allowPrivateNetworks,
      existing: cur.spec,
    });
    const next = {
      ...row,
      name: spec.name,
      doc: connectorToDoc(spec, this.d.box),
      revision: row.revision + 1,
      updatedAt: this.d.clock.now(),
    };
    return { kind: 'connector', row: next, expectedRevision: row.revision };
  }

  /** Once an update is stored: the registry takes it, and held actions may try again. */
  async updated(next: ConfigRow): Promise<ConnectorView> {
    const { registry, engine } = this.d;
    const e = registry.putConnector(next);
    // A builder who changed the connector has looked at it: let held actions try again.
    await engine.health.refresh(true);
    if (engine.health.view(next.id, next.updatedAt).needsAttention) await engine.health.setAttention(next.id, null, next.updatedAt);
    return this.withStatus(connectorView(next.id, e.spec, next));
  }

  /** 'Test connection': reachability and authentication, reported separately. */
  async testConnection(idOrName: string): Promise<ConnectionTestResult> {
    const { store, registry, clock, authProviders } = this.d;
    const entry = await registry.connector(idOrName);
    const fresh = await store.getConfig('connector', entry.id);
    const e = fresh ? registry.putConnector(fresh) : entry;
    return { ...(await testConnection(e, { clock, allowPrivateNetworks: this.d.allowPrivateNetworks, auth: authProviders.for(e) })) };
  }

  /** The server rotated the refresh token: the stored one is dead, so keep the new one (encrypted). */
  async keepRotatedRefreshToken(connectorId: string, token: string): Promise<void> {
    const { store, registry, box, clock } = this.d;
    try {
      for (let i = 0; i < 5; i++) {
        const row = await store.getConfig('connector', connectorId);
        if (!row) return;
        const spec = registry.putConnector(row).spec;
        if (spec.auth.type !== 'oauth2_refresh_token') return;
        const doc = connectorToDoc({ ...spec, auth: { ...spec.auth, refreshToken: token } }, box);
        // Not a builder's change: the revision before the first rotation since one stays current for If-Match.
        const from = row.doc[TOKEN_ROTATED_FROM];
        doc[TOKEN_ROTATED_FROM] = typeof from === 'number' ? from : row.revision;
        const now = clock.now();
        const next = { ...row, doc, revision: row.revision + 1, updatedAt: now };
        if (await store.updateConfig('connector', next, row.revision)) {
          registry.putConnector(next);
          return;
        }
      }
      this.d.logger.error({ connectorId }, 'could not store a rotated refresh token: changed by others five times in a row');
    } catch (err) {
      // Runs outside any request (inside a token refresh): logging is the only way to report it.
      this.d.logger.error({ connectorId, err: (err as Error).message }, 'could not store a rotated refresh token');
    }
  }

  async get(idOrName: string): Promise<ConnectorView> {
    const { store, registry, engine } = this.d;
    const row = await store.getConfig('connector', idOrName);
    if (!row) throw new NotFoundError('Connector', idOrName);
    const e = registry.putConnector(row);
    await engine.health.refresh(true);
    return this.withStatus(connectorView(row.id, e.spec, row));
  }

  /** The connector, or undefined when none has this id or name; any other failure is thrown. */
  async find(idOrName: string): Promise<ConnectorView | undefined> {
    try {
      return await this.get(idOrName);
    } catch (e) {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    }
  }

  /** Every connector, by name (the library's; the API pages them). */
  async list(): Promise<ConnectorView[]> {
    const { store, registry, engine } = this.d;
    const rows = await store.listConfig('connector');
    await engine.health.refresh(true);
    return rows.map((row) => this.withStatus(connectorView(row.id, registry.putConnector(row).spec, row)));
  }

  /**
   * A page of connectors, newest first; `next` is the `before` of the following page (null at the end).
   * A page also ends at about MAX_PAGE_BYTES of documents.
   */
  async page(q: PageQuery = {}): Promise<{ items: ConnectorView[]; next: string | null }> {
    checkCursor(q.before);
    const { store, registry, engine } = this.d;
    const page = { ...(q.before !== undefined ? { before: q.before } : {}), limit: pageLimit(q.limit), maxBytes: MAX_PAGE_BYTES };
    const { rows, more } = await store.listConfigPage('connector', page);
    await engine.health.refresh(true);
    return pageOf(
      rows,
      more,
      (row) => this.withStatus(connectorView(row.id, registry.putConnector(row).spec, row)),
      (r) => r.id,
    );
  }

  /** Its attempts over the last hour, day or week, beside its circuit, rate-limit use and throttled backlog. */
  async health(idOrName: string, window: HealthWindow = '1h'): Promise<ConnectorHealthView> {
    return connectorHealth(this.d, await this.get(idOrName), window);
  }

  /** Adds the connector's shared health: circuit breaker state and whether it needs attention. */
  private withStatus(view: Omit<ConnectorView, 'status'>): ConnectorView {
    return { ...view, status: this.d.engine.health.view(view.id, this.d.clock.now()) };
  }
}
