// The delivery worker: claims due deliveries from the outbox (a lease, as the engine claims
// actions), signs and sends each through the guarded sender, and writes the attempt with the
// delivery's next step (delivery-policy.ts) and the endpoint's health. It runs beside the engine and
// never inside an action's write: a slow receiver holds its own deliveries, nothing else. While the
// engine has a backlog it yields (small paced rounds), so a burst of actions keeps its own pace and
// its events catch up after.

import { RepeatedFailure } from '../repeated-failure.ts';
import type { Store } from '../store/types.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import type { SecretBox } from '../crypto/secrets.ts';
import type { Logger } from '../logger.ts';
import { signWebhook, type SigningSecret } from './sign.ts';
import { DEFAULT_DELIVERY_SETTINGS, describeOutcome, nextStep, recordAttempt, type DeliverySettings } from './delivery-policy.ts';
import type { WebhookSender } from './sender.ts';
import type { WebhookAttemptResult, WebhookDeliveryRow, WebhookSubscriptionRow } from './rows.ts';
import { decryptSecrets } from './service.ts';
import { actingUser } from '../users/user.ts';
import { compileRetryPolicy } from '../lifecycle/retry-policy.ts';

export interface DeliveryWorkerOptions {
  store: Store;
  clock: Clock;
  sender: WebhookSender;
  box: SecretBox;
  logger: Logger;
  nodeId: string;
  settings?: DeliverySettings;
  /** Deliveries claimed at once. @default 128 */
  batchSize?: number;
  /** At most this many attempts in flight per subscription on this node (its rate limit). @default 16 */
  perSubscription?: number;
  /** How often to look for due deliveries when not woken. @default 1000 */
  pollIntervalMs?: number;
  /** Called at each poll too (the outbox's subscription cache, for other nodes' changes). */
  onPoll?: () => Promise<void>;
  /**
   * The subscriptions deliveries go to (the outbox's cache): when every one of them is being
   * delivered on this node already, a claim could find nothing, so none is made.
   */
  activeSubscriptions?: () => ReadonlySet<string>;
  /** Yield to other work on this node (the engine) while it is busy; full speed otherwise. */
  pacing?: DeliveryPacing;
}

/** How the worker yields while the node is busy: small rounds with a pause between them, so deliveries still advance. */
export interface DeliveryPacing {
  /** Whether the node is busy now (the engine is saturated). */
  busy: () => boolean;
  /** Deliveries claimed in one round while busy. @default 16 */
  batchSize?: number;
  /** Attempts in flight per subscription while busy. @default 2 */
  perSubscription?: number;
  /** The pause after a round while busy: with the defaults, at most about 80 deliveries a second. @default 200 */
  pauseMs?: number;
}

const DEFAULT_PACING = { batchSize: 16, perSubscription: 2, pauseMs: 200 } as const;

type Compiled = Required<Omit<DeliveryWorkerOptions, 'onPoll' | 'activeSubscriptions' | 'pacing'>> & DeliveryWorkerOptions;

export class DeliveryWorker {
  private readonly o: Compiled;
  private readonly pacing: Required<DeliveryPacing> | null;
  private running = false;
  private timer: TimerHandle | null = null;
  private busy: Promise<void> | null = null;
  private again = false;
  /** Set after a round run while the node was busy: until then, wakes wait for the paced round. */
  private pausedUntil = 0;
  private nextPollAt = 0;
  /** Subscriptions being delivered on this node now, and their groups' ends. */
  private readonly groups = new Map<string, Promise<void>>();
  /** Each subscription's signing secrets, decrypted once per stored (encrypted) value. */
  private readonly secrets = new Map<string, { stored: string; secrets: SigningSecret[] }>();
  /** Told of each attempt this node made: what came of it (the metrics' counter). */
  readonly attemptListeners: Array<(result: 'delivered' | 'retry' | 'failed' | 'endpoint_gone') => void> = [];

  private readonly roundFailure: RepeatedFailure;

  constructor(opts: DeliveryWorkerOptions) {
    this.o = { settings: DEFAULT_DELIVERY_SETTINGS, batchSize: 128, perSubscription: 16, pollIntervalMs: 1000, ...opts };
    this.roundFailure = new RepeatedFailure(opts.logger, 'webhook delivery round failed; retrying at the next poll');
    this.pacing = opts.pacing ? { ...DEFAULT_PACING, ...opts.pacing } : null;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    this.timer = null;
    await this.busy;
    await Promise.all([...this.groups.values()]);
  }

  /** Deliveries were added (this node wrote events): look now rather than at the next poll (or the paced round). */
  wake(): void {
    if (!this.running) return;
    if (this.busy) this.again = true;
    else if (this.o.clock.now() >= this.pausedUntil) this.schedule(0);
  }

  private schedule(ms: number): void {
    this.timer?.cancel();
    this.timer = this.o.clock.setTimer(ms, () => {
      this.timer = null;
      this.busy = this.round().finally(() => {
        this.busy = null;
        if (!this.running) return;
        const more = this.again;
        this.again = false;
        const paused = this.pausedUntil - this.o.clock.now();
        this.schedule(paused > 0 ? paused : more ? 0 : this.o.pollIntervalMs);
      });
    });
  }

  private async round(): Promise<void> {
    try {
      const now = this.o.clock.now();
      if (now >= this.nextPollAt) {
        this.nextPollAt = now + this.o.pollIntervalMs;
        await this.o.onPoll?.();
      }
      // Keep claiming while full claims come back: a backlog drains without waiting for the poll.
      // Subscriptions run on their own: a slow one holds its own deliveries while the others go on.
      // While the node is busy, one small round, then a pause: the engine keeps its pace.
      while (this.running && !this.everyActiveInFlight()) {
        const busy = this.pacing?.busy() ?? false;
        const size = busy ? this.pacing!.batchSize : this.o.batchSize;
        const { claimed } = await this.claimAndStart(size, busy ? this.pacing!.perSubscription : this.o.perSubscription);
        if (busy) this.pausedUntil = this.o.clock.now() + this.pacing!.pauseMs;
        if (busy || claimed < size) break;
      }
      this.roundFailure.succeeded();
    } catch (err) {
      this.roundFailure.failed(err);
    }
  }

  /** Whether every subscription deliveries go to is being delivered here now: a claim would find nothing. */
  private everyActiveInFlight(): boolean {
    const active = this.o.activeSubscriptions?.();
    if (!active || this.groups.size === 0) return false;
    for (const id of active) if (!this.groups.has(id)) return false;
    return true;
  }

  /** Claims what is due now and runs each attempt to its end; returns how many were claimed. For tests and tools too. */
  async tick(): Promise<number> {
    const { claimed, started } = await this.claimAndStart(this.o.batchSize, this.o.perSubscription);
    await Promise.all(started);
    return claimed;
  }

  /**
   * Claims due deliveries of the subscriptions not already being delivered on this node and starts
   * one group per subscription (at most `lanes` attempts at a time); each group commits its attempts
   * together when it ends.
   */
  private async claimAndStart(limit: number, lanes: number): Promise<{ claimed: number; started: Array<Promise<void>> }> {
    const now = this.o.clock.now();
    const claimed = await this.o.store.claimWebhookDeliveries({
      now,
      owner: this.o.nodeId,
      leaseUntil: now + this.o.settings.timeoutMs + 15_000,
      limit,
      skipSubscriptions: [...this.groups.keys()],
    });
    if (claimed.length === 0) return { claimed: 0, started: [] };
    const subs = new Map((await this.o.store.listWebhookSubscriptions()).map((s) => [s.id, s]));
    for (const id of this.secrets.keys()) if (!subs.has(id)) this.secrets.delete(id);
    const bySub = new Map<string, WebhookDeliveryRow[]>();
    for (const d of claimed) {
      const list = bySub.get(d.subscriptionId);
      if (list) list.push(d);
      else bySub.set(d.subscriptionId, [d]);
    }
    const started: Array<Promise<void>> = [];
    for (const [id, list] of bySub) {
      const sub = subs.get(id);
      if (!sub) continue;
      const p = this.deliverGroup(sub, list, lanes)
        .catch((err: unknown) =>
          this.o.logger.error({ err, subscriptionId: id }, 'webhook deliveries failed; they are retried when their lease ends'),
        )
        .finally(() => {
          this.groups.delete(id);
          this.wake();
        });
      this.groups.set(id, p);
      started.push(p);
    }
    return { claimed: claimed.length, started };
  }

  private async deliverGroup(sub: WebhookSubscriptionRow, list: WebhookDeliveryRow[], width: number): Promise<void> {
    const results: WebhookAttemptResult[] = [];
    // A subscription's attempts go out at most `width` at a time; its health is carried along.
    const state = { sub };
    const lanes = Array.from({ length: Math.min(width, list.length) }, async () => {
      for (let d = list.shift(); d; d = list.shift()) {
        const r = await this.attempt(d, state);
        if (r) results.push(r);
      }
    });
    await Promise.all(lanes);
    const told = results.filter((r) => r.adminNotice);
    if (told.length > 0) {
      const to = await this.admins();
      for (const r of told) r.adminNotice!.to = to;
    }
    // One transaction for the group's attempts: a busy subscriber costs a commit per round, not per delivery.
    const written = await this.o.store.finishWebhookAttempts(results);
    written.forEach((ok, i) => {
      if (!ok)
        this.o.logger.warn({ deliveryId: results[i]!.deliveryId }, 'a webhook delivery lease was taken over; its attempt was not recorded');
    });
  }

  private async attempt(d: WebhookDeliveryRow, state: { sub: WebhookSubscriptionRow }): Promise<WebhookAttemptResult | undefined> {
    const sub = state.sub;
    // Disabled by an earlier attempt of this batch: the rest stay pending (held) until it is enabled again.
    if (sub.disabledAt !== null) return undefined;
    const now = this.o.clock.now();
    const headers = signWebhook(this.secretsOf(sub), d.id, now, d.body);
    const sent = await this.o.sender.send(sub.url, { ...headers }, d.body, sub.id);
    const at = this.o.clock.now();
    // The subscription's own policy (checked when stored; compiled as an action type's is when it loads), or the schedule.
    const policy = sub.retry ? compileRetryPolicy(sub.retry) : null;
    const step = nextStep(d.attempts, sent.outcome, at, Math.random(), this.o.settings, policy && { policy, createdAt: d.createdAt });
    for (const l of this.attemptListeners) l(step.result);
    const wasDisabled = sub.disabledAt !== null;
    const { health, disabled } = recordAttempt(sub, sent.outcome, at, this.o.settings);
    const changed =
      health.failingSince !== sub.failingSince || health.disabledAt !== sub.disabledAt || health.disabledReason !== sub.disabledReason;
    state.sub = { ...sub, ...health };
    const outcome = describeOutcome(sent.outcome);
    if (disabled) this.o.logger.warn({ subscriptionId: sub.id, reason: health.disabledReason }, 'webhook subscription disabled');
    return {
      deliveryId: d.id,
      owner: this.o.nodeId,
      subscriptionId: sub.id,
      attempt: {
        n: d.attempts + 1,
        at,
        status: sent.outcome.kind === 'response' ? sent.outcome.status : null,
        durationMs: sent.durationMs,
        outcome,
        excerpt: sent.excerpt,
      },
      // 410 disables the endpoint; its delivery stays pending, held with the rest until it is enabled again.
      status: step.result === 'delivered' ? 'delivered' : step.result === 'failed' ? 'failed' : 'pending',
      dueAt: step.result === 'retry' ? step.at : step.result === 'endpoint_gone' ? at : null,
      lastError: step.result === 'delivered' ? null : step.result === 'failed' ? step.why : outcome,
      ...(changed ? { health } : {}),
      ...(disabled && !wasDisabled
        ? {
            adminNotice: {
              message: `Webhook subscription ${sub.id} (${sub.url}) was disabled: ${health.disabledReason ?? ''}`.trim(),
              to: [],
            },
          }
        : {}),
    };
  }

  /** Whom the admins' keys act as, once each: their notifications are read there (a key with a user reads the user's). */
  private async admins(): Promise<string[]> {
    const keys = await this.o.store.listApiKeys();
    return [...new Set(keys.filter((k) => k.revokedAt === undefined && k.roles.includes('admin')).map(actingUser))];
  }

  private secretsOf(sub: WebhookSubscriptionRow): SigningSecret[] {
    const cached = this.secrets.get(sub.id);
    if (cached?.stored === sub.secrets) return cached.secrets;
    const secrets = decryptSecrets(this.o.box, sub);
    this.secrets.set(sub.id, { stored: sub.secrets, secrets });
    return secrets;
  }
}
