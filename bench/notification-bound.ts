// What keeping a user's notifications within the bound costs per insert when the user is far past it:
// a store upgraded from before the bound with a long backlog of unread notices (SQLite, one user).
//   npx tsx bench/notification-bound.ts [--unread 1000000] [--read 500] [--keep 1000]
// Each timed call is one inserting transaction's trim (src/store/sqlite/list-notifications.ts).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type Database from 'better-sqlite3';
import { SqliteStore } from '../src/store/sqlite/store.ts';
import { boundNotifications } from '../src/store/sqlite/list-notifications.ts';

const { values: f } = parseArgs({
  options: {
    unread: { type: 'string', default: '1000000' },
    read: { type: 'string', default: '500' },
    keep: { type: 'string', default: '1000' },
  },
});

const dir = mkdtempSync(join(tmpdir(), 'callout-bound-'));
const store = new SqliteStore({ file: join(dir, 'callout.db') });
await store.migrate();
const db = (store as unknown as { db: Database.Database }).db;
// The oldest unread, the newest read: finding the read ones is the work the bound does first.
const insert = db.prepare("INSERT INTO notifications (user_name, kind, message, at, read_at) VALUES ('u', 'escalation', 'm', 1, ?)");
db.transaction(() => {
  for (let i = 0; i < Number(f.unread); i++) insert.run(null);
  for (let i = 0; i < Number(f.read); i++) insert.run(5);
})();
const times: number[] = [];
for (let k = 0; k < 5; k++) {
  const t = performance.now();
  db.transaction(() => boundNotifications(db, ['u'], Number(f.keep)))();
  times.push(performance.now() - t);
}
console.log(
  `trim of one user with ${f.unread} unread and ${f.read} read, bound ${f.keep}: ${times.map((x) => x.toFixed(1)).join(' / ')} ms`,
);
await store.close();
rmSync(dir, { recursive: true, force: true });
