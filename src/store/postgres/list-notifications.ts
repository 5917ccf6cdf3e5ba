// A user's notifications, newest first (the latest 200).

import type { Pool } from 'pg';
import type { NotificationRow } from '../types.ts';
import { notificationFromRow } from '../rows.ts';

export async function listNotifications(pool: Pool, user: string): Promise<NotificationRow[]> {
  return (await pool.query('SELECT * FROM notifications WHERE user_name = $1 ORDER BY id DESC LIMIT 200', [user])).rows.map(
    notificationFromRow,
  );
}
