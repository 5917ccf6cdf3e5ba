// Notifications: what the engine told a user (escalations of their cases' actions, their cases
// stopped at a failed step, tasks of theirs taken or handed to them), newest first; each user sees
// and marks read only their own.

import type { NotificationQuery, NotificationRow, Store } from '../store/types.ts';
import type { Clock } from '../clock.ts';
import { NotFoundError } from '../errors.ts';
import type { NotificationView } from './schemas.ts';

export class NotificationService {
  constructor(private readonly deps: { store: Store; clock?: Clock }) {}

  /** The user's notifications, times as ISO date-times. */
  async list(user: string, opts: NotificationQuery = {}): Promise<NotificationView[]> {
    return (await this.deps.store.listNotifications(user, opts)).map(notificationView);
  }

  /** A page of them, newest first; `next` is the `before` of the following page (null on the last). */
  async page(user: string, opts: NotificationQuery & { limit: number }): Promise<{ items: NotificationView[]; next: string | null }> {
    const items = await this.list(user, opts);
    return { items, next: items.length === opts.limit ? String(items[items.length - 1]!.id) : null };
  }

  /** Marks every unread notification of the user read, up to `upTo` when given; how many it marked. */
  async markAllRead(user: string, upTo?: number): Promise<{ marked: number }> {
    const marked = await this.deps.store.markNotificationsRead(user, upTo ?? Number.MAX_SAFE_INTEGER, this.deps.clock?.now() ?? Date.now());
    return { marked };
  }

  /** Marks the user's own notification read; someone else's is "not found", as if it did not exist. */
  async markRead(user: string, id: number): Promise<NotificationView> {
    const row = await this.deps.store.markNotificationRead(id, user, this.deps.clock?.now() ?? Date.now());
    if (!row) throw new NotFoundError('Notification', String(id));
    return notificationView(row);
  }
}

function notificationView(n: NotificationRow): NotificationView {
  const { readAt, at, ...rest } = n;
  return {
    ...rest,
    at: new Date(at).toISOString(),
    read: readAt !== undefined,
    readAt: readAt === undefined ? null : new Date(readAt).toISOString(),
  };
}
