// API key rows as both stores return them: optional columns left out when empty, so a key made through
// the API reads back exactly as it was inserted.

import { CalloutError } from '../errors.ts';
import type { ApiKeyOrigin, ApiKeyRow } from './types.ts';

/** Named, not `*`: a column added later must not change what prepared statements return. */
export const API_KEY_COLUMNS = 'id, name, key_hash, roles, created_at, origin, revoked_at, last_used_at';

export function apiKeyFromRow(r: Record<string, unknown>): ApiKeyRow {
  return {
    id: r.id as string,
    name: r.name as string,
    keyHash: r.key_hash as string,
    roles: JSON.parse(r.roles as string) as string[],
    createdAt: Number(r.created_at),
    ...(r.origin != null ? { origin: r.origin as ApiKeyOrigin } : {}),
    ...(r.revoked_at != null ? { revokedAt: Number(r.revoked_at) } : {}),
    ...(r.last_used_at != null ? { lastUsedAt: Number(r.last_used_at) } : {}),
  };
}

/** A taken name is the caller's conflict, naming the field; a taken hash is (astronomically unlikely) a repeat. */
export function apiKeyConflict(row: ApiKeyRow, what: 'name' | 'keyHash'): CalloutError {
  return what === 'name'
    ? new CalloutError('CONFLICT', `An API key named ${JSON.stringify(row.name)} already exists; revoke it or choose another name`, [
        { field: 'name', message: 'is taken by another API key' },
      ])
    : new CalloutError('CONFLICT', 'This API key already exists', [{ field: 'key', message: 'already exists' }]);
}
