// Callout as a library: the store, the configuration registry and the engine wired together, with
// the operations the HTTP API (and any embedding program) performs.

import { join } from 'node:path';
import { hostname } from 'node:os';
import { CalloutError, ConflictError, NotFoundError, Problems, ValidationError, SetupError } from './errors.ts';
import { SqliteStore } from './store/sqlite/store.ts';
import type { ApiKeyRow, Store } from './store/types.ts';
import { SecretBox } from './config/secrets.ts';
import { Registry } from './engine/registry.ts';
import { Sender } from './engine/sender.ts';
import { Engine } from './engine/engine.ts';
import { type Clock, systemClock } from './engine/clock.ts';
import { createLogger, type Logger } from './logger.ts';
import { uuidv7, randomToken, sha256 } from './ids.ts';
import { compileConnector, connectorPatchBase, connectorToDoc, connectorView } from './connectors/connector.ts';
import { actionTypeOptions, actionTypeToDoc, actionTypeView, compileActionTypeSpec } from './action-types/action-type.ts';
import { isObject } from './config/check.ts';
import { ActionService } from './actions/service.ts';
import { checkLaunchLimits } from './actions/launch-limits.ts';
import { CallbackService } from './callbacks/service.ts';
import { CaseService } from './cases/service.ts';
import { NotificationService } from './notifications/service.ts';
import { AuthProviders, closeTokenClients } from './connectors/auth/index.ts';
import { testConnection } from './connectors/test-connection.ts';
import { testAction } from './action-types/test-action.ts';

export const ROLES = ['admin', 'builder', 'operator', 'integration'] as const;
export type Role = (typeof ROLES)[number];

export interface CalloutOptions {
  /** Folder of the embedded store. @default "./callout-data" */
  dataDir?: string;
  /** A ready store (PostgreSQL, or a SQLite store opened elsewhere); overrides dataDir. */
  store?: Store;
  /** 32-byte key (hex or base64) for secrets at rest and callback tokens; generated beside the data when absent. */
  secretKey?: string;
  /** Base of `$callbackUrl`. @default "http://localhost:3000" */
  publicUrl?: string;
  /** Let connectors reach loopback and private addresses. @default false */
  allowPrivateNetworks?: boolean;
  clock?: Clock;
  logger?: Logger;
  nodeId?: string;
  engine?: { batchSize?: number; maxInFlight?: number; leaseMarginMs?: number; pollIntervalMs?: number; refreshIntervalMs?: number };
  /** `full` (default) or `normal` fsync on the embedded store. */
  sqliteSynchronous?: 'full' | 'normal';
  /** How long after its action closes a callback token still answers; then 404. @default 7 days */
  callbackTokenTtlMs?: number;
}

export class Callout {
  readonly store: Store;
  readonly registry: Registry;
  readonly engine: Engine;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly box: SecretBox;
  readonly allowPrivateNetworks: boolean;
  readonly publicUrl: string;
  readonly actions: ActionService;
  readonly callbacks: CallbackService;
  readonly cases: CaseService;
  readonly notifications: NotificationService;
  private readonly sender: Sender;
  private readonly authProviders: AuthProviders;
  /** When this node last wrote each key's lastUsedAt: the write stays off the per-request path. */
  private readonly keyTouchedAt = new Map<string, number>();

  private constructor(store: Store, box: SecretBox, opts: CalloutOptions) {
    this.store = store;
    this.box = box;
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? createLogger();
    this.allowPrivateNetworks = opts.allowPrivateNetworks ?? false;
    this.publicUrl = (opts.publicUrl ?? 'http://localhost:3000').replace(/\/$/, '');
    this.registry = new Registry(store, box);
    this.authProviders = new AuthProviders({
      clock: this.clock,
      allowPrivateNetworks: this.allowPrivateNetworks,
      onRefreshTokenRotated: (id, token) => void this.keepRotatedRefreshToken(id, token),
    });
    this.sender = new Sender({ allowPrivateNetworks: this.allowPrivateNetworks, authFor: (c) => this.authProviders.for(c) });
    this.registry.onConnectorChanged = (id) => this.sender.forget(id);
    this.engine = new Engine({
      store,
      registry: this.registry,
      sender: this.sender,
      clock: this.clock,
      box,
      logger: this.logger,
      nodeId: opts.nodeId ?? `${hostname()}:${process.pid}`,
      publicUrl: this.publicUrl,
      ...opts.engine,
    });
    // ---- resources of actions, callbacks, cases, notifications (R1b)
    const deps = { store, registry: this.registry, engine: this.engine, clock: this.clock };
    this.actions = new ActionService(deps);
    const callbackTokenTtl = opts.callbackTokenTtlMs !== undefined ? { tokenTtlMs: opts.callbackTokenTtlMs } : {};
    this.callbacks = new CallbackService({ ...deps, actions: this.actions, ...callbackTokenTtl });
    this.cases = new CaseService({ store, clock: this.clock, actions: this.actions });
    this.notifications = new NotificationService({ store });
  }

  /** Opens (and migrates) the store and loads the configuration. Call `start()` to run the engine. */
  static async open(opts: CalloutOptions = {}): Promise<Callout> {
    const dataDir = opts.dataDir ?? './callout-data';
    const logger = opts.logger ?? createLogger();
    // Checked before the store is touched: nothing to undo when the setting is missing.
    if (!opts.secretKey && opts.store && opts.store.capabilities.localDataDir === null)
      throw new SetupError(
        'CALLOUT_SECRET_KEY is required with PostgreSQL (DATABASE_URL): set it to the same 32-byte key on every node, e.g. `openssl rand -hex 32`',
      );
    const store =
      opts.store ?? new SqliteStore({ file: join(dataDir, 'callout.db'), synchronous: opts.sqliteSynchronous ?? 'full', logger });
    await store.migrate();
    const box = opts.secretKey
      ? SecretBox.fromString(opts.secretKey)
      : SecretBox.fromFile(join(dataDir, 'secret.key'), (message) => logger.warn(message));
    const c = new Callout(store, box, { ...opts, logger });
    await c.registry.refresh();
    return c;
  }

  start(): void {
    this.engine.start();
  }

  /** For /health: ok only when the store answers, within 2 s. */
  async health(): Promise<{ ok: boolean; store: Store['kind'] }> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no answer within 2 s')), 2000)));
    try {
      await Promise.race([this.store.ping(), late]);
      return { ok: true, store: this.store.kind };
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'health: the store does not answer');
      return { ok: false, store: this.store.kind };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.engine.stop();
    await this.sender.close();
    await closeTokenClients();
    await this.store.close();
  }

  // ---- connectors ------------------------------------------------------------------------------

  async createConnector(body: unknown): Promise<Record<string, unknown>> {
    const spec = compileConnector(body, { allowPrivateNetworks: this.allowPrivateNetworks });
    const now = this.clock.now();
    const id = uuidv7(now);
    const row = { id, name: spec.name, doc: connectorToDoc(spec, this.box), revision: 1, createdAt: now, updatedAt: now };
    await this.store.insertConfig('connector', row);
    const e = this.registry.putConnector(row);
    return this.withStatus(connectorView(id, e.spec, { revision: 1, createdAt: now, updatedAt: now }));
  }

  /** PATCH semantics by default; `replace` takes the body as the whole new connector (import). */
  async updateConnector(idOrName: string, patch: unknown, mode: 'merge' | 'replace' = 'merge'): Promise<Record<string, unknown>> {
    if (!isObject(patch)) throw new ValidationError([{ field: '', message: 'the body must be a JSON object' }]);
    const row = await this.store.getConfig('connector', idOrName);
    if (!row) throw new NotFoundError('Connector', idOrName);
    const cur = this.registry.putConnector(row);
    const spec = compileConnector(mode === 'replace' ? patch : { ...connectorPatchBase(cur.spec), ...patch }, {
      allowPrivateNetworks: this.allowPrivateNetworks,
      existing: cur.spec,
    });
    const now = this.clock.now();
    const next = { ...row, name: spec.name, doc: connectorToDoc(spec, this.box), revision: row.revision + 1, updatedAt: now };
    if (!(await this.store.updateConfig('connector', next, row.revision)))
      throw new ConflictError('The connector was changed by someone else; fetch it and try again');
    const e = this.registry.putConnector(next);
    // A builder who changed the connector has looked at it: let held actions try again.
    await this.engine.health.refresh(true);
    if (this.engine.health.view(row.id, now).needsAttention) await this.engine.health.setAttention(row.id, null, now);
    return this.withStatus(connectorView(row.id, e.spec, { revision: e.revision, createdAt: row.createdAt, updatedAt: now }));
  }

  /** 'Test connection': reachability and authentication, reported separately. */
  async testConnection(idOrName: string): Promise<Record<string, unknown>> {
    const entry = await this.registry.connector(idOrName);
    const fresh = await this.store.getConfig('connector', entry.id);
    const e = fresh ? this.registry.putConnector(fresh) : entry;
    return {
      ...(await testConnection(e, { clock: this.clock, allowPrivateNetworks: this.allowPrivateNetworks, auth: this.authProviders.for(e) })),
    };
  }

  /** The server rotated the refresh token: the stored one is dead, so keep the new one (encrypted). */
  private async keepRotatedRefreshToken(connectorId: string, token: string): Promise<void> {
    try {
      for (let i = 0; i < 5; i++) {
        const row = await this.store.getConfig('connector', connectorId);
        if (!row) return;
        const spec = this.registry.putConnector(row).spec;
        if (spec.auth.type !== 'oauth2_refresh_token') return;
        const doc = connectorToDoc({ ...spec, auth: { ...spec.auth, refreshToken: token } }, this.box);
        const now = this.clock.now();
        const next = { ...row, doc, revision: row.revision + 1, updatedAt: now };
        if (await this.store.updateConfig('connector', next, row.revision)) {
          this.registry.putConnector(next);
          return;
        }
      }
    } catch (err) {
      this.logger.error({ connectorId, err: (err as Error).message }, 'could not store a rotated refresh token');
    }
  }

  async getConnector(idOrName: string): Promise<Record<string, unknown>> {
    const row = await this.store.getConfig('connector', idOrName);
    if (!row) throw new NotFoundError('Connector', idOrName);
    const e = this.registry.putConnector(row);
    await this.engine.health.refresh(true);
    return this.withStatus(connectorView(row.id, e.spec, row));
  }

  async listConnectors(): Promise<Record<string, unknown>[]> {
    const rows = await this.store.listConfig('connector');
    await this.engine.health.refresh(true);
    return rows.map((row) => this.withStatus(connectorView(row.id, this.registry.putConnector(row).spec, row)));
  }

  /** Adds the connector's shared health: circuit breaker state and whether it needs attention. */
  private withStatus(view: Record<string, unknown>): Record<string, unknown> {
    return { ...view, status: this.engine.health.view(view.id as string, this.clock.now()) };
  }

  // ---- action types ----------------------------------------------------------------------------

  private async connectorIdOf(body: unknown): Promise<string | undefined> {
    if (!isObject(body) || typeof body.connector !== 'string') return undefined;
    return (await this.store.getConfig('connector', body.connector))?.id;
  }

  async createActionType(body: unknown): Promise<Record<string, unknown>> {
    const spec = compileActionTypeSpec(body, await this.connectorIdOf(body));
    const now = this.clock.now();
    const id = uuidv7(now);
    const row = { id, name: spec.name, doc: actionTypeToDoc(spec), revision: 1, createdAt: now, updatedAt: now };
    await this.store.insertConfig('action_type', row);
    const e = this.registry.putActionType(row);
    return actionTypeView(e.compiled, e);
  }

  async updateActionType(
    idOrName: string,
    patch: unknown,
    actor: `user:${string}` | 'system' = 'system',
    mode: 'merge' | 'replace' = 'merge',
  ): Promise<Record<string, unknown>> {
    if (!isObject(patch)) throw new ValidationError([{ field: '', message: 'the body must be a JSON object' }]);
    const row = await this.store.getConfig('action_type', idOrName);
    if (!row) throw new NotFoundError('Action type', idOrName);
    const cur = this.registry.putActionType(row);
    const base = actionTypeOptions(cur.compiled.spec);
    // Nested settings merge one level deep, so `{ "retry": { "maxRetries": 7 } }` keeps the interval.
    const merged: Record<string, unknown> = mode === 'replace' ? {} : { ...base };
    if (mode === 'replace') Object.assign(merged, patch);
    else
      for (const [k, v] of Object.entries(patch))
        merged[k] =
          isObject(v) && isObject(base[k]) && k !== 'fields' && k !== 'headers' && k !== 'body' ? { ...(base[k] as object), ...v } : v;
    const spec = compileActionTypeSpec(merged, await this.connectorIdOf(merged));
    const now = this.clock.now();
    const next = { ...row, name: spec.name, doc: actionTypeToDoc(spec), revision: row.revision + 1, updatedAt: now };
    if (!(await this.store.updateConfig('action_type', next, row.revision)))
      throw new ConflictError('The action type was changed by someone else; fetch it and try again');
    const e = this.registry.putActionType(next);
    // Retry policy changes apply live to open actions (SPEC section 2).
    if (JSON.stringify(cur.compiled.spec.retry) !== JSON.stringify(spec.retry)) await this.engine.applyPolicyChange(row.id, actor);
    return actionTypeView(e.compiled, e);
  }

  async getActionType(idOrName: string): Promise<Record<string, unknown>> {
    const row = await this.store.getConfig('action_type', idOrName);
    if (!row) throw new NotFoundError('Action type', idOrName);
    const e = this.registry.putActionType(row);
    return actionTypeView(e.compiled, e);
  }

  async listActionTypes(): Promise<Record<string, unknown>[]> {
    const rows = await this.store.listConfig('action_type');
    return rows.map((row) => {
      const e = this.registry.putActionType(row);
      return actionTypeView(e.compiled, e);
    });
  }

  async actionTypeSchema(idOrName: string): Promise<object> {
    const e = await this.registry.actionType(idOrName);
    return { ...e.compiled.templates.schema, title: e.compiled.spec.name };
  }

  /** 'Test action': the exact request from sample values; with `send: true`, sent once and answered. */
  async testAction(idOrName: string, body: unknown): Promise<Record<string, unknown>> {
    checkLaunchLimits(body); // sample input is bounded like a launch's
    const type = await this.registry.actionType(idOrName);
    const connector = await this.registry.connector(type.compiled.spec.connectorId);
    return testAction(type, connector, body, { sender: this.sender, publicUrl: this.publicUrl, now: this.clock.now() });
  }

  // ---- API keys --------------------------------------------------------------------------------

  async createApiKey(body: unknown): Promise<ApiKeyView & { key: string }> {
    const p = new Problems();
    const b = isObject(body) ? body : (p.add('', 'the body must be a JSON object'), {});
    for (const k of Object.keys(b)) if (!['name', 'roles', 'user'].includes(k)) p.add(k, 'is not an API key field');
    if (typeof b.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9 _.@-]{0,99}$/.test(b.name))
      p.add('name', 'is required: 1–100 letters, digits, spaces, "_", ".", "@" or "-"');
    else if (b.name === ENV_ADMIN_KEY_NAME) p.add('name', `is kept for the key made from ${ENV_ADMIN_KEY_NAME}`);
    const roles = b.roles ?? ['operator'];
    if (!Array.isArray(roles) || roles.length === 0 || roles.some((r) => !(ROLES as readonly string[]).includes(r)))
      p.add('roles', `must be a non-empty list of ${ROLES.join(', ')}`);
    // Users arrive later (SPEC 10.1): the field is in the shape, but a key cannot act as a user yet.
    if (b.user !== undefined && b.user !== null) p.add('user', 'is not supported yet: leave it out');
    p.throwIfAny();
    const key = `co_${randomToken(24)}`;
    const now = this.clock.now();
    const row: ApiKeyRow = {
      id: uuidv7(now),
      name: b.name as string,
      keyHash: sha256(key),
      roles: [...new Set(roles as string[])],
      createdAt: now,
    };
    await this.store.insertApiKey(row);
    return { ...apiKeyView(row), key };
  }

  /** Every API key, revoked ones too; never the key or its hash. */
  async listApiKeys(): Promise<ApiKeyView[]> {
    return (await this.store.listApiKeys()).map(apiKeyView);
  }

  /** Revokes a key: from the next request on, every node refuses it (each request reads the store). */
  async revokeApiKey(id: string): Promise<ApiKeyView> {
    const row = await this.store.revokeApiKey(id, this.clock.now());
    if (!row) throw new NotFoundError('API key', id);
    return apiKeyView(row);
  }

  /**
   * The key's principal, or undefined for an unknown or revoked key. Reads the store every time, so a
   * revocation on any node holds at once; the last use is written at most once a minute per key and node.
   */
  async authenticate(key: string): Promise<Principal | undefined> {
    const row = await this.store.findApiKey(sha256(key));
    if (!row || row.revokedAt !== undefined) return undefined;
    const now = this.clock.now();
    if (now - (this.keyTouchedAt.get(row.id) ?? row.lastUsedAt ?? 0) >= 60_000) {
      this.keyTouchedAt.set(row.id, now);
      await this.store.touchApiKey(row.id, now);
    }
    return { id: row.id, name: row.name, roles: row.roles as Role[] };
  }

  /**
   * Makes the key of CALLOUT_ADMIN_KEY, revoking the one made from an earlier value; without it,
   * generates an admin key on the first start and returns it (once).
   */
  async ensureAdminKey(adminKey: string | undefined): Promise<string | undefined> {
    const now = this.clock.now();
    if (adminKey) {
      const hash = sha256(adminKey);
      for (const k of await this.store.listApiKeys())
        if (k.origin === 'env' && k.keyHash !== hash && k.revokedAt === undefined) {
          await this.store.revokeApiKey(k.id, now);
          this.logger.info({ apiKey: k.id }, 'CALLOUT_ADMIN_KEY changed: revoked the key made from its earlier value');
        }
      const current = await this.store.findApiKey(hash);
      // A revoked key never comes back (a leaked value must stay dead); a new value makes a new key.
      if (current?.revokedAt !== undefined)
        this.logger.warn('CALLOUT_ADMIN_KEY is a revoked key (through the API or an earlier change of the setting); set a new value');
      if (current) return undefined;
      const row: ApiKeyRow = { id: uuidv7(now), name: ENV_ADMIN_KEY_NAME, keyHash: hash, roles: ['admin'], createdAt: now, origin: 'env' };
      try {
        await this.store.insertApiKey(row);
      } catch (err) {
        // Nodes starting together with the new value: one inserts it, the others find it.
        if (!(err instanceof CalloutError && err.code === 'CONFLICT' && (await this.store.findApiKey(hash)))) throw err;
      }
      return undefined;
    }
    const candidate = `co_${randomToken(24)}`;
    const stored = await this.store.ensureSetting('generated_admin_key_hash', sha256(candidate));
    if (stored !== sha256(candidate)) return undefined; // generated and printed on an earlier start
    await this.store.insertApiKey({
      id: uuidv7(now),
      name: 'admin',
      keyHash: stored,
      roles: ['admin'],
      createdAt: now,
      origin: 'generated',
    });
    return candidate;
  }
}

/** The name of the key made from CALLOUT_ADMIN_KEY (kept from the API, so a rotation can always insert it). */
export const ENV_ADMIN_KEY_NAME = 'CALLOUT_ADMIN_KEY';

/** Who a request acts as: an API key that is not revoked. */
export interface Principal {
  id: string;
  name: string;
  roles: Role[];
}

export interface ApiKeyView {
  id: string;
  name: string;
  roles: string[];
  /** Users arrive in a later version; a key acts as its own name until then. */
  user: null;
  /** `api`, `CALLOUT_ADMIN_KEY` or `generated` (the admin key printed on the first start). */
  origin: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

function apiKeyView(k: ApiKeyRow): ApiKeyView {
  const iso = (t: number | undefined): string | null => (t === undefined ? null : new Date(t).toISOString());
  return {
    id: k.id,
    name: k.name,
    roles: k.roles,
    user: null,
    origin: k.origin === 'env' ? ENV_ADMIN_KEY_NAME : (k.origin ?? 'api'),
    createdAt: new Date(k.createdAt).toISOString(),
    lastUsedAt: iso(k.lastUsedAt),
    revokedAt: iso(k.revokedAt),
  };
}
