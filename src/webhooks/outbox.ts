// Turns changes into outbox rows: which events a launch, a transition or a case change causes, for
// which subscriptions. Nothing is computed when no subscription wants the type (a cached set,
// refreshed when subscriptions change here and on a timer for other nodes' changes), so actions
// pay nothing for webhooks nobody subscribed to.

import type { ActionRecord } from '../lifecycle/action.ts';
import type { Effect } from '../lifecycle/transition.ts';
import type { Store } from '../store/types.ts';
import type { Clock } from '../clock.ts';
import { uuidv7 } from '../ids.ts';
import {
  EVENT_TYPES,
  caseClosedEvent,
  caseCreatedEvent,
  caseStoppedEvent,
  eventsForLaunch,
  eventsForTransition,
  subscriptionWants,
  type CaseStopSummary,
  type CaseSummary,
  type EventType,
  type OutboundEvent,
} from './events.ts';
import type { WebhookEventRow } from './rows.ts';

interface CachedSubscription {
  id: string;
  events: string[];
}

/** What the engine and the launch path ask; null on the engine when webhooks are not wired. */
export interface WebhookEventSource {
  forLaunch(action: ActionRecord): WebhookEventRow[] | undefined;
  forTransition(before: ActionRecord, after: ActionRecord, effects: readonly Effect[]): WebhookEventRow[] | undefined;
}

export class WebhookOutbox implements WebhookEventSource {
  private subs: CachedSubscription[] = [];
  private wanted = new Set<EventType>();
  private active: ReadonlySet<string> = new Set();

  constructor(private readonly d: { store: Store; clock: Clock; publicUrl: string }) {}

  /** Reloads the subscriptions (every one, enabled or not: a held subscription still collects its events). */
  async refresh(): Promise<void> {
    const rows = await this.d.store.listWebhookSubscriptions();
    this.subs = rows.map((r) => ({ id: r.id, events: r.events }));
    this.active = new Set(rows.filter((r) => r.enabled && r.disabledAt === null).map((r) => r.id));
    this.wanted = new Set(EVENT_TYPES.filter((t) => this.subs.some((s) => subscriptionWants(s.events, t))));
  }

  wants(type: EventType): boolean {
    return this.wanted.has(type);
  }

  get anyWanted(): boolean {
    return this.wanted.size > 0;
  }

  /** The subscriptions deliveries go to now (enabled, not disabled by Callout), as of the last refresh. */
  get activeIds(): ReadonlySet<string> {
    return this.active;
  }

  forLaunch(action: ActionRecord): WebhookEventRow[] | undefined {
    if (this.wanted.size === 0) return undefined;
    return this.rows(eventsForLaunch(action, this.ctx()));
  }

  forTransition(before: ActionRecord, after: ActionRecord, effects: readonly Effect[]): WebhookEventRow[] | undefined {
    if (this.wanted.size === 0) return undefined;
    return this.rows(eventsForTransition(before, after, effects, this.ctx()));
  }

  /** For the cases service: the rows of a case created or closed (to write in the case's own transaction). */
  forCase(kind: 'created' | 'closed', c: CaseSummary): WebhookEventRow[] | undefined;
  /** case.stopped: `stop` is the failed step the case stopped at. */
  forCase(kind: 'stopped', c: CaseSummary, stop: CaseStopSummary): WebhookEventRow[] | undefined;
  forCase(kind: 'created' | 'closed' | 'stopped', c: CaseSummary, stop?: CaseStopSummary): WebhookEventRow[] | undefined {
    const type: EventType = `case.${kind}`;
    if (!this.wanted.has(type)) return undefined;
    const ctx = this.ctx();
    return this.rows([
      kind === 'created' ? caseCreatedEvent(c, ctx) : kind === 'closed' ? caseClosedEvent(c, ctx) : caseStoppedEvent(c, stop!, ctx),
    ]);
  }

  private ctx(): { now: number; publicUrl: string } {
    return { now: this.d.clock.now(), publicUrl: this.d.publicUrl };
  }

  private rows(events: OutboundEvent[]): WebhookEventRow[] | undefined {
    const out: WebhookEventRow[] = [];
    for (const event of events) {
      if (!this.wanted.has(event.type)) continue;
      const targets = this.subs
        .filter((s) => subscriptionWants(s.events, event.type))
        .map((s) => ({ subscriptionId: s.id, deliveryId: `msg_${uuidv7(event.at).replace(/-/g, '')}` }));
      out.push({ event, targets });
    }
    return out.length > 0 ? out : undefined;
  }
}
