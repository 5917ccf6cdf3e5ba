// Notifications: what the engine told a user (escalations of their cases' actions), newest first.

import type { Store } from '../store/types.ts';

export class NotificationService {
  constructor(private readonly deps: { store: Store }) {}

  /** The user's notifications, times as ISO date-times. */
  async list(user: string): Promise<Array<Record<string, unknown>>> {
    return (await this.deps.store.listNotifications(user)).map((n) => ({ ...n, at: new Date(n.at).toISOString() }));
  }
}
