// Callout as a library: the composition root. It opens the store, builds the registry, senders and
// engine, and exposes one service per resource (callout.connectors, callout.actionTypes, ...), which
// the HTTP API and any embedding program call.

import { join } from 'node:path';
import { hostname } from 'node:os';
import { CalloutClosedError, SetupError, ValidationError, type FieldProblem } from './errors.ts';
import { SqliteStore } from './store/sqlite/store.ts';
import type { Store } from './store/types.ts';
import { SecretBox } from './crypto/secrets.ts';
import { openStoreKey } from './crypto/store-key.ts';
import { Registry } from './engine/registry.ts';
import { Sender } from './engine/sender.ts';
import { Engine, MAX_CLAIM_LEAD_MS, MAX_IN_FLIGHT_DEFAULT } from './engine/engine.ts';
import { type Clock, type TimerHandle, systemClock } from './clock.ts';
import { createLogger, type Logger } from './logger.ts';
import { AuthProviders, closeTokenClients } from './connectors/auth/index.ts';
import { ConnectorService } from './connectors/service.ts';
import { ActionTypeService } from './action-types/service.ts';
import { ConfigFileService } from './config-files/service.ts';
import { ApiKeyService } from './api-keys/service.ts';
import { ActionService } from './actions/service.ts';
import { CallbackService } from './callbacks/service.ts';
import { CaseService } from './cases/service.ts';
import { CaseTaskService } from './cases/tasks.ts';
import { NotificationService } from './notifications/service.ts';
import { BulkLaunchService } from './bulk-launches/service.ts';
import { BulkRunner } from './bulk-launches/runner.ts';
import { BulkReplayService } from './bulk-replays/service.ts';
import { previewRequest } from './engine/request-preview.ts';
import { ScheduleService } from './schedules/service.ts';
import { SavedViewService, type Renamable } from './saved-views/service.ts';
import { storedOwners } from './cases/owner.ts';
import { Scheduler } from './schedules/scheduler.ts';
import type { CaseLauncher as BulkCaseLauncher } from './bulk-launches/ports.ts';
import { UserService } from './users/service.ts';
import { QueueService } from './queues/service.ts';
import { TaskService } from './tasks/service.ts';
import { ProcessService } from './processes/service.ts';
import { CaseLauncher } from './processes/case-launcher.ts';
import { CaseWorker } from './processes/case-worker.ts';
import { openThreadedSqliteStore } from './store/sqlite/thread.ts';
import { SQLITE_THREAD_DEFAULT } from './settings.ts';
import { WebhookOutbox } from './webhooks/outbox.ts';
import { WebhookSender } from './webhooks/sender.ts';
import { DeliveryWorker } from './webhooks/worker.ts';
import { LoadGauge } from './engine/load.ts';
import { WebhookService } from './webhooks/service.ts';
import { compileDeliverySettings, type DeliverySettingsOptions } from './webhooks/delivery-policy.ts';
import { InboundService } from './inbound/service.ts';
import { IntegrationService } from './integrated-queues/service.ts';
import { storeFailure } from './store/failures.ts';
import { refusedOnceClosed } from './store/closed-guard.ts';

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
  engine?: {
    batchSize?: number;
    maxInFlight?: number;
    leaseMarginMs?: number;
    pollIntervalMs?: number;
    refreshIntervalMs?: number;
    takeoverAfterMs?: number;
    /** Timers due within this are claimed ahead and sent when due (0–1000 ms). @default 50 */
    claimLeadMs?: number;
  };
  /** `full` (default) or `normal` fsync on the embedded store. */
  sqliteSynchronous?: 'full' | 'normal';
  /** Run the embedded store's SQLite work on a thread of its own (store/sqlite/thread.ts). @default SQLITE_THREAD_DEFAULT (settings.ts) */
  sqliteThread?: boolean;
  /** The most notifications each user keeps, oldest read ones dropped first (CALLOUT_NOTIFICATIONS_PER_USER). @default 1000 */
  notificationsPerUser?: number;
  /** How long after its action closes a callback token still answers; then 404. @default 7 days */
  callbackTokenTtlMs?: number;
  /** The case worker: `worker: false` for a node that moves no cases on (others do). */
  cases?: { worker?: boolean; pollIntervalMs?: number; leaseMs?: number };
  /** Webhook delivery: retry schedule, jitter, auto-disable, timeout (see webhooks/delivery-policy.ts). */
  webhooks?: DeliverySettingsOptions & {
    pollIntervalMs?: number;
    perSubscription?: number;
    /** Whether this node delivers webhooks (`CALLOUT_WEBHOOK_DELIVERY`); with false it still writes the outbox, and other nodes deliver. @default true */
    delivery?: boolean;
    /** Deliveries yield to the engine while it has a backlog (small paced rounds) and catch up after. @default true */
    yieldToEngine?: boolean;
  };
}

/**
 * The engine's numbers, checked before anything is opened: a poll interval of 0 kept the event loop
 * from ever running a timer once started, and no room for attempts (maxInFlight 0) kept close() waiting.
 */
function refuseEngineOptions(engine: CalloutOptions['engine']): void {
  if (!engine) return;
  const problems: FieldProblem[] = [];
  for (const k of ['batchSize', 'maxInFlight'] as const) {
    const v = engine[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1))
      problems.push({ field: `engine.${k}`, message: 'must be a whole number, at least 1' });
  }
  for (const k of ['leaseMarginMs', 'pollIntervalMs', 'refreshIntervalMs', 'takeoverAfterMs'] as const) {
    const v = engine[k];
    if (v !== undefined && !(Number.isFinite(v) && v > 0))
      problems.push({ field: `engine.${k}`, message: 'must be a number of milliseconds above 0' });
  }
  const lead = engine.claimLeadMs;
  if (lead !== undefined && !(Number.isFinite(lead) && lead >= 0 && lead <= MAX_CLAIM_LEAD_MS))
    problems.push({ field: 'engine.claimLeadMs', message: `must be between 0 and ${MAX_CLAIM_LEAD_MS} ms` });
  if (problems.length > 0) throw new ValidationError(problems);
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
  readonly connectors: ConnectorService;
  readonly actionTypes: ActionTypeService;
  readonly configFiles: ConfigFileService;
  readonly apiKeys: ApiKeyService;
  readonly actions: ActionService;
  readonly callbacks: CallbackService;
  readonly cases: CaseService;
  /** Tasks added to a case by hand (POST /v1/cases/{id}/tasks). */
  readonly caseTasks: CaseTaskService;
  readonly notifications: NotificationService;
  readonly bulkLaunches: BulkLaunchService;
  readonly bulkRunner: BulkRunner;
  readonly bulkReplays: BulkReplayService;
  readonly schedules: ScheduleService;
  /** Saved views of the work list and the cases list, with their live counts. */
  readonly savedViews: SavedViewService;
  readonly scheduler: Scheduler;
  // ---- people and queues (W1)
  readonly users: UserService;
  readonly queues: QueueService;
  readonly tasks: TaskService;
  readonly processes: ProcessService;
  readonly caseWorker: CaseWorker;
  // ---- integrated queues (I13b)
  readonly integrations: IntegrationService;
  private readonly runCaseWorker: boolean;
  private readonly runDeliveryWorker: boolean;
  private readonly webhookPollMs: number;
  /** Without the delivery worker, the outbox's subscription cache is refreshed on this timer instead. */
  private outboxRefresh: TimerHandle | null = null;
  readonly webhookOutbox: WebhookOutbox;
  readonly webhookWorker: DeliveryWorker;
  readonly webhooks: WebhookService;
  readonly inbound: InboundService;
  private readonly webhookSender: WebhookSender;
  private readonly sender: Sender;
  private readonly authProviders: AuthProviders;

  /** Builds the parts in dependency order: store and key, registry, senders, engine, then the services. */
  private constructor(store: Store, box: SecretBox, opts: CalloutOptions) {
    this.store = store;
    this.box = box;
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? createLogger();
    this.allowPrivateNetworks = opts.allowPrivateNetworks ?? false;
    this.publicUrl = (opts.publicUrl ?? 'http://localhost:3000').replace(/\/$/, '');
    this.registry = new Registry(store, box, this.logger);
    this.authProviders = new AuthProviders({
      clock: this.clock,
      allowPrivateNetworks: this.allowPrivateNetworks,
      // Called only once a token is refreshed, long after the constructor has set `connectors`.
      onRefreshTokenRotated: (id, token) => void this.connectors.keepRotatedRefreshToken(id, token),
    });
    this.sender = new Sender({
      allowPrivateNetworks: this.allowPrivateNetworks,
      authFor: (c) => this.authProviders.for(c),
      // A connection for every attempt the engine may have in flight: with fewer (128), the rest waited
      // in the pool with their timeout running, and a slow but healthy system answered in time was
      // recorded as timing out, used up retries and opened the circuit. A connector's maxConcurrency
      // still sets its own (the engine holds back the sends beyond it).
      connectionsPerConnector: opts.engine?.maxInFlight ?? MAX_IN_FLIGHT_DEFAULT,
    });
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
    const { registry, engine, clock, logger, allowPrivateNetworks } = this;
    // A renamed process, action type or connector: the saved views filtering by its old name follow it.
    const followRename =
      (renamed: Renamable) =>
      (from: string, to: string, id?: string): Promise<void> =>
        this.savedViews
          .followRename(renamed, from, to, id)
          .catch((err: unknown) => logger.warn({ err, from, to }, `saved views naming a renamed ${renamed} could not all follow it`));
    this.connectors = new ConnectorService({
      store,
      registry,
      engine,
      box,
      clock,
      logger,
      authProviders: this.authProviders,
      allowPrivateNetworks,
      onRenamed: followRename('connector'),
    });
    this.actionTypes = new ActionTypeService({
      store,
      registry,
      engine,
      sender: this.sender,
      clock,
      publicUrl: this.publicUrl,
      onRenamed: followRename('actionType'),
    });
    this.apiKeys = new ApiKeyService({ store, clock, logger });
    const deps = { store, registry, engine, clock };
    this.actions = new ActionService(deps);
    const callbackTokenTtl = opts.callbackTokenTtlMs !== undefined ? { tokenTtlMs: opts.callbackTokenTtlMs } : {};
    this.callbacks = new CallbackService({ ...deps, actions: this.actions, ...callbackTokenTtl });
    // ---- bulk launches and schedules: cases are launched through the cases service (below), repeat-safe by key.
    const work = { clock, logger, nodeId: opts.nodeId ?? `${hostname()}:${process.pid}` };
    const cases: BulkCaseLauncher = {
      create: async (b, o) =>
        (
          await this.cases.createCase(
            { process: b.process, data: b.data, ...(b.title ? { title: b.title } : {}), ...(b.owner ? { owner: b.owner } : {}) },
            { idempotencyKey: o.idempotencyKey },
          )
        ).case,
    };
    this.bulkRunner = new BulkRunner({ ...work, store, launcher: this.actions, cases });
    this.bulkLaunches = new BulkLaunchService(store, registry, (b) => this.bulkRunner.run(b), {
      ...work,
      // By id, its name alone (a report's every poll asks); by name, the one read that finds it.
      processOf: async (ref) => {
        const [byId] = await store.configNames('process', [ref]);
        if (byId) return byId;
        const p = await store.getConfig('process', ref);
        return p && { id: p.id, name: p.name };
      },
    });
    this.bulkReplays = new BulkReplayService(
      store,
      {
        retry: (id, user) => this.actions.retry(id, user),
        close: (id, user, resolution, note) => this.actions.complete(id, user, { resolution, ...(note !== undefined ? { note } : {}) }),
      },
      clock,
      (a) => previewRequest({ registry, sender: this.sender, tokens: this.engine }, a),
    );
    this.scheduler = new Scheduler({
      ...work,
      store,
      launcher: this.actions,
      cases,
      pollIntervalMs: opts.engine?.pollIntervalMs ?? 5000,
      staleTickMs: Math.max(1000, opts.engine?.leaseMarginMs ?? 15_000),
    });
    this.schedules = new ScheduleService(store, registry, clock, () => this.scheduler.wake(), {
      processId: async (ref) => (await store.getConfig('process', ref))?.id,
      owners: storedOwners(store),
    });
    this.notifications = new NotificationService({ store, clock });
    this.savedViews = new SavedViewService({ store, clock, registry });
    // ---- people and queues (W1)
    this.tasks = new TaskService({ store, engine, actions: this.actions, logger, clock });
    this.users = new UserService({ store, clock, tasks: this.tasks });
    this.queues = new QueueService({ store, clock, tasks: this.tasks });

    // ---- cases and processes
    this.processes = new ProcessService({
      store,
      clock,
      onRenamed: followRename('process'),
    });
    const launcher = new CaseLauncher({ store, registry, engine });
    this.caseWorker = new CaseWorker({ store, engine, launcher, clock, logger, ...opts.cases });
    this.runCaseWorker = opts.cases?.worker ?? true;
    this.cases = new CaseService({
      store,
      clock,
      actions: this.actions,
      processes: this.processes,
      worker: this.caseWorker,
      logger,
      engine,
    });
    this.caseTasks = new CaseTaskService({ store, clock, actions: this.actions, engine, logger });

    // ---- webhooks out and signed inbound (W4a)
    const { pollIntervalMs: webhookPollMs, perSubscription, delivery, yieldToEngine, ...deliveryOptions } = opts.webhooks ?? {};
    this.runDeliveryWorker = delivery ?? true;
    this.webhookPollMs = webhookPollMs ?? 1000;
    const settings = compileDeliverySettings(deliveryOptions);
    this.webhookOutbox = new WebhookOutbox({ store, clock, publicUrl: this.publicUrl });
    this.webhookSender = new WebhookSender({ allowPrivateNetworks, timeoutMs: settings.timeoutMs });
    // Delivery yields while the engine has a backlog and keeps the event loop busy; it catches up after.
    const load = new LoadGauge({ saturated: () => engine.saturated, clock });
    this.webhookWorker = new DeliveryWorker({
      store,
      clock,
      box,
      logger,
      sender: this.webhookSender,
      settings,
      nodeId: opts.nodeId ?? `${hostname()}:${process.pid}`,
      ...(webhookPollMs !== undefined ? { pollIntervalMs: webhookPollMs } : {}),
      ...(perSubscription !== undefined ? { perSubscription } : {}),
      // Other nodes' subscription changes reach this node's cache at the worker's poll.
      onPoll: () => this.webhookOutbox.refresh(),
      activeSubscriptions: () => this.webhookOutbox.activeIds,
      ...(yieldToEngine === false ? {} : { pacing: { busy: () => load.busy() } }),
    });
    this.webhooks = new WebhookService({
      store,
      clock,
      box,
      outbox: this.webhookOutbox,
      onDue: () => this.webhookWorker.wake(),
      allowPrivateNetworks: this.allowPrivateNetworks,
    });
    // ---- configuration as files: every resource above that a builder or an admin sets up
    this.configFiles = new ConfigFileService({
      store,
      registry,
      clock,
      connectors: this.connectors,
      actionTypes: this.actionTypes,
      users: this.users,
      queues: this.queues,
      processes: this.processes,
      webhooks: this.webhooks,
      schedules: this.schedules,
      allowPrivateNetworks,
      logger,
    });
    engine.webhookEvents = this.webhookOutbox;
    this.cases.webhookEvents = this.webhookOutbox;
    this.caseWorker.webhookEvents = this.webhookOutbox;
    // A written change may have put deliveries in the outbox: look now rather than at the next poll.
    engine.on('action', () => {
      if (this.webhookOutbox.anyWanted) this.webhookWorker.wake();
    });
    this.inbound = new InboundService({ store, registry, engine, clock, callbacks: this.callbacks });
    // ---- integrated queues (I13b): people's task changes and integration callbacks go through it
    this.integrations = new IntegrationService({ store, registry, engine, clock, tokenTtlMs: this.callbacks.tokenTtlMs, logger });
    engine.integrations = this.integrations;
    this.callbacks.integrations = this.integrations;
    this.inbound.integrations = this.integrations;
    this.actions.viewExtras = (a) => this.integrations.solutionOf(a);
  }

  /** Opens (and migrates) the store and loads the configuration. Call `start()` to run the engine. */
  static async open(opts: CalloutOptions = {}): Promise<Callout> {
    refuseEngineOptions(opts.engine);
    // As --data-dir '' is: an empty folder name is this process's folder, which would become the store (mode 0700).
    if (opts.dataDir !== undefined && opts.dataDir.trim() === '' && !opts.store)
      throw new ValidationError([{ field: 'dataDir', message: 'must name a folder (it was empty, which would be the current folder)' }]);
    // Before the store is made and migrated, and as the error a caller can tell apart (it was a plain Error from there).
    if (opts.secretKey) {
      try {
        SecretBox.fromString(opts.secretKey);
      } catch {
        throw new ValidationError([
          { field: 'secretKey', message: 'must be 32 bytes as 64 hex characters or base64 (e.g. `openssl rand -hex 32`)' },
        ]);
      }
    }
    const dataDir = opts.dataDir ?? './callout-data';
    const logger = opts.logger ?? createLogger();
    const sqlite = {
      file: join(dataDir, 'callout.db'),
      synchronous: opts.sqliteSynchronous ?? 'full',
      logger,
      backgroundCheckpoints: true,
      ...(opts.notificationsPerUser !== undefined ? { notificationsPerUser: opts.notificationsPerUser } : {}),
    } as const;
    const store = opts.store ?? ((opts.sqliteThread ?? SQLITE_THREAD_DEFAULT) ? openThreadedSqliteStore(sqlite) : new SqliteStore(sqlite));
    // The generated key lives beside the store's files; a store with none (shared by several nodes) needs
    // the key given. Checked before the store is migrated: nothing to undo when the setting is missing.
    const keyDir = store.capabilities.localDataDir;
    if (!opts.secretKey && keyDir === null)
      throw new SetupError(
        'CALLOUT_SECRET_KEY is required with PostgreSQL (DATABASE_URL): set it to the same 32-byte key on every node, e.g. `openssl rand -hex 32`',
      );
    const migrated = await store.migrate().catch(async (e: unknown) => {
      await store.close();
      throw e;
    });
    // An upgrade is news for the log; a new store's creation (from 001 on) is not.
    if (migrated.length > 0 && !migrated[0]!.startsWith('001_')) logger.info({ migrations: migrated }, 'upgraded the store');
    const box = await openStoreKey(store, {
      ...(opts.secretKey ? { secretKey: opts.secretKey } : {}),
      keyFile: opts.secretKey ? null : join(keyDir!, 'secret.key'),
      notice: (message) => logger.warn(message),
    }).catch(async (e: unknown) => {
      await store.close();
      throw e;
    });
    // Closed again when an option is refused here or the configuration cannot be read: the store's
    // checkpoint thread kept the embedding program from ever ending after the error.
    try {
      // Every part reaches the store through one guard: after close(), CalloutClosedError, not a driver's error.
      const c = new Callout(refusedOnceClosed(store), box, { ...opts, logger });
      await c.registry.refresh();
      await c.webhookOutbox.refresh();
      return c;
    } catch (e) {
      await store.close();
      throw e;
    }
  }

  start(): void {
    // Started again after close(), every worker ran against the closed store and logged its failure
    // every second or two, and kept the process from ending.
    if (this.closing) throw new CalloutClosedError();
    this.engine.start();
    this.integrations.start();
    this.tasks.start();
    this.scheduler.start();
    this.bulkRunner.start();
    if (this.runCaseWorker) this.caseWorker.start();
    if (this.runDeliveryWorker) this.webhookWorker.start();
    // A node that delivers nothing still writes the outbox: it learns other nodes' subscriptions here.
    else if (!this.outboxRefresh) this.refreshOutboxLater();
  }

  private refreshOutboxLater(): void {
    this.outboxRefresh = this.clock.setTimer(this.webhookPollMs, () => {
      void this.webhookOutbox
        .refresh()
        .catch((err: unknown) => this.logger.warn({ err }, 'refreshing the webhook subscriptions failed; retrying at the next poll'))
        .finally(() => {
          if (this.outboxRefresh) this.refreshOutboxLater();
        });
    });
  }

  /** For /health: ok only when the store answers, within 2 s. */
  /**
   * Whether the store answers, and when not, why in one word (public: no detail beyond it): `stopped`
   * (a failed write to disk; restart the node), `unreachable` (the database is not there), `slow` (no
   * answer within 2 s) or `failing` (anything else; the log has it).
   */
  async health(): Promise<{ ok: boolean; store: Store['kind']; reason?: 'stopped' | 'unreachable' | 'slow' | 'failing' }> {
    let timer: NodeJS.Timeout | undefined;
    const slow = new Error('no answer within 2 s');
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(slow), 2000)));
    try {
      await Promise.race([this.store.ping(), late]);
      return { ok: true, store: this.store.kind };
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'health: the store does not answer');
      const failure = storeFailure(err);
      const reason = failure === 'stopped' || failure === 'unreachable' ? failure : err === slow ? 'slow' : 'failing';
      return { ok: false, store: this.store.kind, reason };
    } finally {
      clearTimeout(timer);
    }
  }

  private closing: Promise<void> | null = null;

  /**
   * Stops every worker and closes the store; a second call waits for the first (an embedder's shutdown
   * paths often overlap). Once the store is closed, every call on this Callout's services (and on
   * `store`) rejects with CalloutClosedError; one under way at that moment finishes or rejects with it.
   */
  close(): Promise<void> {
    return (this.closing ??= this.closeOnce());
  }

  private async closeOnce(): Promise<void> {
    await Promise.all([this.scheduler.stop(), this.bulkRunner.stop()]);
    await this.caseWorker.stop();
    await this.integrations.stop();
    await this.tasks.stop();
    await this.engine.stop();
    await this.webhookWorker.stop();
    this.outboxRefresh?.cancel();
    this.outboxRefresh = null;
    await this.webhookSender.close();
    await this.sender.close();
    await closeTokenClients();
    await this.store.close();
  }
}
