// Webhook subscriptions as a resource: created with a `whsec_` secret shown once (kept encrypted
// like connector secrets), listed, changed, deleted, their secret rotated with an overlap, their
// deliveries listed with every attempt and sent again on request.

import type { Store } from '../store/types.ts';
import { isoTime as iso, type Clock } from '../clock.ts';
import type { SecretBox } from '../crypto/secrets.ts';
import { ConflictError, NotFoundError, STORED_ATTEMPTS, checkSettingsTag, raceApart, type SettingsGuard } from '../errors.ts';
import { settingsTag } from '../api/if-match.ts';
import { uuidv7 } from '../ids.ts';
import { generateSecret, rotateSecrets, type SigningSecret } from './sign.ts';
import {
  applySubscriptionPatch,
  validateSubscription,
  type DeliveryView,
  type SubscriptionSettings,
  type WebhookView,
} from './subscription.ts';
import { reenable } from './delivery-policy.ts';
import type { WebhookAttemptRow, WebhookDeliveryRow, WebhookSubscriptionRow } from './rows.ts';
import type { WebhookOutbox } from './outbox.ts';
import { type PageQuery, checkCursor, pageOf, pageLimit } from '../pages.ts';

/** Binds the encrypted secrets to their subscription: a ciphertext copied to another row does not decrypt. */
const bound = (id: string): string => `webhook:${id}`;

export function decryptSecrets(box: SecretBox, row: WebhookSubscriptionRow): SigningSecret[] {
  return JSON.parse(box.decrypt(JSON.parse(row.secrets) as never, bound(row.id))) as SigningSecret[];
}

const encryptSecrets = (box: SecretBox, id: string, secrets: SigningSecret[]): string =>
  JSON.stringify(box.encrypt(JSON.stringify(secrets), bound(id)));

/** What a subscriber chose (not what Callout keeps about its deliveries). */
export const settingsOf = (r: WebhookSubscriptionRow): SubscriptionSettings => ({
  url: r.url,
  events: r.events,
  description: r.description,
  enabled: r.enabled,
  // Only when chosen: without one, the settings (and their tag) are what they were before subscriptions could have one.
  ...(r.retry ? { retry: r.retry } : {}),
});

/** The entity tag of what a subscriber chose: the same while only Callout's books on the subscription (health, secrets) change. */
export const webhookTag = (r: WebhookSubscriptionRow): string => settingsTag({ ...settingsOf(r) });

function view(r: WebhookSubscriptionRow): WebhookView {
  return {
    id: r.id,
    url: r.url,
    events: r.events,
    description: r.description,
    enabled: r.enabled && r.disabledAt === null,
    disabledAt: iso(r.disabledAt),
    disabledReason: r.disabledReason,
    failingSince: iso(r.failingSince),
    retry: r.retry ?? null,
    createdAt: new Date(r.createdAt).toISOString(),
    updatedAt: new Date(r.updatedAt).toISOString(),
    etag: webhookTag(r),
  };
}

function deliveryView(d: WebhookDeliveryRow & { attemptList?: WebhookAttemptRow[] }): DeliveryView {
  return {
    id: d.id,
    eventType: d.eventType,
    sequence: d.sequence,
    status: d.status,
    attempts: (d.attemptList ?? []).map((a) => ({
      at: new Date(a.at).toISOString(),
      status: a.status,
      durationMs: a.durationMs,
      outcome: a.outcome,
      response: a.excerpt,
    })),
    nextAttemptAt: d.status === 'pending' ? iso(d.dueAt) : null,
    lastError: d.lastError,
    createdAt: new Date(d.createdAt).toISOString(),
  };
}

export interface WebhookServiceDeps {
  store: Store;
  clock: Clock;
  box: SecretBox;
  outbox: WebhookOutbox;
  /** Deliveries were made due (a retry): wake the worker. */
  onDue?: () => void;
  /** Subscriptions may point at loopback and private addresses (CALLOUT_ALLOW_PRIVATE_NETWORKS). */
  allowPrivateNetworks: boolean;
}

export class WebhookService {
  constructor(private readonly d: WebhookServiceDeps) {}

  async create(body: unknown): Promise<WebhookView & { secret: string }> {
    const { row, secret } = this.newRow(body);
    await this.d.store.insertWebhookSubscription(row);
    await this.d.outbox.refresh();
    return { ...view(row), secret };
  }

  /** A new subscription's row and its signing secret (shown once); not stored yet (an import stores several at once). */
  newRow(body: unknown): { row: WebhookSubscriptionRow; secret: string } {
    const s = validateSubscription(body, this.d);
    const now = this.d.clock.now();
    const id = uuidv7(now);
    const secret = generateSecret();
    const row: WebhookSubscriptionRow = {
      id,
      ...s,
      secrets: encryptSecrets(this.d.box, id, [{ secret, createdAt: now, expiresAt: null }]),
      failingSince: null,
      disabledAt: null,
      disabledReason: null,
      createdAt: now,
      updatedAt: now,
      revision: 1,
    };
    return { row, secret };
  }

  /** Every subscription (the library's; the API pages them). */
  async list(): Promise<WebhookView[]> {
    return (await this.d.store.listWebhookSubscriptions()).map(view);
  }

  /** A page of subscriptions, newest first; `next` is the `before` of the following page (null at the end). */
  async page(q: PageQuery = {}): Promise<{ items: WebhookView[]; next: string | null }> {
    checkCursor(q.before);
    const page = { ...(q.before !== undefined ? { before: q.before } : {}), limit: pageLimit(q.limit) };
    const { rows, more } = await this.d.store.listWebhookSubscriptionsPage(page);
    return pageOf(rows, more, view, (w) => w.id);
  }

  async get(id: string): Promise<WebhookView> {
    return view(await this.row(id));
  }

  /**
   * Enabling a subscription Callout disabled clears its failure streak; its held deliveries then go out.
   * With `guard` (If-Match), made only while the stored settings still have the tag read: compared on the
   * row each write attempt is guarded by, so two changes sent with one tag cannot both be made.
   */
  async update(id: string, body: unknown, guard?: SettingsGuard): Promise<WebhookView> {
    return view(
      await this.change(id, (cur) => {
        checkSettingsTag('Webhook', id, webhookTag(cur), guard);
        return this.changedRow(cur, body);
      }),
    );
  }

  /** `cur` with the settings `body` gives; the caller moves its revision. */
  changedRow(cur: WebhookSubscriptionRow, body: unknown): WebhookSubscriptionRow {
    const next = applySubscriptionPatch(settingsOf(cur), body, this.d);
    const revive = (body as { enabled?: unknown }).enabled === true ? reenable() : {};
    // `retry: null` removes the policy: the row keeps none rather than the one it had.
    return { ...cur, ...next, retry: next.retry ?? null, ...revive };
  }

  /** Tells this node's outbox and delivery worker that subscriptions were written elsewhere (an import). */
  async changed(): Promise<void> {
    await this.d.outbox.refresh();
    this.d.onDue?.();
  }

  /**
   * Deleted with its deliveries. With `guard` (If-Match), only while its settings still have the tag
   * read: a builder does not delete a subscription someone else has just changed. The row's revision
   * also moves with Callout's own books (a failing streak), so a delete that meets one reads it again.
   */
  async remove(id: string, guard?: SettingsGuard): Promise<WebhookView> {
    for (let i = 0; i < STORED_ATTEMPTS; i++) {
      if (i > 0) await raceApart(i - 1);
      const row = await this.row(id);
      checkSettingsTag('Webhook', id, webhookTag(row), guard);
      if (await this.d.store.deleteWebhookSubscription(id, guard ? row.revision : undefined)) {
        await this.d.outbox.refresh();
        return view(row);
      }
      if (!guard) throw new NotFoundError('Webhook', id);
    }
    throw new ConflictError('The webhook kept changing while this request was applied; fetch it and try again');
  }

  /** A new secret, shown once; the old ones keep signing (every delivery carries both signatures) for `overlapMs`. */
  async rotateSecret(id: string, overlapMs?: number): Promise<WebhookView & { secret: string; previousSecretExpiresAt: string }> {
    let secret = '';
    const now = this.d.clock.now();
    const row = await this.change(id, (cur) => {
      const r = rotateSecrets(decryptSecrets(this.d.box, cur), now, overlapMs !== undefined ? { overlapMs } : {});
      secret = r.secret;
      return { ...cur, secrets: encryptSecrets(this.d.box, cur.id, r.secrets) };
    });
    const expires = decryptSecrets(this.d.box, row)
      .map((s) => s.expiresAt)
      .filter((t): t is number => t !== null);
    return { ...view(row), secret, previousSecretExpiresAt: new Date(expires.length ? Math.max(...expires) : now).toISOString() };
  }

  /** The subscription's deliveries, newest first; with `before` (a delivery's id), the ones older than it. */
  async deliveries(id: string, limit = 100, before?: string): Promise<DeliveryView[]> {
    await this.row(id);
    return (await this.d.store.listWebhookDeliveries(id, limit, before)).map(deliveryView);
  }

  /** A page of them; `next` is the `before` of the following page (null on the last). */
  async deliveryPage(id: string, limit = 100, before?: string): Promise<{ items: DeliveryView[]; next: string | null }> {
    const items = await this.deliveries(id, limit, before);
    return { items, next: items.length === limit ? items[items.length - 1]!.id : null };
  }

  /** Sends a delivery again now (failed, pending or delivered: same id, so the receiver can tell). */
  async retry(id: string, deliveryId: string): Promise<DeliveryView> {
    await this.row(id);
    const d = await this.d.store.retryWebhookDelivery(id, deliveryId, this.d.clock.now());
    if (!d) throw new NotFoundError('Delivery', deliveryId);
    this.d.onDue?.();
    return deliveryView(d);
  }

  private async row(id: string): Promise<WebhookSubscriptionRow> {
    const row = await this.d.store.getWebhookSubscription(id);
    if (!row) throw new NotFoundError('Webhook', id);
    return row;
  }

  /**
   * Writes `fn(cur)` guarded by `cur`'s revision; a write that lost to another (a person's, the delivery
   * worker's) reads again and retries, spread apart as the other stored changes are: five tries with no
   * pause answered 409 to three or four of ten changes sent at once.
   */
  private async change(id: string, fn: (cur: WebhookSubscriptionRow) => WebhookSubscriptionRow): Promise<WebhookSubscriptionRow> {
    for (let i = 0; i < STORED_ATTEMPTS; i++) {
      if (i > 0) await raceApart(i - 1);
      const cur = await this.row(id);
      const next = { ...fn(cur), updatedAt: this.d.clock.now(), revision: cur.revision + 1 };
      if (await this.d.store.updateWebhookSubscription(next, cur.revision)) {
        await this.d.outbox.refresh();
        if (next.enabled && next.disabledAt === null) this.d.onDue?.();
        return next;
      }
    }
    throw new ConflictError('The webhook kept changing while this request was applied; try again');
  }
}
