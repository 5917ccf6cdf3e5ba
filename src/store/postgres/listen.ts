// Wakes the engine as soon as work is launched or rescheduled on any node: LISTEN on a dedicated
// connection that comes back (with backoff) whenever it drops. SQLite has no equivalent: its engines poll.

import { Client, type ClientConfig } from 'pg';
import type { Logger } from '../../logger.ts';

/**
 * The channel insertActions and writeActions notify (on commit) when an action is due soon. The payload
 * is `<schema>@<due time in ms>`: the schema, so installations sharing a database do not wake each
 * other; the due time, so a node sets its alarm for it rather than asking the store. A payload of the
 * schema alone (a node of an earlier version) means work is due now.
 */
export const WORK_CHANNEL = 'callout_work';

/** The due time a notification announces (undefined: now), or null when it is not for this schema. */
export function parseWorkPayload(payload: string, schema: string): number | undefined | null {
  if (payload === schema) return undefined;
  const at = payload.lastIndexOf('@');
  if (at < 0 || payload.slice(0, at) !== schema) return null;
  const due = Number(payload.slice(at + 1));
  return Number.isFinite(due) ? due : undefined;
}

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 30_000;

export class WorkListener {
  private client: Client | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = FIRST_RETRY_MS;
  /** Our schema: notifications from installations in other schemas of the database are not ours. */
  private schema: string | undefined;

  constructor(
    private readonly config: ClientConfig,
    /** Called with the announced due time, or none when work is due now (or notifications may have been missed). */
    private readonly onWork: (dueAt?: number) => void,
    private readonly logger: Logger,
  ) {}

  /** Connects and listens; throws if this first connection fails (later ones are retried forever). */
  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end();
  }

  private async connect(): Promise<void> {
    const client = new Client(this.config);
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (n) => {
      if (n.channel !== WORK_CHANNEL || this.schema === undefined) return;
      const due = parseWorkPayload(n.payload ?? '', this.schema);
      if (due !== null) this.onWork(due);
    });
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${WORK_CHANNEL}`);
      this.schema = (await client.query<{ s: string | null }>('SELECT current_schema() AS s')).rows[0]?.s ?? '';
    } catch (err) {
      if (this.client === client) this.client = undefined;
      // The connection failed or was never made: nothing to keep; its own error is the one to report.
      client.end().catch(() => undefined);
      throw err;
    }
  }

  private lost(client: Client, err?: Error): void {
    if (client !== this.client || this.stopped) return;
    this.client = undefined;
    // 'end' alone (no error) when a reconnect's connection is closed before PostgreSQL answers (a proxy
    // in front of a database that is down): reading err there threw in pg's event and ended the process.
    this.logger.warn(
      { code: (err as { code?: string } | undefined)?.code, message: err?.message ?? 'the connection was closed' },
      'the LISTEN connection to PostgreSQL dropped; reconnecting',
    );
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.retryTimer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.stopped) return;
      this.connect().then(
        () => {
          if (this.stopped) return void this.client?.end().catch(() => undefined);
          this.retryMs = FIRST_RETRY_MS;
          this.logger.info('the LISTEN connection to PostgreSQL is back');
          // Notifications sent while disconnected are lost: let the engine look for work once.
          this.onWork();
        },
        (err: unknown) => {
          this.logger.warn(
            { message: (err as Error).message, retryInMs: this.retryMs },
            'reconnecting the LISTEN connection to PostgreSQL failed',
          );
          this.scheduleReconnect();
        },
      );
    }, delay);
    // A pending reconnect alone should not keep the process alive.
    this.retryTimer.unref();
  }
}
