// Wakes the engine as soon as work is launched or rescheduled on any node: LISTEN on a dedicated
// connection that comes back (with backoff) whenever it drops. SQLite has no equivalent: its engines poll.

import { Client, type ClientConfig } from 'pg';
import type { Logger } from '../../logger.ts';

/** The channel insertActions and writeActions notify (on commit) when an action is due now. */
export const WORK_CHANNEL = 'callout_work';

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
    private readonly onWork: () => void,
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
      if (n.channel === WORK_CHANNEL && (n.payload ?? '') === this.schema) this.onWork();
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
    this.logger.warn(
      { code: (err as { code?: string }).code, message: (err as Error).message },
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
