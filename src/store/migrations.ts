// Forward-only numbered SQL migrations (NNN_name.sql), read from a store's migrations folder.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SetupError } from '../errors.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir: string): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_.+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f, sql: readFileSync(join(dir, f), 'utf8') }));
}

/**
 * Refuses a store that a newer Callout migrated: this version does not know its tables, and writing
 * to them could lose what the newer one keeps there.
 */
export function refuseNewerStore(applied: Iterable<number>, known: readonly Migration[]): void {
  const newest = Math.max(0, ...known.map((m) => m.version));
  const unknown = [...applied].filter((v) => v > newest).sort((a, b) => a - b);
  if (unknown.length > 0)
    throw new SetupError(
      `this store was migrated by a newer version of Callout (its migration ${unknown.at(-1)} is unknown here; this version knows up to ${newest}): run that version or a newer one`,
    );
}
