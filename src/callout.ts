// Callout as a library: the store, the configuration registry and the engine wired together, with
// the operations the HTTP API (and any embedding program) performs.

import { join } from 'node:path';
import { hostname } from 'node:os';
import { CalloutError, ConflictError, InvalidStateError, NotFoundError, Problems, ValidationError, SetupError } from './errors.ts';
import { SqliteStore } from './store/sqlite/store.ts';
import type { ActionFilter, ApiKeyRow, CaseRow, Store } from './store/types.ts';
import { SecretBox } from './config/secrets.ts';
import { Registry } from './engine/registry.ts';
import { Sender } from './engine/sender.ts';
import { Engine } from './engine/engine.ts';
import { type Clock, systemClock } from './engine/clock.ts';
import { createLogger, type Logger } from './logger.ts';
import { uuidv7, randomToken, sha256 } from './ids.ts';
import { compileConnector, connectorPatchBase, connectorToDoc, connectorView } from './connectors/connector.ts';
import { actionTypeOptions, actionTypeToDoc, actionTypeView, compileActionTypeSpec } from './action-types/action-type.ts';
import { launchAction } from './lifecycle/launch.ts';
import type { ActionRecord } from './lifecycle/action.ts';
import { RESOLUTIONS, STATES, PHASES, type Resolution } from './lifecycle/states.ts';
import { actionView, timelineView, type ActionView } from './views.ts';
import { isObject } from './config/check.ts';
import { evaluate, MappingError } from './action-types/mapping.ts';
import {
  MAX_CALLBACK_DATA_BYTES,
  MAX_INPUT_BYTES,
  MAX_JSON_DEPTH,
  MAX_OUTPUT_BYTES,
  MAX_REFERENCE_CHARS,
  MAX_TEXT_CHARS,
  jsonExcerpt,
  jsonProblem,
} from './json-limits.ts';
import { AuthProviders, closeTokenClients } from './connectors/auth/index.ts';
import { testConnection } from './connectors/test-connection.ts';
import { testAction } from './action-types/test-action.ts';
// ---- bulk launches and schedules (wiring)
import { BulkLaunchService } from './bulk-launches/service.ts';
import { BulkRunner } from './bulk-launches/runner.ts';
import { BulkReplayService } from './bulk-replays/service.ts';
import { ScheduleService } from './schedules/service.ts';
import { Scheduler } from './schedules/scheduler.ts';
import type { CaseLauncher } from './bulk-launches/ports.ts';

export const ROLES = ['admin', 'builder', 'operator', 'integration'] as const;
/** How long after its action closes a callback token still answers (a repeated callback, the same answer). */
export const DEFAULT_CALLBACK_TOKEN_TTL_MS = 7 * 24 * 3_600_000;
const INPUT_LIMITS = { maxDepth: MAX_JSON_DEPTH, maxBytes: MAX_INPUT_BYTES };
/** Any other field of a launch: small scalars, but checked before the body is hashed or looked at. */
const FIELD_LIMITS = { maxDepth: MAX_JSON_DEPTH, maxBytes: 4096 };
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

export interface LaunchRequest {
  actionType: string;
  input?: Record<string, unknown>;
  caseId?: string | null;
  /** Send no earlier than this: an ISO date-time or epoch milliseconds. @default at once */
  startAt?: string | number;
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
  readonly callbackTokenTtlMs: number;
  private readonly sender: Sender;
  private readonly authProviders: AuthProviders;
  /** When this node last wrote each key's lastUsedAt: the write stays off the per-request path. */
  private readonly keyTouchedAt = new Map<string, number>();
  // ---- bulk launches and schedules (wiring)
  readonly bulkLaunches: BulkLaunchService;
  readonly bulkRunner: BulkRunner;
  readonly bulkReplays: BulkReplayService;
  readonly schedules: ScheduleService;
  readonly scheduler: Scheduler;

  private constructor(store: Store, box: SecretBox, opts: CalloutOptions) {
    this.store = store;
    this.box = box;
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? createLogger();
    this.allowPrivateNetworks = opts.allowPrivateNetworks ?? false;
    this.publicUrl = (opts.publicUrl ?? 'http://localhost:3000').replace(/\/$/, '');
    this.callbackTokenTtlMs = opts.callbackTokenTtlMs ?? DEFAULT_CALLBACK_TOKEN_TTL_MS;
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
    // ---- bulk launches and schedules (wiring). Until processes land, a case launch makes a plain case.
    const work = { clock: this.clock, logger: this.logger, nodeId: opts.nodeId ?? `${hostname()}:${process.pid}` };
    const cases: CaseLauncher = { create: (b) => this.createCase({ data: b.data, ...(b.owner ? { owner: b.owner } : {}) }) };
    this.bulkRunner = new BulkRunner({ ...work, store, launcher: this, cases });
    this.bulkLaunches = new BulkLaunchService(store, this.registry, (b) => this.bulkRunner.run(b), work);
    this.bulkReplays = new BulkReplayService(store, {
      retry: (id, user) => this.retry(id, user),
      close: (id, user, resolution, note) => this.complete(id, user, { resolution, ...(note !== undefined ? { note } : {}) }),
    });
    this.scheduler = new Scheduler({
      ...work,
      store,
      launcher: this,
      cases,
      pollIntervalMs: opts.engine?.pollIntervalMs ?? 5000,
      staleTickMs: Math.max(1000, opts.engine?.leaseMarginMs ?? 15_000),
    });
    this.schedules = new ScheduleService(store, this.registry, this.clock, () => this.scheduler.wake());
  }

  /** Opens (and migrates) the store and loads the configuration. Call `start()` to run the engine. */
  static async open(opts: CalloutOptions = {}): Promise<Callout> {
    const dataDir = opts.dataDir ?? './callout-data';
    const logger = opts.logger ?? createLogger();
    // Checked before the store is touched: nothing to undo when the setting is missing.
    if (!opts.secretKey && opts.store && opts.store.kind !== 'sqlite')
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
    this.scheduler.start(); // ---- bulk launches and schedules (wiring)
    this.bulkRunner.start();
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
    await Promise.all([this.scheduler.stop(), this.bulkRunner.stop()]); // ---- bulk launches and schedules (wiring)
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

  // ---- actions ---------------------------------------------------------------------------------

  /** Validates and launches one action; with an idempotency key a repeat returns the first action. */
  async launch(
    req: unknown,
    opts: { idempotencyKey?: string; actor?: `user:${string}` | 'system' } = {},
  ): Promise<{ action: ActionView; created: boolean }> {
    // Before the body is hashed: a value nested a million deep must be a 422, not a stack overflow.
    if (opts.idempotencyKey) checkLaunchLimits(req);
    const launchHash = opts.idempotencyKey ? sha256(JSON.stringify(req)) : undefined;
    if (opts.idempotencyKey) {
      const prior = await this.findLaunch(opts.idempotencyKey, launchHash!);
      if (prior) return { action: prior, created: false };
    }
    const item = await this.prepareLaunch(req, opts.actor ?? 'system');
    try {
      await this.store.insertActions([{ ...item, ...(opts.idempotencyKey ? { launchKey: opts.idempotencyKey, launchHash } : {}) }]);
    } catch (err) {
      // Two requests with one key raced: the loser answers with the winner's action.
      const prior =
        opts.idempotencyKey && err instanceof ConflictError ? await this.findLaunch(opts.idempotencyKey, launchHash!) : undefined;
      if (prior) return { action: prior, created: false };
      throw err;
    }
    if (item.action.dueAt !== null) this.engine.dueAt(item.action.dueAt);
    return { action: await this.view(item.action), created: true };
  }

  /**
   * Launches many actions in one transaction (bulk launch, benchmarks); all are validated first. With
   * `launchKeys` (one per request) each action is stored under its key, as a launch with that
   * Idempotency-Key would be; a key already used fails the whole batch with a ConflictError.
   */
  async launchMany(
    reqs: LaunchRequest[],
    actor: `user:${string}` | 'system' = 'system',
    opts: { launchKeys?: readonly string[] } = {},
  ): Promise<string[]> {
    const items = [];
    for (const [i, r] of reqs.entries()) {
      const key = opts.launchKeys?.[i];
      items.push({ ...(await this.prepareLaunch(r, actor)), ...(key ? { launchKey: key, launchHash: sha256(JSON.stringify(r)) } : {}) });
    }
    await this.store.insertActions(items);
    const first = items.reduce((m, i) => Math.min(m, i.action.dueAt ?? Infinity), Infinity);
    if (first !== Infinity) this.engine.dueAt(first);
    return items.map((i) => i.action.id);
  }

  private async findLaunch(key: string, hash: string): Promise<ActionView | undefined> {
    const prior = await this.store.getActionByLaunchKey(key);
    if (!prior) return undefined;
    if (prior.launchHash !== hash) throw new ConflictError('This Idempotency-Key was used for a different launch request');
    return this.view(prior.action);
  }

  private async prepareLaunch(
    req: unknown,
    actor: `user:${string}` | 'system',
  ): Promise<{ action: ActionRecord; timeline: ReturnType<typeof launchAction>['timeline'] }> {
    const p = new Problems();
    if (!isObject(req)) {
      p.add('', 'the body must be a JSON object');
      p.throwIfAny();
    }
    checkLaunchLimits(req);
    const r = req as Record<string, unknown>;
    for (const k of Object.keys(r)) if (!['actionType', 'input', 'caseId', 'startAt'].includes(k)) p.add(k, 'is not a launch field');
    let startAt: number | undefined;
    if (r.startAt !== undefined && r.startAt !== null) {
      startAt =
        typeof r.startAt === 'number'
          ? r.startAt
          : typeof r.startAt === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(r.startAt)
            ? Date.parse(r.startAt)
            : NaN;
      if (!Number.isFinite(startAt))
        p.add('startAt', 'must be a date-time with a time zone (e.g. 2026-12-01T09:00:00Z) or epoch milliseconds');
    }
    if (typeof r.actionType !== 'string' || r.actionType === '') p.add('actionType', 'is required: the id or name of an action type');
    if (r.input !== undefined && !isObject(r.input)) p.add('input', 'must be an object');
    if (r.caseId !== undefined && r.caseId !== null && typeof r.caseId !== 'string') p.add('caseId', 'must be a string');
    p.throwIfAny();
    const type = await this.registry.actionType(r.actionType as string).catch((e) => {
      if (e instanceof NotFoundError)
        throw new ValidationError([{ field: 'actionType', message: `no action type ${JSON.stringify(r.actionType)} exists` }]);
      throw e;
    });
    const caseId = (r.caseId as string | undefined) ?? null;
    if (caseId !== null && !(await this.store.getCase(caseId))) p.add('caseId', `no case ${JSON.stringify(caseId)} exists`);
    const checked = type.compiled.templates.validateInput(r.input ?? {});
    if (!checked.ok) for (const e of checked.errors) p.add(e.field ? `input.${e.field}` : 'input', e.message);
    p.throwIfAny();
    const refused = type.compiled.templates.refusal((checked as { value: Record<string, unknown> }).value);
    if (refused) p.add(`input.${refused.field}`, refused.reason);
    p.throwIfAny();
    const now = this.clock.now();
    return launchAction({
      id: uuidv7(now),
      actionTypeId: type.compiled.id,
      actionTypeName: type.compiled.spec.name,
      caseId,
      input: (checked as { value: Record<string, unknown> }).value,
      policy: type.compiled.policy,
      now,
      actor,
      ...(startAt !== undefined ? { startAt } : {}),
    });
  }

  async view(a: ActionRecord): Promise<ActionView> {
    const t = await this.registry.actionType(a.actionTypeId);
    const v = actionView(a, t.compiled.policy, t.compiled.spec.name);
    if (a.phase === 'throttled') v.heldBy = await this.heldBy(t.compiled.spec.connectorId);
    return v;
  }

  /** Why a throttled action waits, from its connector's health and limits (SPEC: visible on the waiting actions). */
  private async heldBy(connectorId: string): Promise<NonNullable<ActionView['heldBy']>> {
    const c = await this.registry.connector(connectorId);
    await this.engine.health.refresh();
    const s = this.engine.health.view(connectorId, this.clock.now());
    if (s.needsAttention)
      return { reason: 'needs_attention', detail: `connector ${c.spec.name} needs attention: ${String(s.needsAttention)}` };
    if (s.circuit !== 'closed')
      return {
        reason: 'circuit_open',
        detail: `the circuit breaker of ${c.spec.name} is ${String(s.circuit)} after ${String(s.failures)} failures in a row`,
      };
    if (c.spec.rateLimits.length > 0)
      return {
        reason: 'rate_limit',
        detail: `${c.spec.name} allows ${c.spec.rateLimits.map((l) => `${l.limit} per ${l.perMs} ms`).join(' and ')}`,
      };
    return { reason: 'max_concurrency', detail: `${c.spec.name} allows ${c.spec.maxConcurrency ?? '?'} attempts in flight` };
  }

  async getAction(id: string): Promise<ActionView> {
    const a = await this.store.getAction(id);
    if (!a) throw new NotFoundError('Action', id);
    return this.view(a);
  }

  async listActions(query: Record<string, unknown>): Promise<{ items: ActionView[]; next: string | null }> {
    const p = new Problems();
    const f: ActionFilter = { limit: 50 };
    const oneOf = (k: string, allowed: readonly string[]): string | undefined => {
      const v = query[k];
      if (v === undefined) return undefined;
      if (typeof v !== 'string' || !allowed.includes(v)) return void p.add(k, `must be one of ${allowed.join(', ')}`);
      return v;
    };
    f.state = oneOf('state', Object.values(STATES)) as ActionFilter['state'];
    f.phase = oneOf('phase', Object.values(PHASES)) as ActionFilter['phase'];
    f.resolution = oneOf('resolution', Object.values(RESOLUTIONS));
    for (const k of ['reason', 'caseId', 'queue', 'assignee', 'externalReference', 'before'] as const) {
      const v = query[k];
      if (v !== undefined) (f as unknown as Record<string, unknown>)[k] = String(v);
    }
    if (query.actionType !== undefined) {
      const t = await this.registry.actionType(String(query.actionType)).catch(() => undefined);
      if (!t) p.add('actionType', `no action type ${JSON.stringify(query.actionType)} exists`);
      else f.actionTypeId = t.compiled.id;
    }
    if (query.escalated !== undefined) {
      if (query.escalated !== 'true' && query.escalated !== 'false' && typeof query.escalated !== 'boolean')
        p.add('escalated', 'must be true or false');
      else f.escalated = String(query.escalated) === 'true';
    }
    if (query.limit !== undefined) {
      const n = Number(query.limit);
      if (!Number.isInteger(n) || n < 1 || n > 500) p.add('limit', 'must be an integer from 1 to 500');
      else f.limit = n;
    }
    p.throwIfAny();
    for (const k of Object.keys(f) as Array<keyof ActionFilter>) if (f[k] === undefined) delete f[k];
    const rows = await this.store.listActions(f);
    const items = await Promise.all(rows.map((a) => this.view(a)));
    return { items, next: rows.length === f.limit ? rows[rows.length - 1]!.id : null };
  }

  async timeline(id: string): Promise<Array<Record<string, unknown>>> {
    if (!(await this.store.getAction(id))) throw new NotFoundError('Action', id);
    return timelineView(await this.store.listTimeline(id));
  }

  async retry(id: string, user: string): Promise<ActionView> {
    return this.view(await this.engine.apply(id, { type: 'retry_requested', user }));
  }
  async pause(id: string, user: string): Promise<ActionView> {
    return this.view(await this.engine.apply(id, { type: 'paused', user }));
  }
  async resume(id: string, user: string): Promise<ActionView> {
    return this.view(await this.engine.apply(id, { type: 'resumed', user }));
  }
  async pickUp(id: string, user: string): Promise<ActionView> {
    return this.view(await this.engine.apply(id, { type: 'picked_up', user }));
  }

  async complete(id: string, user: string, body: unknown): Promise<ActionView> {
    const p = new Problems();
    const b = isObject(body) ? body : {};
    if (body !== undefined && body !== null && !isObject(body)) p.add('', 'the body must be a JSON object');
    const resolution = (b.resolution ?? 'done_successfully') as Resolution;
    if (!Object.values(RESOLUTIONS).includes(resolution)) p.add('resolution', `must be one of ${Object.values(RESOLUTIONS).join(', ')}`);
    if (b.note !== undefined && typeof b.note !== 'string') p.add('note', 'must be a string');
    p.throwIfAny();
    return this.view(
      await this.engine.apply(id, { type: 'completed', user, resolution, ...(typeof b.note === 'string' ? { note: b.note } : {}) }),
    );
  }

  // ---- callbacks from external systems ---------------------------------------------------------

  /**
   * The action a callback token is for. A forged token, an unknown action and a token whose action
   * closed more than the token TTL ago get the same 404: nothing to probe, and old tokens are dead.
   */
  private async actionOfToken(token: string): Promise<ActionRecord> {
    const id = this.engine.actionIdOfToken(token);
    const a = id ? await this.store.getAction(id) : undefined;
    if (!a || (a.state === 'closed' && a.closedAt !== null && this.clock.now() >= a.closedAt + this.callbackTokenTtlMs))
      throw new NotFoundError('Callback', 'token');
    return a;
  }

  /** Updates (acknowledgements, heartbeats, messages) end with the action: 409, nothing changed. */
  private static refuseIfClosed(a: ActionRecord, what: string): void {
    if (a.state === 'closed') throw new InvalidStateError(`The action is closed; ${what} no longer apply to it`);
  }

  async callback(token: string, body: unknown): Promise<ActionView> {
    const a = await this.actionOfToken(token);
    const id = a.id;
    const p = new Problems();
    if (!isObject(body)) {
      p.add('', 'the body must be a JSON object with an outcome');
      p.throwIfAny();
    }
    const b = body as Record<string, unknown>;
    for (const k of Object.keys(b))
      if (!['outcome', 'data', 'reason', 'externalReference'].includes(k)) p.add(k, 'is not a callback field');
    if (b.outcome !== 'success' && b.outcome !== 'failure') p.add('outcome', 'must be "success" or "failure"');
    const dataProblem = jsonProblem(b.data, { maxDepth: MAX_JSON_DEPTH, maxBytes: MAX_CALLBACK_DATA_BYTES });
    if (dataProblem) p.add('data', dataProblem);
    checkText(p, b.reason, 'reason', MAX_TEXT_CHARS);
    checkText(p, b.externalReference, 'externalReference', MAX_REFERENCE_CHARS);
    p.throwIfAny();
    const acked =
      typeof b.externalReference === 'string' && b.externalReference !== a.externalReference && a.state !== 'closed'
        ? await this.engine.apply(id, { type: 'acknowledged', externalReference: b.externalReference }, a)
        : undefined;
    const cur = acked ?? a;
    if (b.outcome === 'success') {
      const data = b.data ?? null;
      // A repeat of an applied callback gets the same answer without running the mapping again.
      const mapped = cur.callbackOutcome === null && cur.state === 'waiting' ? await this.mapCallbackOutput(cur, data) : { output: data };
      return this.view(await this.engine.apply(id, { type: 'callback', outcome: 'success', data: jsonExcerpt(data), ...mapped }, cur));
    }
    return this.view(
      await this.engine.apply(
        id,
        { type: 'callback', outcome: 'failure', ...(typeof b.reason === 'string' ? { reason: b.reason } : {}) },
        cur,
      ),
    );
  }

  /**
   * The output of a success callback, by the action type's output mapping (in a worker, under its
   * limits) or the data itself. When the mapping fails or the output is too large the callback is
   * still taken (the caller gets 200: sending it again would not help) and the action goes To Do
   * with the reason, as a failed response mapping does.
   */
  private async mapCallbackOutput(a: ActionRecord, data: unknown): Promise<{ output: unknown } | { rejectedReason: string }> {
    const m = (await this.registry.actionType(a.actionTypeId)).compiled.mapping.output;
    if (!m) {
      const problem = jsonProblem(data, { maxDepth: MAX_JSON_DEPTH, maxBytes: MAX_OUTPUT_BYTES });
      return problem
        ? { rejectedReason: `Callback output failed: the data, kept as the output (there is no response.output), ${problem}` }
        : { output: data };
    }
    try {
      return { output: (await evaluate(m, data ?? {}, { input: a.input })) ?? null };
    } catch (e) {
      if (e instanceof MappingError) return { rejectedReason: `Callback output mapping failed: ${e.message}` };
      throw e;
    }
  }

  async acknowledge(token: string, body: unknown): Promise<ActionView> {
    const a = await this.actionOfToken(token);
    if (!isObject(body) || typeof body.externalReference !== 'string' || body.externalReference === '')
      throw new ValidationError([{ field: 'externalReference', message: 'is required: the external system’s reference' }]);
    const p = new Problems();
    checkText(p, body.externalReference, 'externalReference', MAX_REFERENCE_CHARS);
    p.throwIfAny();
    Callout.refuseIfClosed(a, 'acknowledgements');
    return this.view(await this.engine.apply(a.id, { type: 'acknowledged', externalReference: body.externalReference }, a));
  }

  async heartbeat(token: string, body: unknown): Promise<ActionView> {
    const a = await this.actionOfToken(token);
    const note = isObject(body) && typeof body.note === 'string' ? body.note : undefined;
    if (isObject(body) && body.note !== undefined && typeof body.note !== 'string')
      throw new ValidationError([{ field: 'note', message: 'must be a string' }]);
    const p = new Problems();
    checkText(p, note, 'note', MAX_TEXT_CHARS);
    p.throwIfAny();
    Callout.refuseIfClosed(a, 'heartbeats');
    return this.view(await this.engine.apply(a.id, { type: 'heartbeat', ...(note ? { note } : {}) }, a));
  }

  async message(token: string, body: unknown): Promise<ActionView> {
    const a = await this.actionOfToken(token);
    if (!isObject(body) || typeof body.message !== 'string' || body.message.trim() === '')
      throw new ValidationError([{ field: 'message', message: 'is required: the text of the update' }]);
    const p = new Problems();
    checkText(p, body.message, 'message', MAX_TEXT_CHARS);
    p.throwIfAny();
    Callout.refuseIfClosed(a, 'messages');
    return this.view(await this.engine.apply(a.id, { type: 'message', text: body.message, actor: 'integration' }, a));
  }

  // ---- cases (the minimal part the lifecycle needs: data to merge into, an owner to escalate to) ----

  async createCase(body: unknown): Promise<CaseRow> {
    const p = new Problems();
    const b = isObject(body) ? body : (p.add('', 'the body must be a JSON object'), {});
    for (const k of Object.keys(b)) {
      const problem = jsonProblem(b[k], k === 'data' ? INPUT_LIMITS : FIELD_LIMITS);
      if (problem) p.add(k, problem);
    }
    p.throwIfAny();
    if (b.data !== undefined && !isObject(b.data)) p.add('data', 'must be an object');
    if (b.owner !== undefined && b.owner !== null && typeof b.owner !== 'string') p.add('owner', 'must be a string');
    p.throwIfAny();
    const now = this.clock.now();
    const row: CaseRow = {
      id: uuidv7(now),
      data: (b.data as Record<string, unknown>) ?? {},
      owner: (b.owner as string) ?? null,
      createdAt: now,
      updatedAt: now,
    };
    await this.store.insertCase(row);
    return row;
  }

  async getCase(id: string): Promise<CaseRow & { actions: ActionView[] }> {
    const c = await this.store.getCase(id);
    if (!c) throw new NotFoundError('Case', id);
    const actions = await Promise.all((await this.store.listActions({ caseId: id, limit: 500 })).map((a) => this.view(a)));
    return { ...c, actions };
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

  async notifications(user: string): Promise<Array<Record<string, unknown>>> {
    return (await this.store.listNotifications(user)).map((n) => ({ ...n, at: new Date(n.at).toISOString() }));
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

/** A string field within its length, or absent. */
function checkText(p: Problems, v: unknown, field: string, max: number): void {
  if (v === undefined) return;
  if (typeof v !== 'string') p.add(field, 'must be a string');
  else if (v.length > max) p.add(field, `is longer than ${max} characters`);
}

/** Size and depth of a launch body, field by field, before anything else reads it. */
function checkLaunchLimits(req: unknown): void {
  if (!isObject(req)) return;
  const p = new Problems();
  for (const [k, v] of Object.entries(req)) {
    const problem = jsonProblem(v, k === 'input' ? INPUT_LIMITS : FIELD_LIMITS);
    if (problem) p.add(k, problem);
  }
  p.throwIfAny();
}
