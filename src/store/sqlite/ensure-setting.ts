// Settings: a key's first value wins, whichever process writes it first.

import type Database from 'better-sqlite3';
import { prepared } from './statements.ts';

export function ensureSetting(db: Database.Database, key: string, value: string): string {
  prepared(db, 'INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)').run(key, value);
  return (prepared(db, 'SELECT value FROM settings WHERE key = ?').get(key) as { value: string }).value;
}
