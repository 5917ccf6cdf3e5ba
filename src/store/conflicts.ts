// The conflicts both stores report when a unique constraint refuses a write: the same errors, naming
// the same fields, whichever database noticed.

import { CalloutError, ConflictError } from '../errors.ts';
import type { ApiKeyRow, ConfigChange, ConfigKind } from './types.ts';

/** A taken name is the caller's conflict, naming the field; a taken hash is (astronomically unlikely) a repeat. */
export function apiKeyConflict(row: ApiKeyRow, what: 'name' | 'keyHash'): CalloutError {
  return what === 'name'
    ? new CalloutError('CONFLICT', `An API key named ${JSON.stringify(row.name)} already exists; revoke it or choose another name`, [
        { field: 'name', message: 'is taken by another API key' },
      ])
    : new CalloutError('CONFLICT', 'This API key already exists', [{ field: 'key', message: 'already exists' }]);
}

export const configConflict = (kind: ConfigKind, name: string): ConflictError =>
  new ConflictError(`A ${kind.replace('_', ' ')} named ${JSON.stringify(name)} already exists`);

/** An update of configuration lost its race: someone else changed the document after it was read. */
export const configChanged = (kind: ConfigChange['kind'], name: string): ConflictError =>
  new ConflictError(`The ${kind.replace('_', ' ')} ${JSON.stringify(name)} was changed by someone else; fetch it and try again`);

export const launchKeyConflict = (): ConflictError => new ConflictError('An action with this Idempotency-Key already exists');

/**
 * A user or queue name taken (they are their own identity): the caller's conflict, naming `name`;
 * `existing` is the queue's name as stored when it differs only in case (queue names fold).
 */
export const nameTaken = (what: 'user' | 'queue', name: string, existing: string = name): CalloutError =>
  existing === name
    ? new CalloutError('CONFLICT', `A ${what} named ${JSON.stringify(name)} already exists`, [
        { field: 'name', message: `is taken by another ${what}` },
      ])
    : new CalloutError(
        'CONFLICT',
        `A ${what} named ${JSON.stringify(existing)} already exists; ${what} names that differ only in case are the same name`,
        [{ field: 'name', message: `is taken by the ${what} ${JSON.stringify(existing)} (names differ only in case)` }],
      );

/** An import's new webhook subscription, whose URL another writer subscribed meanwhile. */
export const urlTaken = (url: string): ConflictError =>
  new ConflictError(`A webhook subscription to ${url} was created meanwhile; import the file again to see it as it is now`);
