// Inbound requests addressed by connector and external reference (SPEC 6): always signed with the
// connector's `inboundSecret` (a reference can be guessed where a callback token cannot). Once the
// signature holds, the newest open action of the connector's action types with that reference gets
// the same treatment as a callback by token. Every failure, whichever check, is the same 401.

import type { Store } from '../store/types.ts';
import type { Registry, ConnectorEntry } from '../engine/registry.ts';
import type { Engine } from '../engine/engine.ts';
import type { Clock } from '../clock.ts';
import type { ActionRecord } from '../lifecycle/action.ts';
import { NotFoundError } from '../errors.ts';
import type { IntegrationService } from '../integrated-queues/service.ts';
import type { HandBackBody } from './schemas.ts';
import type { CallbackService } from '../callbacks/service.ts';
import type { ActionView } from '../actions/views.ts';
import type { AcknowledgeBody, CallbackBody, MessageBody } from '../callbacks/schemas.ts';
import { InboundSignatureError, verifyInbound, type InboundHeaders } from './verify.ts';

/** How many actions with one reference are looked at (newest first) to find the connector's. */
const CANDIDATES = 50;

export interface InboundServiceDeps {
  store: Store;
  registry: Registry;
  engine: Engine;
  clock: Clock;
  callbacks: CallbackService;
}

export class InboundService {
  /** Tasks on integrated queues, addressed by their reference too (set once integrated queues are built). */
  integrations: IntegrationService | null = null;

  constructor(private readonly d: InboundServiceDeps) {}

  /**
   * Checks the signature over the raw body; resolves with the connector and the message id it spent,
   * or throws the one 401.
   */
  async verify(connectorIdOrName: string, headers: InboundHeaders, rawBody: Buffer): Promise<{ connector: ConnectorEntry; spent: string }> {
    const connector = await this.d.registry.connector(connectorIdOrName).catch((e: unknown) => {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    });
    const now = this.d.clock.now();
    // An unknown connector is checked against a decoy key (verifyInbound): the same work, the same 401.
    const { spent } = await verifyInbound(headers, rawBody, {
      secret: connector?.spec.inboundSecret,
      scope: connector?.id ?? 'unknown',
      now,
      replayGuard: { seen: (id, until) => this.d.store.rememberInboundId(id, until, now) },
    });
    return { connector: connector!, spent };
  }

  /**
   * A genuine request refused after its signature checked out (its reference not stored yet, a
   * conflict, a store that failed) gives its id back: Standard Webhooks senders retry with the same id,
   * and the retry was refused as a replay for good. A replay of it is the sender's retry.
   */
  async forget(spent: string): Promise<void> {
    await this.d.store.forgetInboundId(spent);
  }

  async outcome(connector: ConnectorEntry, reference: string, body: CallbackBody): Promise<ActionView> {
    return this.byToken(connector, reference, (token) => this.d.callbacks.callback(token, body));
  }

  async acknowledge(connector: ConnectorEntry, reference: string, body: AcknowledgeBody): Promise<ActionView> {
    return this.byToken(connector, reference, (token) => this.d.callbacks.acknowledge(token, body));
  }

  async message(connector: ConnectorEntry, reference: string, body: MessageBody): Promise<ActionView> {
    return this.byToken(connector, reference, (token) => this.d.callbacks.message(token, body));
  }

  async handBack(connector: ConnectorEntry, reference: string, body: HandBackBody): Promise<ActionView> {
    return this.byToken(connector, reference, (token) => this.d.callbacks.handBack(token, body));
  }

  /** The action's own callback token, so the by-reference routes answer exactly as the token routes do. */
  private async byToken(connector: ConnectorEntry, reference: string, fn: (token: string) => Promise<ActionView>): Promise<ActionView> {
    // An action of this connector with the reference, else a task on a queue integrated with it
    // (addressed, as by the provider's token, through the last action sent for its submission).
    const id = (await this.find(connector, reference))?.id ?? (await this.integrations?.tokenActionByReference(connector.id, reference));
    if (!id) throw new InboundSignatureError();
    try {
      return await fn(this.d.engine.callbackToken(id));
    } catch (e) {
      // A token past its life (the action closed long ago) is, from outside, an unknown reference.
      if (e instanceof NotFoundError) throw new InboundSignatureError();
      throw e;
    }
  }

  /**
   * The newest open action of this connector's action types with the reference; else the newest closed
   * one. Looked up among this connector's actions only: other connectors' actions sharing a common
   * reference (a ticket number) must not crowd this one's out of the candidates.
   */
  private async find(connector: ConnectorEntry, reference: string): Promise<ActionRecord | undefined> {
    const lookUp = async (actionTypeIds: string[]): Promise<ActionRecord | undefined> => {
      if (actionTypeIds.length === 0) return undefined;
      const mine = await this.d.store.listActions({ externalReference: reference, actionTypeIds, limit: CANDIDATES });
      return mine.find((a) => a.state !== 'closed') ?? mine[0];
    };
    const known = this.d.registry.actionTypeIdsOf(connector.id);
    const found = await lookUp(known);
    if (found) return found;
    // An action type made on another node since this one last looked: its actions are found once it is loaded.
    await this.d.registry.refresh();
    const now = this.d.registry.actionTypeIdsOf(connector.id);
    return now.length === known.length ? undefined : lookUp(now);
  }
}
