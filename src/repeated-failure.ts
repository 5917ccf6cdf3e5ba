// A failure that comes back at every poll (the database gone for a minute) is logged once, then at
// most once a minute with how often it happened meanwhile, and once more when it clears: in a
// PostgreSQL outage each part of a node (engine, case worker, webhook delivery, configuration) wrote
// a line with its stack at every poll, 85 lines in 13 s.

import type { Logger } from './logger.ts';

export class RepeatedFailure {
  private failingSince: number | null = null;
  private lastLoggedAt = 0;
  private unlogged = 0;

  constructor(
    private readonly logger: Logger,
    private readonly message: string,
    private readonly level: 'error' | 'warn' = 'error',
    private readonly now: () => number = Date.now,
    private readonly everyMs = 60_000,
  ) {}

  failed(err: unknown): void {
    const now = this.now();
    if (this.failingSince !== null && now - this.lastLoggedAt < this.everyMs) {
      this.unlogged++;
      return;
    }
    const since = this.failingSince === null ? {} : { failingSince: new Date(this.failingSince).toISOString(), repeats: this.unlogged };
    this.failingSince ??= now;
    this.lastLoggedAt = now;
    this.unlogged = 0;
    this.logger[this.level]({ err, ...since }, this.message);
  }

  /** The work went through: says so once if it had been failing. */
  succeeded(): void {
    if (this.failingSince === null) return;
    this.logger.info({ failingSince: new Date(this.failingSince).toISOString() }, `${this.message}: recovered`);
    this.failingSince = null;
    this.unlogged = 0;
  }
}
