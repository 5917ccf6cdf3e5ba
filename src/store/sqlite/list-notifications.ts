// A user's notifications, newest first (the latest 200).

import type Database from 'better-sqlite3';
import type { NotificationRow } from '../types.ts';
import { notificationFromRow } from '../rows.ts';
import { prepared } from './statements.ts';

export function listNotifications(db: Database.Database, user: string): NotificationRow[] {
  const rows = prepared(db, 'SELECT * FROM notifications WHERE user_name = ? ORDER BY id DESC LIMIT 200').all(user);
  return (rows as Record<string, unknown>[]).map(notificationFromRow);
}
